/**
 * Processors in one group on the real broker (issue 15): several instances enrich as one does
 * (finding 2), and a processor killed mid-ingest duplicates nothing on the clean topics
 * (finding 3; Kafka's transactions system test is the model: seeded input, a client killed hard,
 * input set = output set, zero duplicates).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import { HttpRegistry } from '../../registry/http.ts';
import { Serde } from '../../registry/serde.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { ALL_TOPICS, TOPICS } from '../../schemas/topics.ts';
import { createKafkaTransport } from '../../transport/kafka/index.ts';
import type { Transport } from '../../transport/types.ts';
import { describeNeeding } from '../prerequisite.ts';
import { bareTrade, expectTradesEnriched, gammaMarket, killOneOfThreeMidIngest, startProcessors, waitFor } from '../processors/instances.ts';
import { publishRaw } from '../processors/raw-in.ts';
import { readTopic } from '../sinks/log-harness.ts';
import { type KafkaTestEnv, kafkaAvailability } from './kafka/broker.ts';

const { env: found, missing: noBroker } = await kafkaAvailability();
const env = found as KafkaTestEnv;
const missing = noBroker ?? (env.registryUrl ? undefined : 'no schema registry beside the broker (`npm run kafka:up` starts one)');

const MARKETS = 24;
const PER_MARKET = 10;
describeNeeding(`processors in one group on Kafka (${found?.source ?? 'no broker'})`, missing, function () {
  this.timeout(420_000);
  let transport: Transport;
  let registry: HttpRegistry;
  let serde: Serde;
  let kafkaAdmin: kafkajs.Admin;
  const open = async () => ({ transport: createKafkaTransport({ brokers: env.brokers, clientId: 'pma-processors-test', logger: silentLogger }), serde });

  async function members(groupId: string): Promise<number> {
    const { groups } = await kafkaAdmin.describeGroups([groupId]);
    return groups[0]?.state === 'Stable' ? groups[0].members.length : 0;
  }

  beforeEach(async () => {
    transport = createKafkaTransport({ brokers: env.brokers, clientId: 'pma-processors-test', logger: silentLogger });
    registry = new HttpRegistry({ url: env.registryUrl! });
    serde = new Serde(registry);
    kafkaAdmin = new kafkajs.Kafka({ brokers: env.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await kafkaAdmin.connect();
    // Topic and group names are fixed (one pipeline per cluster): each test starts without them.
    const admin = transport.admin();
    const ours = (await admin.listTopics()).map((t) => t.name).filter((name) => name.startsWith('pma.'));
    if (ours.length > 0) await admin.deleteTopics(ours);
    const groups = (await admin.listGroups()).filter((g) => g.startsWith('pma-process'));
    if (groups.length > 0) await kafkaAdmin.deleteGroups(groups).catch(() => undefined);
    await admin.createTopics(ALL_TOPICS.map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy })));
  });

  afterEach(async () => {
    await kafkaAdmin?.disconnect();
    await transport?.close();
    await registry?.close();
  });

  it('three processors enrich every trade as one does: none unresolved, each fill once', async () => {
    const running = startProcessors(3, open, { retryWaitMs: 5_000 });
    try {
      await waitFor(async () => (await members('pma-process.reference')) === 3 && (await members('pma-process.facts')) === 3, 'three members in both groups', 120_000);
      await publishRaw(
        { transport, serde },
        'rawTrades',
        Array.from({ length: MARKETS * PER_MARKET }, (_, i) => bareTrade(1 + Math.floor(i / PER_MARKET), i % PER_MARKET)),
      );
      await publishRaw(
        { transport, serde },
        'rawGammaMarkets',
        Array.from({ length: MARKETS }, (_, i) => gammaMarket(i + 1)),
      );
      await waitFor(async () => (await readTopic(transport, TOPICS.trades.name)).length >= MARKETS * PER_MARKET, 'every trade on the clean topic', 120_000);
    } finally {
      const results = await running.stop();
      expect(results.reduce((n, r) => n + r.unresolved, 0)).to.equal(0);
    }
    await expectTradesEnriched(serde, await readTopic(transport, TOPICS.trades.name), MARKETS, PER_MARKET);
  });

  it('a processor fenced out of an input partition with no rebalance takes it back from the committed offset: nothing lost, nothing twice', async () => {
    const markets = 40;
    const perMarket = 500;
    await publishRaw(
      { transport, serde },
      'rawGammaMarkets',
      Array.from({ length: markets }, (_, i) => gammaMarket(i + 1)),
    );
    const all = Array.from({ length: markets * perMarket }, (_, i) => bareTrade(1 + (i % markets), Math.floor(i / markets)));
    for (let i = 0; i < all.length; i += 1_000) await publishRaw({ transport, serde }, 'rawTrades', all.slice(i, i + 1_000));
    const committed = async (partition?: number) =>
      (await transport.admin().groupOffsets('pma-process.facts', TOPICS.rawTrades.name)).filter((o) => partition === undefined || o.partition === partition).reduce((n, o) => n + o.offset, 0);
    const running = startProcessors(1, open, { retryWaitMs: 5_000, pollRecords: 100, fencedRetakeMs: 2_000 });
    const intruder = createKafkaTransport({ brokers: env.brokers, clientId: 'pma-intruder', logger: silentLogger });
    try {
      await waitFor(async () => (await committed(0)) > 0, 'the processor under way on partition 0', 120_000);
      // Another producer initialises partition 0's transactional id, as a member that believed it owned it would.
      await intruder.transactionalProducer().claim(intruder.consumer({ groupId: 'pma-process.facts' }), [{ topic: TOPICS.rawTrades.name, partition: 0 }]);
      await waitFor(async () => (await committed()) >= all.length, 'every raw trade committed', 180_000);
    } finally {
      await intruder.close();
      await running.stop();
    }
    await expectTradesEnriched(serde, await readTopic(transport, TOPICS.trades.name), markets, perMarket);
  });

  it('one of three processors killed with SIGKILL mid-ingest: every trade exactly once on the clean topic, enriched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pma-kafka-eos-'));
    try {
      await killOneOfThreeMidIngest({ transport, serde }, ['--data-dir', dir, '--transport', 'kafka', '--brokers', env.brokers.join(','), '--registry', env.registryUrl!]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the broker away for 60 s mid-ingest, then one of three processors and one of three Bronze sinks killed: the clean topic, Bronze and Silver hold every trade exactly once', async function () {
    if (!env.control) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'pma-kafka-eos-'));
    try {
      await killOneOfThreeMidIngest({ transport, serde }, ['--data-dir', dir, '--transport', 'kafka', '--brokers', env.brokers.join(','), '--registry', env.registryUrl!], {
        // Enough trades that the processors are still busy when the broker goes.
        perMarket: 1_500,
        sinksDir: join(dir, 'sinks'),
        bronzeSinks: 3,
        silver: true,
        disrupt: async () => {
          await env.control!.stop();
          // The outage's length is the scenario (longer than kafkajs's retries used to last), not a wait for something.
          await new Promise((resolve) => setTimeout(resolve, 60_000));
          await env.control!.start();
        },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
