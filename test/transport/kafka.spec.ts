/**
 * The Kafka transport against a real broker: first the shared transport contract, unchanged;
 * then what only Kafka can show (configs on the broker, partitions matching Java's partitioner,
 * bounded fetch buffer, lag read from the broker). The broker restart is in
 * kafka-restart.spec.ts; third-party clients in kafka-python.spec.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import { ConsumerStateError } from '../../runtime/errors.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { createKafkaTransport } from '../../transport/kafka/index.ts';
import { partitionForKey } from '../../transport/partitioner.ts';
import type { Consumer, ProduceRecord, Transport } from '../../transport/types.ts';
import { describeNeeding } from '../prerequisite.ts';
import { until } from '../until.ts';
import { type ContractTransport, transportContract } from './contract.ts';
import { type KafkaTestEnv, kafkaAvailability, uniqueTopic } from './kafka/broker.ts';

const { env: found, missing } = await kafkaAvailability();
// Undefined while the suites are pending; only hooks and tests read it, and those do not run then.
const env = found as KafkaTestEnv;
const source = found?.source ?? 'no broker';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** With a prefix, every name the contract uses is mapped to the wire and back: it must not show. */
async function makeKafka(env: KafkaTestEnv, prefix = ''): Promise<ContractTransport> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pma-kafka-contract-'));
  const kafka = { topicPrefix: prefix, groupPrefix: prefix, defaults: {}, topics: {} };
  return {
    transport: createKafkaTransport({ brokers: env.brokers, clientId: 'pma-contract', logger: silentLogger, names: kafka }),
    openConfig: { transport: 'kafka', brokers: env.brokers, dataDir, kafka },
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

/** Records of a topic from the beginning, read by a throwaway group. */
async function countRecords(transport: Transport, topic: string): Promise<number> {
  const consumer = transport.consumer({ groupId: uniqueTopic('count') });
  await consumer.subscribe([topic]);
  let n = 0;
  for (;;) {
    const batches = await consumer.poll({ waitMs: 1_000 });
    if (batches.length === 0) break;
    for (const b of batches) n += b.records.length;
  }
  await consumer.close();
  return n;
}

/**
 * Makes Kafka's log cleaner compact a topic now: segments roll after 100 ms and are cleanable
 * at once, one marker record rolls the segment holding the test's records, and we wait until
 * the cleaner has removed superseded records (the marker stays in the active segment).
 */
async function forceKafkaCompaction(env: KafkaTestEnv, transport: Transport, topic: string, prefix = ''): Promise<void> {
  const before = await countRecords(transport, topic);
  const admin = new kafkajs.Kafka({ brokers: env.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.TOPIC,
          name: `${prefix}${topic}`,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.ms', value: '100' },
            { name: 'min.cleanable.dirty.ratio', value: '0.001' },
            { name: 'min.compaction.lag.ms', value: '0' },
          ],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
  await sleep(500);
  const producer = transport.producer();
  await producer.send(topic, [{ key: Buffer.from('__pma_roll_segment'), value: Buffer.from('roll') }]);
  await producer.close();
  const deadline = Date.now() + 60_000;
  while ((await countRecords(transport, topic)) >= before + 1) {
    if (Date.now() > deadline) throw new Error(`the log cleaner did not compact ${topic} within 60 s`);
    await sleep(1_000);
  }
}

async function pollUntil(consumer: Consumer, count: number, ms = 30_000) {
  const out: Array<{ partition: number; offset: number; key: string | undefined; value: string | undefined }> = [];
  const deadline = Date.now() + ms;
  while (out.length < count && Date.now() < deadline) {
    for (const b of await consumer.poll({ waitMs: 500 })) {
      for (const r of b.records) out.push({ partition: r.partition, offset: r.offset, key: r.key?.toString(), value: r.value?.toString() });
    }
  }
  return out;
}

/** A transport whose consumers buffer at most `bufferRecords` records, fetched 1 KiB per partition at a time. */
const smallBuffers = (clientId: string, bufferRecords: number) =>
  createKafkaTransport({ brokers: env.brokers, clientId, logger: silentLogger, consumer: { bufferRecords, bufferBytes: 1_000_000, fetchBytesPerPartition: 1_024 } });

const records = (n: number, prefix = 'k'): ProduceRecord[] => Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`${prefix}${i}`), value: Buffer.from(`v${i}`) }));

describeNeeding(`kafka (${source})`, missing, () => {
  transportContract(`kafka (${source})`, () => makeKafka(env), {
    forceCompaction: (transport, topic) => forceKafkaCompaction(env, transport, topic),
    compactsFully: false,
    atomicAcrossPartitions: false,
    rebalanceTimeoutMs: 30_000,
  });

  const prefix = `contract${Date.now().toString(36)}.`;
  transportContract(`kafka with topic and group prefix "${prefix}" (${source})`, () => makeKafka(env, prefix), {
    forceCompaction: (transport, topic) => forceKafkaCompaction(env, transport, topic, prefix),
    compactsFully: false,
    atomicAcrossPartitions: false,
    rebalanceTimeoutMs: 30_000,
  });

  describe(`kafka transport on a real broker (${source})`, function () {
    this.timeout(90_000);
    let transport: Transport;
    let raw: kafkajs.Admin;

    before(async () => {
      transport = createKafkaTransport({ brokers: env.brokers, clientId: 'pma-test', logger: silentLogger });
      raw = new kafkajs.Kafka({ brokers: env.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
      await raw.connect();
    });

    after(async () => {
      await raw?.disconnect();
      await transport?.close();
    });

    it('creates compacted and retention-limited topics with those configs on the broker', async () => {
      const compacted = uniqueTopic('cfg-compact');
      const limited = uniqueTopic('cfg-limited');
      const forever = uniqueTopic('cfg-forever');
      await transport.admin().createTopics([
        { name: compacted, partitions: 2, cleanupPolicy: 'compact' },
        { name: limited, partitions: 1, retentionMs: 3_600_000, retentionBytes: 10_000_000 },
        { name: forever, partitions: 1 },
      ]);
      const { resources } = await raw.describeConfigs({
        includeSynonyms: false,
        resources: [compacted, limited, forever].map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name })),
      });
      const config = (name: string, key: string) => resources.find((r) => r.resourceName === name)?.configEntries.find((e) => e.configName === key)?.configValue;
      expect(config(compacted, 'cleanup.policy')).to.equal('compact');
      expect(config(limited, 'cleanup.policy')).to.equal('delete');
      expect(config(limited, 'retention.ms')).to.equal('3600000');
      expect(config(limited, 'retention.bytes')).to.equal('10000000');
      expect(config(forever, 'retention.ms')).to.equal('-1');
      expect(await transport.admin().describeTopic(compacted)).to.deep.equal({ name: compacted, partitions: 2, cleanupPolicy: 'compact' });
      expect(await transport.admin().describeTopic(limited)).to.deep.equal({
        name: limited,
        partitions: 1,
        cleanupPolicy: 'delete',
        retentionMs: 3_600_000,
        retentionBytes: 10_000_000,
      });
      await transport.admin().deleteTopics([compacted, limited, forever]);
    });

    it('refuses a topic that exists with another partition count, and producing to a missing topic', async () => {
      const topic = uniqueTopic('shape');
      await transport.admin().createTopics([{ name: topic, partitions: 2 }]);
      await transport.admin().createTopics([{ name: topic, partitions: 2 }]);
      let error: unknown;
      await transport
        .admin()
        .createTopics([{ name: topic, partitions: 3 }])
        .catch((e: unknown) => {
          error = e;
        });
      expect(error).to.have.property('code', 'PMA_ERR_TOPIC');
      error = undefined;
      await transport
        .producer()
        .send(uniqueTopic('missing'), records(1))
        .catch((e: unknown) => {
          error = e;
        });
      expect(error).to.have.property('code', 'PMA_ERR_TOPIC');
      await transport.admin().deleteTopics([topic]);
    });

    it('puts each key on the partition Java’s default partitioner picks, and offsets in order', async () => {
      const topic = uniqueTopic('murmur');
      await transport.admin().createTopics([{ name: topic, partitions: 7 }]);
      const sent = records(500);
      const meta = await transport.producer().send(topic, sent);
      for (const [i, m] of meta.entries()) expect(m.partition).to.equal(partitionForKey(sent[i]!.key!, 7));
      const perPartition = new Map<number, number[]>();
      for (const m of meta) perPartition.set(m.partition, [...(perPartition.get(m.partition) ?? []), m.offset]);
      for (const offsets of perPartition.values()) expect(offsets).to.deep.equal(offsets.map((_, i) => i));
      const consumer = transport.consumer({ groupId: uniqueTopic('g') });
      await consumer.subscribe([topic]);
      const got = await pollUntil(consumer, 500);
      for (const r of got) expect(r.partition).to.equal(partitionForKey(Buffer.from(r.key!), 7));
      expect(got).to.have.length(500);
      await consumer.close();
      await transport.admin().deleteTopics([topic]);
    });

    it('splits a send larger than one broker batch into requests, acknowledging every record', async () => {
      const topic = uniqueTopic('big');
      await transport.admin().createTopics([{ name: topic, partitions: 1 }]);
      const value = Buffer.alloc(20_000, 1);
      const meta = await transport.producer().send(
        topic,
        Array.from({ length: 200 }, () => ({ key: null, value })),
      );
      expect(meta.map((m) => m.offset)).to.deep.equal(Array.from({ length: 200 }, (_, i) => i));
      expect((await transport.admin().offsets(topic))[0]).to.include({ low: 0, high: 200 });
      await transport.admin().deleteTopics([topic]);
    });

    it('bounds the fetch buffer when the caller does not poll, then delivers everything in order', async () => {
      const small = smallBuffers('pma-test-small', 100);
      const topic = uniqueTopic('backpressure');
      await small.admin().createTopics([{ name: topic, partitions: 1 }]);
      const producer = small.producer();
      for (let i = 0; i < 100; i++) await producer.send(topic, records(20, `b${i}-`));
      const consumer = small.consumer({ groupId: uniqueTopic('g'), maxRecords: 10 });
      await consumer.subscribe([topic]);
      const buffered = () => (consumer as unknown as { buffered(): { records: number } }).buffered().records;
      const deadline = Date.now() + 3_000;
      let most = 0;
      while (Date.now() < deadline) {
        most = Math.max(most, buffered());
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(most).to.be.above(0);
      // One fetch of at least one producer batch (20 records) may land past the bound.
      expect(most).to.be.at.most(100 + 20 * 2);
      const got = await pollUntil(consumer, 2_000);
      expect(got.map((r) => r.offset)).to.deep.equal(Array.from({ length: 2_000 }, (_, i) => i));
      await small.admin().deleteTopics([topic]);
      await small.close();
    });

    it('fetches a partition again that was paused for a full buffer, taken by another member and given back', async () => {
      // kafkajs keeps a partition's pause across rebalances: regained, it stayed paused while this
      // member had forgotten pausing it, so nothing resumed it (a processor's input partition stuck for good).
      const small = smallBuffers('pma-test-regain', 50);
      const topic = uniqueTopic('regain');
      const groupId = uniqueTopic('g');
      await small.admin().createTopics([{ name: topic, partitions: 2 }]);
      const producer = small.producer();
      for (const partition of [0, 1]) {
        for (let i = 0; i < 10; i++)
          await producer.send(
            topic,
            records(50, `p${partition}-${i}-`).map((r) => ({ ...r, partition })),
          );
      }
      const a = small.consumer({ groupId, maxRecords: 10 });
      await a.subscribe([topic]);
      const buffered = () => (a as unknown as { buffered(): { records: number } }).buffered().records;
      await until(async () => buffered() >= 50, 'the first member’s buffer full, both partitions paused', 30_000);
      const b = small.consumer({ groupId });
      await b.subscribe([topic]);
      await until(async () => a.assignment().length === 1 && b.assignment().length === 1, 'a partition moved to the second member', 60_000);
      await b.close();
      await until(async () => a.assignment().length === 2, 'the partition given back', 60_000);
      const got = await pollUntil(a, 1_000, 30_000);
      const perPartition = [0, 1].map((p) => new Set(got.filter((r) => r.partition === p).map((r) => r.offset)).size);
      expect(perPartition, 'distinct offsets read per partition').to.deep.equal([500, 500]);
      await a.close();
      await small.admin().deleteTopics([topic]);
      await small.close();
    });

    it('a new owner’s claim fences the partition’s last owner before it noticed the rebalance: its later step writes nothing', async () => {
      const input = uniqueTopic('claim-in');
      const output = uniqueTopic('claim-out');
      const groupId = uniqueTopic('g');
      await transport.admin().createTopics([
        { name: input, partitions: 1 },
        { name: output, partitions: 1 },
      ]);
      await transport.producer().send(input, records(5));
      const zombie = transport.consumer({ groupId });
      await zombie.subscribe([input]);
      expect(await pollUntil(zombie, 5)).to.have.length(5);
      const zombieSteps = transport.transactionalProducer();
      const out = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`out${from + i}`) }));
      await zombieSteps.commitStep(zombie, { topic: input, partition: 0, offset: 2 }, [{ topic: output, records: out(0, 2) }]);
      // The next owner, from another process; the zombie's group never rebalanced, so it still believes it owns the partition.
      const other = createKafkaTransport({ brokers: env.brokers, clientId: 'pma-test-claim', logger: silentLogger });
      const owner = other.consumer({ groupId });
      const ownerSteps = other.transactionalProducer();
      await ownerSteps.claim(owner, [{ topic: input, partition: 0 }]);
      const err = await zombieSteps.commitStep(zombie, { topic: input, partition: 0, offset: 5 }, [{ topic: output, records: out(2, 3) }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, 'the zombie’s step').to.be.instanceOf(ConsumerStateError);
      expect((err as ConsumerStateError).context).to.include({ fenced: true });
      expect(await transport.admin().groupOffsets(groupId, input)).to.deep.equal([{ topic: input, partition: 0, offset: 2 }]);
      const reader = transport.consumer({ groupId: uniqueTopic('read') });
      await reader.subscribe([output]);
      expect((await pollUntil(reader, 5, 5_000)).map((r) => r.value)).to.deep.equal(['out0', 'out1']);
      await reader.close();
      await zombie.close();
      await zombieSteps.close();
      await owner.close();
      await ownerSteps.close();
      await other.close();
      await transport.admin().deleteTopics([input, output]);
    });

    it('reads lag and committed offsets from the broker, and seeks by timestamp', async () => {
      const topic = uniqueTopic('lag');
      const groupId = uniqueTopic('g');
      await transport.admin().createTopics([{ name: topic, partitions: 1 }]);
      const producer = transport.producer();
      const base = Date.now() - 10_000;
      await producer.send(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(`t${i}`), timestamp: base + i * 1_000 })),
      );
      const consumer = transport.consumer({ groupId });
      await consumer.subscribe([topic]);
      expect(await pollUntil(consumer, 10)).to.have.length(10);
      await consumer.commit([{ topic, partition: 0, offset: 4 }]);
      expect(await transport.admin().lag(groupId, topic)).to.deep.equal([{ topic, partition: 0, committed: 4, high: 10, lag: 6 }]);
      expect(await transport.admin().groupOffsets(groupId, topic)).to.deep.equal([{ topic, partition: 0, offset: 4 }]);
      await consumer.seekToTimestamp(topic, base + 7_000);
      const replay = await pollUntil(consumer, 3);
      expect(replay.map((r) => r.value)).to.deep.equal(['t7', 't8', 't9']);
      await consumer.close();
      expect(await transport.admin().listGroups()).to.include(groupId);
      await transport.admin().deleteTopics([topic]);
    });

    it('hands a closed member’s partitions to the rest of the group at once (clean leave)', async () => {
      const topic = uniqueTopic('leave');
      const groupId = uniqueTopic('g');
      await transport.admin().createTopics([{ name: topic, partitions: 4 }]);
      const a = transport.consumer({ groupId });
      const b = transport.consumer({ groupId });
      await a.subscribe([topic]);
      await b.subscribe([topic]);
      await pollUntil(a, 1, 4_000);
      expect(a.assignment().length + b.assignment().length).to.equal(4);
      const started = Date.now();
      await b.close();
      await transport.producer().send(topic, records(40));
      const got = await pollUntil(a, 40);
      expect(new Set(got.map((r) => r.partition)).size).to.equal(4);
      // Without a LeaveGroup the broker would wait for the 30 s session timeout.
      expect(Date.now() - started).to.be.below(20_000);
      await a.close();
      await transport.admin().deleteTopics([topic]);
    });
  });
});
