/**
 * `pma bench transport --transport kafka --clients kafkajs,platformatic,java`: every Node client
 * produces the same Avro trade records (encoded through our registry serde, murmur2 partitions,
 * acks=all, idempotent, the same batches and sends in flight) into a fresh topic of the same
 * layout, then reads them back in a new group and decodes each; Java's ProducerPerformance and
 * ConsumerPerformance run against the same broker in the same run. Each client's rates are
 * printed as a share of Java's, the figure the client choice rests on (issue 15).
 *
 * Every client must hand back exactly what was produced: the count, and a checksum over each
 * record's key and its decoded transaction hash; a record whose decoded market is not its key
 * counts as a mismatch.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import type { TopicCodec } from '../../registry/serde.ts';
import { BenchError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { partitionForKey } from '../../transport/partitioner.ts';
import type { Transport } from '../../transport/types.ts';
import type { JavaPerfResult } from '../kafka-java.ts';
import { perSecond, type Rate, timed } from '../measure.ts';
import { type BenchTrade, makeTrades } from '../transport.ts';
import type { BenchClient, BenchRecord } from './types.ts';

export const CLIENT_NAMES = ['kafkajs', 'platformatic', 'confluent', 'java'] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];

/** "kafkajs,platformatic,java" -> the names, in the order given; unknown names are refused. */
export function parseClients(list: string): ClientName[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !(CLIENT_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new BenchError(`--clients takes a comma-separated list of ${CLIENT_NAMES.join(', ')}; got "${list}"`, { clients: list });
  }
  return [...new Set(names)] as ClientName[];
}

export interface ClientCompareOptions {
  records: number;
  batch: number;
  partitions: number;
  inflight: number;
  /** How long a consumer may get nothing before the bench gives up. */
  idleMs: number;
}

export interface ClientRun {
  client: string;
  produce: Rate;
  consume: Rate;
  consumed: number;
  checksum: number;
  /** Records whose decoded condition id is not their key. */
  mismatched: number;
}

export interface ClientComparison {
  options: ClientCompareOptions;
  recordBytes: number;
  expected: { records: number; checksum: number };
  runs: ClientRun[];
  java?: JavaPerfResult;
  machine: { cpus: number; loadAverage: number[]; loadAverageAfter: number[] };
}

/** FNV-1a, 32 bits, over the bytes of a latin1 string (keys and hashes are ASCII). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Order-free (partitions interleave differently per client) and sensitive to a lost or doubled record. */
const CHECKSUM_MOD = 2 ** 48;
const recordSum = (key: string, transactionHash: string) => fnv1a(key) + fnv1a(transactionHash) * 2 ** 15;

export type JavaRunner = (recordBytes: number) => Promise<JavaPerfResult>;

/** Runs every client in `clients` one after the other on its own topic, then Java if given. */
export async function runClientComparison(
  transport: Transport,
  codec: TopicCodec<BenchTrade>,
  clients: BenchClient[],
  java: JavaRunner | undefined,
  options: ClientCompareOptions,
  topicPrefix: string,
  logger: Logger,
): Promise<ClientComparison> {
  const loadAverage = loadavg();
  const { records: count, batch } = options;
  const trades = makeTrades(count);
  // Warm the serde up, so the first client does not pay for its JIT.
  for (const t of trades.slice(0, 20_000)) codec.decodeSync(codec.encode(t));
  let expectedSum = 0;
  for (const t of trades) expectedSum = (expectedSum + recordSum(t.conditionId, t.transactionHash)) % CHECKSUM_MOD;

  const runs: ClientRun[] = [];
  let bytes = 0;
  for (const client of clients) {
    const name = `pma.bench.clients.${client.name}.${randomUUID().slice(0, 8)}`;
    const topic = { name, wire: `${topicPrefix}${name}` };
    await transport.admin().createTopics([{ name, partitions: options.partitions }]);
    try {
      logger.info('bench clients: producing', { client: client.name, topic: name, records: count });
      const producer = await client.producer(topic);
      let sentBytes = 0;
      const produced = await timed(async () => {
        const inFlight = new Set<Promise<unknown>>();
        for (let i = 0; i < count; i += batch) {
          const end = Math.min(count, i + batch);
          const records: BenchRecord[] = new Array(end - i);
          for (let j = i; j < end; j++) {
            const t = trades[j]!;
            const key = Buffer.from(t.conditionId, 'latin1');
            const value = codec.encode(t);
            sentBytes += key.length + value.length;
            records[j - i] = { key, value, partition: partitionForKey(key, options.partitions) };
          }
          const sent = producer.send(records).finally(() => inFlight.delete(sent));
          inFlight.add(sent);
          if (inFlight.size >= options.inflight) await Promise.race(inFlight);
        }
        await Promise.all(inFlight);
      });
      await producer.close();
      bytes = sentBytes;

      logger.info('bench clients: consuming', { client: client.name, topic: name });
      let consumed = 0;
      let checksum = 0;
      let mismatched = 0;
      const read = await timed(() =>
        client.consume(topic, count, options.idleMs, (key, value) => {
          const t = codec.decodeSync(value);
          const k = key.toString('latin1');
          if (t.conditionId !== k) mismatched++;
          checksum = (checksum + recordSum(k, t.transactionHash)) % CHECKSUM_MOD;
          consumed++;
        }),
      );
      const rate = (t: { seconds: number; cpuSeconds: number }, records: number): Rate => ({ records, bytes, seconds: t.seconds, cpuSeconds: t.cpuSeconds });
      runs.push({ client: client.name, produce: rate(produced, count), consume: rate(read, consumed), consumed, checksum, mismatched });
    } finally {
      await client.close();
      await transport
        .admin()
        .deleteTopics([name])
        .catch((err) => logger.warn('bench clients: could not delete its topic', { topic: name, err }));
    }
  }
  const recordBytes = bytes / count;
  const javaResult = java ? await java(recordBytes) : undefined;
  return {
    options,
    recordBytes,
    expected: { records: count, checksum: expectedSum },
    runs,
    ...(javaResult ? { java: javaResult } : {}),
    machine: { cpus: availableParallelism(), loadAverage, loadAverageAfter: loadavg() },
  };
}

/** The clients whose records came back different from what was produced. */
export function clientsReadingWrong(c: ClientComparison): string[] {
  return c.runs.filter((r) => r.consumed !== c.expected.records || r.checksum !== c.expected.checksum || r.mismatched > 0).map((r) => r.client);
}

/** The table: each client's produce and consume rate, and its share of Java's. */
export function formatClientComparison(c: ClientComparison): string {
  const o = c.options;
  const int = (n: number) => Math.round(n).toLocaleString('en-US');
  const pct = (a: number, b: number | undefined) => (b === undefined ? '' : `${((a / b) * 100).toFixed(0)}%`);
  const javaProduce = c.java?.producerTuned.recordsPerSecond;
  const javaConsume = c.java?.consumer.recordsPerSecond;
  const row = (cells: string[]) =>
    `  ${cells[0]!.padEnd(46)}${cells
      .slice(1)
      .map((s) => s.padStart(12))
      .join('')}`;
  const lines = [
    `pma bench transport --clients: ${int(o.records)} trade records (${c.recordBytes.toFixed(0)} B key + value, Avro through the registry serde), ${o.batch} records per send, ${o.inflight} in flight, ${o.partitions} partitions, acks=all, idempotent`,
    `node ${process.version}, ${c.machine.cpus} CPUs, load average ${c.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')} at start, ${c.machine.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')} at end`,
    '',
    row(['client', 'produce/s', 'of Java', 'consume/s', 'of Java', 'records ok']),
  ];
  const wrong = new Set(clientsReadingWrong(c));
  for (const r of c.runs) {
    lines.push(
      row([r.client, int(perSecond(r.produce)), pct(perSecond(r.produce), javaProduce), int(perSecond(r.consume)), pct(perSecond(r.consume), javaConsume), wrong.has(r.client) ? 'NO' : 'yes']),
    );
  }
  if (c.java) {
    const j = c.java;
    lines.push(row([j.producerDefaults.label, int(j.producerDefaults.recordsPerSecond), pct(j.producerDefaults.recordsPerSecond, javaProduce), '', '', '']));
    lines.push(row([j.producerTuned.label, int(j.producerTuned.recordsPerSecond), '100%', '', '', '']));
    lines.push(row([j.consumer.label, '', '', int(j.consumer.recordsPerSecond), '100%', '']));
    lines.push(row([j.consumerFetch.label, '', '', int(j.consumerFetch.recordsPerSecond), pct(j.consumerFetch.recordsPerSecond, javaConsume), '']));
    lines.push('', 'produce = encode through the serde + send, acks=all; consume = poll + decode through the serde; Java moves opaque bytes of the same size (no serde).');
    for (const r of c.runs) {
      const met = (rate: number, of: number) => (rate >= 0.5 * of ? 'met' : 'MISSED');
      lines.push(`goal >= 50% of Java, ${r.client}: produce ${met(perSecond(r.produce), j.producerTuned.recordsPerSecond)}, consume ${met(perSecond(r.consume), j.consumer.recordsPerSecond)}`);
    }
  }
  lines.push('', 'MB/s (keys + values):');
  for (const r of c.runs)
    lines.push(
      `  ${r.client.padEnd(14)} produce ${(r.produce.bytes / r.produce.seconds / 1e6).toFixed(1)} MB/s (cpu ${r.produce.cpuSeconds?.toFixed(2)} s), consume ${(r.consume.bytes / r.consume.seconds / 1e6).toFixed(1)} MB/s (cpu ${r.consume.cpuSeconds?.toFixed(2)} s)`,
    );
  return lines.join('\n');
}
