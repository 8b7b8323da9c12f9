/**
 * Consumers we did not write: Python's confluent-kafka (librdkafka) with its Schema Registry
 * client reads what `pma` produced through the registry to the same values, and `pma` reads what
 * it produced; keys land on the same partitions from both clients (Java's murmur2).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { HttpRegistry } from '../../registry/http.ts';
import { Serde } from '../../registry/serde.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { loadSchema } from '../../schemas/index.ts';
import { createKafkaTransport } from '../../transport/kafka/index.ts';
import { partitionForKey } from '../../transport/partitioner.ts';
import type { Transport } from '../../transport/types.ts';
import { describeNeeding, pythonWith } from '../prerequisite.ts';
import { type KafkaTestEnv, kafkaAvailability, repoRoot, uniqueTopic } from './kafka/broker.ts';

const { env: found, missing: noBroker } = await kafkaAvailability();
// Undefined while the suite is pending; only hooks and tests read it, and those do not run then.
const env = found as KafkaTestEnv;
const SCRIPT = join(repoRoot, 'test/transport/kafka/third_party.py');
const TRADE_SCHEMA = join(repoRoot, 'schemas/trade.avsc');
const PARTITIONS = 5;

/** Runs the Python client; resolves with its JSON output lines, rejects with its stderr. */
function runPython(python: string, args: string[], input = ''): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`third_party.py ${args[0]} exited ${code}: ${err.trim()}`));
      else
        resolve(
          out
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, unknown>),
        );
    });
    child.stdin.end(input);
  });
}

/** Trade values over the schema's whole range: any Unicode text, finite doubles, nulls in unions. */
function tradeValues(n: number, seed: number): Array<Record<string, unknown>> {
  const text = fc.string({ unit: 'grapheme', maxLength: 40 });
  const optional = fc.option(text, { nil: null });
  const double = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0));
  const trade = fc.record({
    trade_id: text,
    timestamp: fc.integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 }),
    condition_id: text,
    token_id: optional,
    outcome: optional,
    outcome_index: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { nil: null }),
    event_id: optional,
    event_slug: optional,
    side: fc.constantFrom('BUY', 'SELL'),
    role: fc.constantFrom('MAKER', 'TAKER', 'UNKNOWN'),
    price: double,
    size: double,
    transaction_hash: text,
    proxy_wallet: text,
    title: optional,
    market_slug: optional,
    name: optional,
    pseudonym: optional,
    unresolved: fc.boolean(),
  });
  return fc.sample(trade, { numRuns: n, seed });
}

const { python, missing: noPython } = pythonWith(['confluent_kafka.schema_registry.avro']);
const missing = noBroker ?? noPython ?? (env.registryUrl ? undefined : 'no schema registry beside the broker (`npm run kafka:up` starts one)');

describeNeeding(`third-party Kafka clients: Python confluent-kafka (${found?.source ?? 'no broker'})`, missing, function () {
  this.timeout(180_000);
  let transport: Transport;
  let registry: HttpRegistry;

  before(() => {
    transport = createKafkaTransport({ brokers: env.brokers, clientId: 'pma-python-test', logger: silentLogger });
    registry = new HttpRegistry({ url: env.registryUrl! });
  });

  after(async () => {
    await transport?.close();
    await registry?.close();
  });

  it('Python AvroDeserializer reads what pma produced, through the registry, to the same values', async () => {
    const topic = uniqueTopic('py-reads');
    await transport.admin().createTopics([{ name: topic, partitions: PARTITIONS }]);
    const codec = await new Serde(registry).codec<Record<string, unknown>>(topic, loadSchema('trade'));
    const values = tradeValues(300, 20_261_124);
    const meta = await transport.producer().send(
      topic,
      values.map((v, i) => ({ key: Buffer.from(`trade-${i}`), value: codec.encode(v) })),
    );
    const read = await runPython(python!, ['consume', env.brokers.join(','), env.registryUrl!, topic, String(values.length), uniqueTopic('py')]);
    expect(read).to.have.length(values.length);
    const byKey = new Map(read.map((r) => [r.key as string, r]));
    for (const [i, value] of values.entries()) {
      const got = byKey.get(`trade-${i}`);
      expect(got, `trade-${i}`).to.not.equal(undefined);
      expect(got!.value, `value of trade-${i}`).to.deep.equal(value);
      expect(got!.partition).to.equal(meta[i]!.partition);
      expect(got!.offset).to.equal(meta[i]!.offset);
    }
  });

  it('pma reads what Python produced with a registered schema, and both put a key on the same partition', async () => {
    const topic = uniqueTopic('py-writes');
    await transport.admin().createTopics([{ name: topic, partitions: PARTITIONS }]);
    const values = tradeValues(200, 7);
    const keys = values.map((_, i) => `key-${i}-${'x'.repeat(i % 13)}`);
    const input = values.map((value, i) => JSON.stringify({ key: keys[i], value })).join('\n');
    const delivered = await runPython(python!, ['produce', env.brokers.join(','), env.registryUrl!, topic, TRADE_SCHEMA], input);
    expect(delivered).to.have.length(values.length);

    // The same keys produced by pma land where librdkafka (murmur2_random) put them.
    const ours = await transport.producer().send(
      topic,
      keys.map((k) => ({ key: Buffer.from(k), value: null })),
    );
    const pythonPartition = new Map(delivered.map((d) => [d.key as string, d.partition as number]));
    for (const [i, key] of keys.entries()) {
      expect(ours[i]!.partition, `partition of ${key}`).to.equal(pythonPartition.get(key));
      expect(ours[i]!.partition).to.equal(partitionForKey(Buffer.from(key), PARTITIONS));
    }

    const codec = await new Serde(registry).codec<Record<string, unknown>>(topic, loadSchema('trade'));
    const consumer = transport.consumer({ groupId: uniqueTopic('g') });
    await consumer.subscribe([topic]);
    const decoded = new Map<string, Record<string, unknown>>();
    const deadline = Date.now() + 60_000;
    while (decoded.size < values.length && Date.now() < deadline) {
      for (const b of await consumer.poll({ waitMs: 500 })) {
        for (const r of b.records) {
          if (r.value === null) continue;
          // Spread: avsc decodes into instances of a generated record class; compare the fields.
          decoded.set(r.key!.toString(), { ...(await codec.decode(r.value, { partition: r.partition, offset: r.offset })) });
        }
      }
    }
    await consumer.close();
    expect(decoded.size).to.equal(values.length);
    for (const [i, key] of keys.entries()) expect(decoded.get(key), key).to.deep.equal(values[i]);
  });
});
