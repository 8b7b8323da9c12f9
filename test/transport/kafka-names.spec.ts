/**
 * Several pipelines on one Kafka cluster (issue 15, finding 8): each with its own topic and group
 * prefix keeps its topics, groups, transactional offsets and registry subjects apart; topics are
 * created with the configured partitions, replication factor and min.insync.replicas; a topic
 * grown past its configured partitions is used as it is (keys hash over the actual count), one
 * with fewer is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import { openRegistry } from '../../registry/index.ts';
import { Serde } from '../../registry/serde.ts';
import type { KafkaConfig } from '../../runtime/kafka-config.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { ALL_TOPICS, TOPICS } from '../../schemas/topics.ts';
import { openTransport } from '../../transport/index.ts';
import { filterKafkajsTimeoutWarning } from '../../transport/kafka/warnings.ts';
import { partitionForKey } from '../../transport/partitioner.ts';
import type { ConsumedRecord, Transport } from '../../transport/types.ts';
import { describeNeeding } from '../prerequisite.ts';
import { bareTrade, gammaMarket } from '../processors/instances.ts';
import { processToEnd, publishRaw } from '../processors/raw-in.ts';
import { readTopic } from '../sinks/log-harness.ts';
import { until } from '../until.ts';
import { type KafkaTestEnv, kafkaAvailability } from './kafka/broker.ts';

const { env: found, missing: noBroker } = await kafkaAvailability();
const env = found as KafkaTestEnv;
const missing = noBroker ?? (found?.registryUrl ? undefined : 'no schema registry beside the broker (`npm run kafka:up` starts one)');

const run = Date.now().toString(36);
const CATALOGUE = ALL_TOPICS.map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy }));

interface Pipeline {
  transport: Transport;
  serde: Serde;
  kafka: KafkaConfig;
  close(): Promise<void>;
}

describeNeeding(`pipelines sharing a Kafka cluster (${found?.source ?? 'no broker'})`, missing, function () {
  this.timeout(180_000);
  let raw: kafkajs.Admin;
  const opened: Pipeline[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'pma-kafka-names-'));

  /** A pipeline as the CLI opens one: transport and registry from the same `kafka:` settings. */
  async function pipeline(prefix: string, layout: Partial<Pick<KafkaConfig, 'defaults' | 'topics'>> = {}): Promise<Pipeline> {
    const kafka: KafkaConfig = { topicPrefix: prefix, groupPrefix: prefix, defaults: {}, topics: {}, ...layout };
    const config = { transport: 'kafka' as const, brokers: env.brokers, dataDir, registry: env.registryUrl!, kafka };
    const transport = await openTransport(config, silentLogger, 'pma-names-test');
    const registry = await openRegistry(config);
    const p: Pipeline = {
      transport,
      serde: new Serde(registry),
      kafka,
      async close() {
        const topics = (await transport.admin().listTopics()).map((t) => t.name);
        if (topics.length > 0) await transport.admin().deleteTopics(topics);
        await transport.close();
        await registry.close();
      },
    };
    opened.push(p);
    return p;
  }

  before(async () => {
    // The raw client is made before any of ours, which would install the filter of kafkajs's warning.
    filterKafkajsTimeoutWarning();
    raw = new kafkajs.Kafka({ brokers: env.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await raw.connect();
  });

  afterEach(async () => {
    for (const p of opened.splice(0)) await p.close();
  });

  after(async () => {
    await raw?.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function ingest(p: Pipeline, markets: number, perMarket: number): Promise<void> {
    await publishRaw(
      p,
      'rawGammaMarkets',
      Array.from({ length: markets }, (_, i) => gammaMarket(i + 1)),
    );
    await publishRaw(
      p,
      'rawTrades',
      Array.from({ length: markets * perMarket }, (_, i) => bareTrade(1 + Math.floor(i / perMarket), i % perMarket)),
    );
  }

  async function committed(p: Pipeline, group: string, topic: string): Promise<number> {
    return (await p.transport.admin().groupOffsets(group, topic)).reduce((n, o) => n + o.offset, 0);
  }

  it('two pipelines with different prefixes on one broker keep their topics, groups, offsets and subjects apart', async () => {
    const a = await pipeline(`a${run}.`);
    const b = await pipeline(`b${run}.`);
    await a.transport.admin().createTopics(CATALOGUE);
    await b.transport.admin().createTopics(CATALOGUE);
    await ingest(a, 3, 5);
    expect((await processToEnd(a)).emitted.trades).to.equal(15);
    await ingest(b, 2, 2);
    // Had b seen a's committed offsets, it would process nothing; had it seen a's records, 19.
    expect((await processToEnd(b)).emitted.trades).to.equal(4);

    const wire = await raw.listTopics();
    expect(wire).to.include.members([`a${run}.pma.trades`, `b${run}.pma.trades`]);
    const aTopics = (await a.transport.admin().listTopics()).map((t) => t.name);
    expect(aTopics).to.have.members(ALL_TOPICS.map((t) => t.name));

    const aTrades = await readTopic(a.transport, TOPICS.trades.name);
    expect(aTrades).to.have.length(15);
    expect(new Set(aTrades.map((r) => r.topic))).to.deep.equal(new Set([TOPICS.trades.name]));
    expect(await readTopic(b.transport, TOPICS.trades.name)).to.have.length(4);

    // The processors commit their input offsets inside transactions: under each pipeline's own group.
    expect(await committed(a, 'pma-process.facts', TOPICS.rawTrades.name)).to.equal(15);
    expect(await committed(b, 'pma-process.facts', TOPICS.rawTrades.name)).to.equal(4);
    const wireGroups = (await raw.listGroups()).groups.map((g) => g.groupId);
    expect(wireGroups).to.include.members([`a${run}.pma-process.facts`, `b${run}.pma-process.facts`]);
    const aGroups = await a.transport.admin().listGroups();
    expect(aGroups).to.include('pma-process.facts');
    expect(aGroups.filter((g) => g.includes(run))).to.deep.equal([]);
    const lag = await a.transport.admin().lag('pma-process.facts', TOPICS.rawTrades.name);
    expect(lag.reduce((n, p) => n + p.lag, 0)).to.equal(0);

    const subjects = await (await fetch(`${env.registryUrl}/subjects`)).json();
    expect(subjects).to.include.members([`a${run}.pma.trades-value`, `b${run}.pma.trades-value`]);
    const codec = await a.serde.codecFor(TOPICS.trades);
    expect(codec.subject).to.equal('pma.trades-value');
  });

  it('creates topics with the configured partitions, replication factor and min.insync.replicas, and names a replication factor the broker refuses', async () => {
    const topic = 'pma.layout';
    const p = await pipeline(`l${run}.`, { defaults: { replicationFactor: 1, minInsyncReplicas: 1 }, topics: { [topic]: { partitions: 6 } } });
    await p.transport.admin().createTopics([{ name: topic, partitions: 4 }]);
    const wireName = `l${run}.${topic}`;
    const { topics } = await raw.fetchTopicMetadata({ topics: [wireName] });
    expect(topics[0]!.partitions).to.have.length(6);
    for (const partition of topics[0]!.partitions) expect(partition.replicas).to.have.length(1);
    const configs = await raw.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: wireName, configNames: ['min.insync.replicas'] }] });
    expect(configs.resources[0]!.configEntries[0]).to.include({ configName: 'min.insync.replicas', configValue: '1', isDefault: false });
    expect(await p.transport.admin().describeTopic(topic)).to.include({ name: topic, partitions: 6 });

    const brokers = (await raw.describeCluster()).brokers.length;
    const tooMany = await pipeline(`r${run}.`, { defaults: { replicationFactor: brokers + 1 } });
    const error = await tooMany.transport
      .admin()
      .createTopics([{ name: topic, partitions: 1 }])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).to.have.property('code', 'PMA_ERR_TOPIC');
    expect((error as Error).message).to.match(new RegExp(`refused replication factor ${brokers + 1} for 1 new topic.*cannot exceed the brokers`));
    expect((error as { context: Record<string, unknown> }).context).to.include({ topics: topic, field: 'replicationFactor' });
  });

  it('a topic grown from 4 to 8 partitions: stages start, new keys land by murmur2 over 8, nothing is lost', async () => {
    const prefix = `g${run}.`;
    const before = await pipeline(prefix);
    await before.transport.admin().createTopics(CATALOGUE);
    await ingest(before, 4, 5);
    await raw.createPartitions({
      topicPartitions: [TOPICS.rawTrades.name, TOPICS.trades.name].map((t) => ({ topic: `${prefix}${t}`, count: 8 })),
    });
    await waitForPartitions(raw, `${prefix}${TOPICS.trades.name}`, 8);

    // A stage started now finds its topics with 8 partitions where the catalogue says 4.
    const after = await pipeline(prefix);
    await after.transport.admin().createTopics(CATALOGUE);
    expect(await after.transport.admin().describeTopic(TOPICS.rawTrades.name)).to.include({ partitions: 8 });
    const more = Array.from({ length: 4 * 5 }, (_, i) => bareTrade(1 + Math.floor(i / 5), 100 + (i % 5)));
    await publishRaw(after, 'rawTrades', more);
    const rawTrades = await readTopic(after.transport, TOPICS.rawTrades.name);
    expect(rawTrades).to.have.length(40);
    const newKeys = new Set(more.map((m) => m.key));
    const grown = rawTrades.filter((r) => newKeys.has(r.key!.toString()));
    expect(grown).to.have.length(20);
    for (const r of grown) expect(r.partition, `raw key ${r.key}`).to.equal(partitionForKey(r.key!, 8));
    expect(new Set(grown.map((r) => r.partition)).size, 'new keys spread beyond the first 4 partitions').to.be.greaterThan(4);

    expect((await processToEnd(after)).emitted.trades).to.equal(40);
    const trades = await readTopic(after.transport, TOPICS.trades.name);
    expect(trades).to.have.length(40);
    for (const r of trades) expect(r.partition, `clean key ${r.key}`).to.equal(partitionForKey(r.key!, 8));
  });

  it('a producer that counted 4 partitions before the growth sends to partition 7 at once', async () => {
    const prefix = `e${run}.`;
    const topic = 'pma.explicit';
    const p = await pipeline(prefix);
    await p.transport.admin().createTopics([{ name: topic, partitions: 4 }]);
    const producer = p.transport.producer();
    await producer.send(topic, [{ key: null, value: Buffer.from('before'), partition: 3 }]);
    await raw.createPartitions({ topicPartitions: [{ topic: `${prefix}${topic}`, count: 8 }] });
    await waitForPartitions(raw, `${prefix}${topic}`, 8);
    const [meta] = await producer.send(topic, [{ key: null, value: Buffer.from('after'), partition: 7 }]);
    expect(meta).to.include({ topic, partition: 7 });
    await producer.close();
  });

  it('a transactional step into an output topic grown since its producer last looked writes every record', async () => {
    const prefix = `x${run}.`;
    const p = await pipeline(prefix);
    const admin = p.transport.admin();
    await admin.createTopics([
      { name: 'pma.in', partitions: 1 },
      { name: 'pma.out', partitions: 4 },
    ]);
    const producer = p.transport.producer();
    await producer.send('pma.in', [
      { key: null, value: Buffer.from('a') },
      { key: null, value: Buffer.from('b') },
    ]);
    await producer.close();
    const consumer = p.transport.consumer({ groupId: 'steps' });
    await consumer.subscribe(['pma.in']);
    while (consumer.position('pma.in', 0) !== 2) await consumer.poll({ waitMs: 500 });
    const tx = p.transport.transactionalProducer();
    const keys = Array.from({ length: 40 }, (_, i) => Buffer.from(`k${i}`));
    const out = (era: string) => [{ topic: 'pma.out', records: keys.map((key) => ({ key, value: Buffer.from(era) })) }];
    await tx.commitStep(consumer, { topic: 'pma.in', partition: 0, offset: 1 }, out('4'));
    await raw.createPartitions({ topicPartitions: [{ topic: `${prefix}pma.out`, count: 8 }] });
    await waitForPartitions(raw, `${prefix}pma.out`, 8);
    // Our count is read anew here; the step's kafkajs producer still has the metadata of 4 partitions.
    expect(await admin.describeTopic('pma.out')).to.include({ partitions: 8 });
    await tx.commitStep(consumer, { topic: 'pma.in', partition: 0, offset: 2 }, out('8'));
    // A read bounded by end offsets taken from metadata that still counts 4 partitions stops short of the new ones: read until all 80 are seen (a lost record keeps it short).
    let written: ConsumedRecord[] = [];
    await until(
      async () => {
        written = await readTopic(p.transport, 'pma.out');
        return written.length >= 80;
      },
      'every record of both steps in pma.out',
      30_000,
      500,
    ).catch(() => undefined);
    expect(written).to.have.length(80);
    for (const r of written.filter((w) => w.value!.toString() === '8')) expect(r.partition, `key ${r.key}`).to.equal(partitionForKey(r.key!, 8));
    expect((await admin.groupOffsets('steps', 'pma.in'))[0]).to.include({ offset: 2 });
  });

  it('refuses a topic with fewer partitions than configured, naming topic, expected and actual', async () => {
    const prefix = `f${run}.`;
    const topic = 'pma.fewer';
    await (await pipeline(prefix)).transport.admin().createTopics([{ name: topic, partitions: 4 }]);
    const wants8 = await pipeline(prefix, { topics: { [topic]: { partitions: 8 } } });
    const error = await wants8.transport
      .admin()
      .createTopics([{ name: topic, partitions: 4 }])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).to.have.property('code', 'PMA_ERR_TOPIC');
    expect((error as Error).message).to.equal(`topic "${topic}" exists with 4 partitions, fewer than the 8 configured`);
    expect((error as { context: Record<string, unknown> }).context).to.include({ topic, expected: 8, actual: 4 });
  });
});

/** Metadata is eventually consistent across a broker's requests: wait until the new count shows. */
async function waitForPartitions(admin: kafkajs.Admin, topic: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    if (topics[0]?.partitions.length === count && topics[0].partitions.every((p) => p.leader >= 0)) return;
    if (Date.now() > deadline) throw new Error(`${topic} never showed ${count} partitions with leaders`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
