import { existsSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import type { CleanRecordByTopic } from '../../schemas/clean-records.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { SilverTopicKey } from '../../sinks/silver/index.ts';
import { embeddedLogPath } from '../../transport/index.ts';
import { type ChildResult, runChild } from '../run-child.ts';
import { openLogHarness, publishClean } from '../sinks/log-harness.ts';
import { cleanWorld, keyOf } from '../sinks/silver/clean-world.ts';
import { tempDirPerTest } from '../temp-dir.ts';

const PMA = fileURLToPath(new URL('../../cli/pma.ts', import.meta.url));

/** Runs pma; SIGKILLed (and reported as killed) if still running after `limitMs`. */
function pma(args: string[], limitMs: number): Promise<ChildResult> {
  return runChild(process.execPath, [PMA, ...args], { env: { ...process.env, PMA_LOG_LEVEL: 'warn' }, limitMs });
}

interface Damaged {
  path: string;
  topic: string;
  partition: number;
  baseOffset: number;
  lastOffset: number;
}

/** A log of clean records, as the processors would have left it. */
async function cleanLog(dataDir: string): Promise<void> {
  const world = cleanWorld(6, { markets: 12, tradesPerMarket: 120, wallets: 20, pricesPerToken: 5 });
  const log = await openLogHarness(dataDir);
  const publish = async <K extends SilverTopicKey>(k: K, records: CleanRecordByTopic[K][]) => publishClean(log, k, records, (r) => keyOf(k, r), 100);
  try {
    await publish('events', world.events);
    await publish('markets', world.markets);
    await publish('tokens', world.tokens);
    await publish('trades', world.trades);
  } finally {
    await log.close();
  }
}

/** Flips one byte of a stored trades batch (a partition's second), as a bad disk sector would. */
function damageBatch(dataDir: string): Damaged {
  const path = embeddedLogPath(dataDir);
  const db = new DatabaseSync(path);
  try {
    const row = db
      .prepare(
        'SELECT b.id, t.name, b.partition, b.base_offset, b.last_offset, b.payload FROM log_batches b JOIN log_topics t ON t.id = b.topic_id WHERE t.name = ? AND b.base_offset > 0 ORDER BY b.partition, b.base_offset LIMIT 1',
      )
      .get(TOPICS.trades.name) as { id: number; name: string; partition: number; base_offset: number; last_offset: number; payload: Uint8Array };
    const payload = Buffer.from(row.payload);
    payload[payload.length - 3]! ^= 0xff;
    db.prepare('UPDATE log_batches SET payload = ? WHERE id = ?').run(payload, row.id);
    return { path, topic: row.name, partition: row.partition, baseOffset: row.base_offset, lastOffset: row.last_offset };
  } finally {
    db.close();
  }
}

/** The error line pma prints last names the damage: the file, the topic, the partition and the batch's offsets. */
function expectNamesDamage(r: ChildResult, d: Damaged, what: string): void {
  expect(r.killed, `${what} still running: ${r.stderr.slice(-1500)}`).to.equal(false);
  expect(r.code, `${what}: ${r.stderr.slice(-1500)}`).to.not.equal(0);
  const last = r.stderr.trim().split('\n').at(-1)!;
  expect(last, what).to.match(/^pma: PMA_ERR_TRANSPORT: corrupt record batch in the embedded log: checksum mismatch/);
  for (const part of [`path=${d.path}`, `topic=${d.topic}`, `partition=${d.partition}`, `offset=${d.baseOffset}`, `lastOffset=${d.lastOffset}`]) expect(last, `${what}: ${part}`).to.include(part);
}

describe('pipeline stages on a damaged embedded log', function () {
  this.timeout(240_000);
  const tmp = tempDirPerTest('pma-damaged-');

  it('pma sink (bronze, silver, all) fails naming the damaged batch, and Silver stores no offset past it', async () => {
    await cleanLog(tmp.path);
    const d = damageBatch(tmp.path);
    for (const layer of ['bronze', 'silver', 'all']) {
      const r = await pma(['--data-dir', tmp.path, 'sink', '--layer', layer, '--until-caught-up'], 60_000);
      expectNamesDamage(r, d, `sink --layer ${layer}`);
    }
    const silver = join(tmp.path, 'silver.duckdb');
    expect(existsSync(silver)).to.equal(true);
    const instance = await DuckDBInstance.create(silver, { access_mode: 'READ_ONLY' });
    const conn = await instance.connect();
    try {
      const rows = (await conn.runAndReadAll(`SELECT next_offset FROM silver_offsets WHERE topic = '${d.topic}' AND "partition" = ${d.partition}`)).getRows();
      for (const [next] of rows) expect(Number(next), 'Silver went past the damaged batch').to.be.at.most(d.baseOffset);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });

  it('pma sink refuses a log that ends before what Bronze and Silver already hold (the log emptied or replaced by an older copy)', async () => {
    await cleanLog(tmp.path);
    const first = await pma(['--data-dir', tmp.path, 'sink', '--layer', 'all', '--until-caught-up'], 60_000);
    expect(first.code, first.stderr).to.equal(0);
    const log = embeddedLogPath(tmp.path);
    for (const side of ['-wal', '-shm']) rmSync(`${log}${side}`, { force: true });
    truncateSync(log, 0);
    for (const layer of ['bronze', 'silver', 'all']) {
      const r = await pma(['--data-dir', tmp.path, 'sink', '--layer', layer, '--until-caught-up'], 60_000);
      expect(r.code, `--layer ${layer}: ${r.stderr.slice(-1500)}`).to.not.equal(0);
      const last = r.stderr.trim().split('\n').at(-1)!;
      expect(last, `--layer ${layer}`).to.match(
        /^pma: PMA_ERR_SINK: (Bronze|Silver) holds pma\.\w+\[\d\] up to offset \d+, but .*log\.sqlite ends at offset 0: the log was replaced, truncated or damaged/,
      );
      expect(last, `--layer ${layer}`).to.include(`log=${log}`);
    }
  });

  it('pma run fails with the damaged batch as its cause, not the request the failure cut short', async () => {
    // A run that went well leaves ingest cursors: the next run's ingest starts with requests at once, and the failure cuts one short.
    const first = await pma(['--data-dir', tmp.path, 'run', '--source', 'sim', '--sim-markets', '4', '--no-gold'], 180_000);
    expect(first.code, first.stderr).to.equal(0);
    for (const output of ['bronze', 'silver.duckdb', 'silver.duckdb.wal', 'silver.snapshot.duckdb']) rmSync(join(tmp.path, output), { recursive: true, force: true });
    const d = damageBatch(tmp.path);
    const r = await pma(['--data-dir', tmp.path, 'run', '--source', 'sim', '--sim-markets', '4', '--no-gold'], 180_000);
    expectNamesDamage(r, d, 'run');
    expect(r.stderr).to.not.match(/request not started/);
  });
});
