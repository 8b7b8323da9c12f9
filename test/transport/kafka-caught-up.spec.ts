/**
 * Stages that run until caught up on Kafka, whatever sits at the end of a partition or at their
 * resume point: a clean topic written in transactions has a commit marker after each one, and a
 * killed processor leaves aborted records and their marker. A sink resumed right before such
 * offsets, or started by a fresh group, must finish `--until-caught-up` with every committed
 * record (chaos kills and bronze-deleted on Kafka hung here). Oracle: the trade ids of the
 * committed transactions, read back from the Parquet files with DuckDB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import { HttpRegistry } from '../../registry/http.ts';
import { Serde } from '../../registry/serde.ts';
import { silentLogger } from '../../runtime/logger.ts';
import type { CleanTrade } from '../../schemas/clean-records.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { bronzeRoot, runBronzeSink } from '../../sinks/bronze/index.ts';
import { runSilverSink } from '../../sinks/silver/index.ts';
import { createKafkaTransport } from '../../transport/kafka/index.ts';
import type { Transport } from '../../transport/types.ts';
import { describeNeeding } from '../prerequisite.ts';
import { cleanWorld } from '../sinks/silver/clean-world.ts';
import { type KafkaTestEnv, kafkaAvailability, uniqueTopic } from './kafka/broker.ts';

const { env: found, missing: noBroker } = await kafkaAvailability();
const env = found as KafkaTestEnv;
const missing = noBroker ?? (env.registryUrl ? undefined : 'no schema registry beside the broker (`npm run kafka:up` starts one)');
const TRADES = TOPICS.trades.name;
const RUN_LIMIT_MS = 40_000;

describeNeeding(`stages caught up on Kafka after transaction markers and aborted records (${found?.source ?? 'no broker'})`, missing, function () {
  this.timeout(240_000);
  let transport: Transport;
  let registry: HttpRegistry;
  let serde: Serde;
  let kafka: kafkajs.Kafka;
  let dir: string;
  let seed = 0;

  beforeEach(async () => {
    transport = createKafkaTransport({ brokers: env.brokers, clientId: 'pma-caught-up-test', logger: silentLogger });
    registry = new HttpRegistry({ url: env.registryUrl! });
    serde = new Serde(registry);
    kafka = new kafkajs.Kafka({ brokers: env.brokers, logLevel: kafkajs.logLevel.NOTHING });
    dir = mkdtempSync(join(tmpdir(), 'pma-kafka-caught-up-'));
    const admin = transport.admin();
    if (await admin.describeTopic(TRADES)) await admin.deleteTopics([TRADES]);
    await admin.createTopics([TOPICS.trades, TOPICS.dlq].map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy })));
  });

  afterEach(async () => {
    await transport?.close();
    await registry?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes `n` trades to partition 0 of the trades topic in one transaction, committed or aborted; returns their ids. */
  async function transaction(n: number, outcome: 'commit' | 'abort'): Promise<string[]> {
    const codec = await serde.codecFor<CleanTrade>(TOPICS.trades);
    seed += 1;
    const trades = cleanWorld(seed, { markets: 1, tradesPerMarket: n, wallets: 3, pricesPerToken: 0 }).trades;
    const producer = kafka.producer({ transactionalId: uniqueTopic('caught-up-tx'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const tx = await producer.transaction();
      await tx.send({ topic: TRADES, messages: trades.map((t) => ({ key: t.trade_id, value: codec.encode(t), partition: 0 })) });
      await (outcome === 'commit' ? tx.commit() : tx.abort());
    } finally {
      await producer.disconnect();
    }
    return trades.map((t) => t.trade_id);
  }

  /** A Bronze run until caught up on its own data dir, aborted (and failing the test) if it does not end in time. */
  async function bronze(dataDir: string, groupId: string): Promise<number> {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), RUN_LIMIT_MS);
    try {
      const result = await runBronzeSink({ dataDir, groupId, topics: ['trades'], idleMs: 200, compactEveryMs: 0 }, { transport, serde, logger: silentLogger, signal: stop.signal, until: 'caught-up' });
      expect(stop.signal.aborted, `Bronze on ${dataDir} did not finish --until-caught-up within ${RUN_LIMIT_MS} ms`).to.equal(false);
      return result.rows;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A Silver run until caught up on its own file, aborted (and failing the test) if it does not end in time. */
  async function silver(path: string, groupId: string): Promise<number> {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), RUN_LIMIT_MS);
    try {
      const result = await runSilverSink(
        { path, snapshotPath: null, groupId, topics: ['trades'], until: 'caught-up', batchMaxMs: 200 },
        { transport, serde, logger: silentLogger, signal: stop.signal },
      );
      expect(stop.signal.aborted, `Silver on ${path} did not finish --until-caught-up within ${RUN_LIMIT_MS} ms`).to.equal(false);
      return result.records;
    } finally {
      clearTimeout(timer);
    }
  }

  async function silverTradeIds(path: string): Promise<string[]> {
    const db = await DuckDBInstance.create(path);
    const con = await db.connect();
    try {
      return (await con.runAndReadAll('SELECT trade_id FROM TradeFact ORDER BY trade_id')).getRowObjectsJS().map((r) => String(r.trade_id));
    } finally {
      con.closeSync();
      db.closeSync();
    }
  }

  async function bronzeTradeIds(dataDir: string): Promise<string[]> {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      const rows = (await con.runAndReadAll(`SELECT trade_id FROM read_parquet('${bronzeRoot(dataDir)}/trades/*/*.parquet') ORDER BY trade_id`)).getRowObjectsJS();
      return rows.map((r) => String(r.trade_id));
    } finally {
      con.closeSync();
    }
  }

  it('Bronze resumed right before a commit marker followed by aborted records and more transactions, and a fresh group on a fresh dir, finish with every committed record', async () => {
    const committed = [...(await transaction(5, 'commit')), ...(await transaction(4, 'commit'))];
    const groupId = uniqueTopic('bronze-group');
    const first = join(dir, 'first');
    expect(await bronze(first, groupId)).to.equal(9);

    // The files end before the second transaction's commit marker: the next run resumes there.
    await transaction(3, 'abort');
    committed.push(...(await transaction(5, 'commit')));
    expect(await bronze(first, groupId)).to.equal(5);
    // The partition now ends with a commit marker, already stepped over by the group.
    expect(await bronze(first, groupId)).to.equal(0);
    expect(await bronzeTradeIds(first)).to.deep.equal([...committed].sort());

    // A partition that ends with aborted records and their marker.
    await transaction(2, 'abort');
    expect(await bronze(first, groupId)).to.equal(0);
    const fresh = join(dir, 'fresh');
    expect(await bronze(fresh, uniqueTopic('bronze-fresh'))).to.equal(committed.length);
    expect(await bronzeTradeIds(fresh)).to.deep.equal([...committed].sort());
  });

  it('Silver resumed from its stored offset right before a commit marker followed by aborted records and more transactions, and a fresh Silver file and group, finish with every committed record', async () => {
    const committed = [...(await transaction(5, 'commit')), ...(await transaction(4, 'commit'))];
    const groupId = uniqueTopic('silver-group');
    const first = join(dir, 'first.duckdb');
    expect(await silver(first, groupId)).to.equal(9);

    await transaction(3, 'abort');
    committed.push(...(await transaction(5, 'commit')));
    expect(await silver(first, groupId)).to.equal(5);
    expect(await silver(first, groupId)).to.equal(0);

    await transaction(2, 'abort');
    expect(await silver(first, groupId)).to.equal(0);
    expect(await silverTradeIds(first)).to.deep.equal([...committed].sort());
    const fresh = join(dir, 'fresh.duckdb');
    expect(await silver(fresh, uniqueTopic('silver-fresh'))).to.equal(committed.length);
    expect(await silverTradeIds(fresh)).to.deep.equal([...committed].sort());
  });
});
