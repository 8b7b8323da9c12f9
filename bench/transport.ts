/**
 * `pma bench transport`: produces and consumes N trade-shaped Avro records (Confluent wire
 * format, serde included) through the configured transport, and measures in the same run the
 * ceiling of this machine for the same bytes:
 *   produce ceiling = raw avsc encode with the 5-byte header + sequential file write with one
 *                     fdatasync per batch (the least a durable, acknowledging log must do);
 *   consume ceiling = sequential read of that file with a CRC check per batch + raw avsc decode.
 * Each phase is printed beside its ceiling, as records/s, MB/s (keys + values) and a ratio.
 *
 * The bench talks to the transport through transport/types.ts only, so it runs on any transport
 * (`--transport kafka` uses the configured brokers and registry).
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { z } from 'zod';
import { openRegistry } from '../registry/index.ts';
import { Serde, type TopicCodec } from '../registry/serde.ts';
import { positiveInt } from '../runtime/config.ts';
import { TransportError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import { openTransport } from '../transport/index.ts';
import type { ProduceRecord, Transport } from '../transport/types.ts';
import { type BenchEnv, benchScratch, benchSettings } from './env.ts';
import { collectGarbage, formatRate, formatTable, goalsMet, type Rate, type ResultRow, rawDecoder, rawEncoder, rawRead, rawWrite, rssSampler, serial, type Timing, timed } from './measure.ts';

/** The shape of a Data API trade, as the baseline recipe measured it (12 fields). */
export const BENCH_TRADE_SCHEMA = {
  type: 'record',
  name: 'BenchTrade',
  namespace: 'polymarket.bench',
  fields: [
    { name: 'transactionHash', type: 'string' },
    { name: 'logIndex', type: 'int' },
    { name: 'proxyWallet', type: 'string' },
    { name: 'conditionId', type: 'string' },
    { name: 'asset', type: 'string' },
    { name: 'side', type: { type: 'enum', name: 'BenchSide', symbols: ['BUY', 'SELL'] } },
    { name: 'price', type: 'double' },
    { name: 'size', type: 'double' },
    { name: 'timestamp', type: 'long' },
    { name: 'outcome', type: 'string' },
    { name: 'outcomeIndex', type: 'int' },
    { name: 'eventSlug', type: 'string' },
  ],
} as const;

export interface BenchTrade {
  transactionHash: string;
  logIndex: number;
  proxyWallet: string;
  conditionId: string;
  asset: string;
  side: 'BUY' | 'SELL';
  price: number;
  size: number;
  timestamp: number;
  outcome: string;
  outcomeIndex: number;
  eventSlug: string;
}

/**
 * Deterministic trades: unique transaction hashes, wallets from a pool of 50k, 2,000 markets
 * with two 77-digit token ids each. Strings come out of JSON.parse, flat as the API client gets
 * them (concatenated strings would make avsc measurably slower and flatter the ceiling).
 */
export function makeTrades(count: number, seed = 42): BenchTrade[] {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
  const hex = (n: number) => {
    let s = '0x';
    for (let i = 0; i < n; i++) s += Math.floor(next() * 16).toString(16);
    return s;
  };
  const digits = (n: number) => {
    let s = String(1 + Math.floor(next() * 9));
    for (let i = 1; i < n; i++) s += Math.floor(next() * 10);
    return s;
  };
  const wallets = Array.from({ length: Math.min(50_000, count) }, () => hex(40));
  const markets = Array.from({ length: Math.min(2_000, count) }, (_, i) => ({
    conditionId: hex(64),
    assets: [digits(77), digits(77)],
    slug: `will-market-${i}-resolve-yes-by-the-end-of-${2025 + (i % 3)}`,
  }));
  const out: BenchTrade[] = [];
  const chunk = 20_000;
  for (let start = 0; start < count; start += chunk) {
    const part: BenchTrade[] = [];
    for (let i = start; i < Math.min(count, start + chunk); i++) {
      const market = markets[Math.floor(next() * markets.length)]!;
      const outcomeIndex = next() < 0.5 ? 0 : 1;
      part.push({
        transactionHash: hex(64),
        logIndex: Math.floor(next() * 400),
        proxyWallet: wallets[Math.floor(next() * wallets.length)]!,
        conditionId: market.conditionId,
        asset: market.assets[outcomeIndex]!,
        side: next() < 0.5 ? 'BUY' : 'SELL',
        price: Math.round(next() * 1000) / 1000,
        size: Math.round(next() * 1e6) / 100,
        timestamp: 1_735_689_600_000 + i * 37,
        outcome: outcomeIndex === 0 ? 'Yes' : 'No',
        outcomeIndex,
        eventSlug: market.slug,
      });
    }
    out.push(...(JSON.parse(JSON.stringify(part)) as BenchTrade[]));
  }
  return out;
}

export interface TransportBenchOptions {
  records: number;
  batch: number;
  partitions: number;
  /** Sends awaiting acknowledgement at once (1 = each send awaited before the next). */
  inflight: number;
}

export interface TransportBenchResult {
  transport: string;
  options: TransportBenchOptions;
  schemaId: number;
  /** Average bytes of key + value (the value in wire format). */
  recordBytes: number;
  encodeCeiling: Rate;
  writeCeiling: Rate;
  readDecodeCeiling: Rate;
  produce: Rate;
  consume: Rate;
  rows: ResultRow[];
  peakRssBytes: number;
  machine: { cpus: number; loadAverage: number[] };
}

/** Goals of the issue for the embedded transport; shown for any transport as a yardstick. */
export const PRODUCE_GOAL = 250_000;
export const CONSUME_GOAL = 500_000;
export const CEILING_SHARE_GOAL = 0.5;

/**
 * Runs the whole bench on an open transport and codec. `scratchDir` holds the raw ceiling file.
 * The topic is created here and deleted at the end.
 */
export async function runTransportBench(transport: Transport, codec: TopicCodec<BenchTrade>, options: TransportBenchOptions, scratchDir: string, logger: Logger): Promise<TransportBenchResult> {
  const machine = { cpus: availableParallelism(), loadAverage: loadavg() };
  const rss = rssSampler();
  const { records: count, batch, partitions } = options;
  logger.info('bench transport: generating trades', { records: count });
  const trades = makeTrades(count);
  const keyOf = (t: BenchTrade) => Buffer.from(t.conditionId, 'latin1');

  const type = avro.Type.forSchema(BENCH_TRADE_SCHEMA as unknown as avro.Schema);
  const encode = rawEncoder(type, codec.schemaId);
  const decode = rawDecoder(type, codec.schemaId);
  const batchAt = (i: number, enc: (t: BenchTrade) => Buffer) => {
    const end = Math.min(count, (i + 1) * batch);
    const out: Array<{ key: Buffer; value: Buffer }> = new Array(end - i * batch);
    for (let j = i * batch; j < end; j++) {
      const t = trades[j]!;
      out[j - i * batch] = { key: keyOf(t), value: enc(t) };
    }
    return out;
  };
  const batchCount = Math.ceil(count / batch);
  // Warm both encoders and decoders up, so no phase pays for the JIT of another.
  for (const t of trades.slice(0, 20_000)) {
    decode(encode(t));
    codec.decodeSync(codec.encode(t));
  }

  // Ceiling, produce side: raw encode of every batch (as the producer does, results dropped per
  // batch), best of two runs, then the same bytes to a fresh file with one fdatasync per batch.
  let bytes = 0;
  const encodeAll = () => {
    let n = 0;
    for (let i = 0; i < batchCount; i++) for (const r of batchAt(i, encode)) n += r.key.length + r.value.length;
    bytes = n;
  };
  const encoded = bestOf(await timed(encodeAll), await timed(encodeAll));
  const rate = (t: Timing): Rate => ({ records: count, bytes, seconds: t.seconds, cpuSeconds: t.cpuSeconds });
  const rawPath = join(scratchDir, 'raw-ceiling.log');
  collectGarbage();
  const written = rawWrite(rawPath, batchCount, (i) => batchAt(i, encode));

  // The transport, serde included.
  const topic = `pma.bench.transport.${randomUUID().slice(0, 8)}`;
  const admin = transport.admin();
  await admin.createTopics([{ name: topic, partitions }]);
  try {
    const producer = transport.producer({ clientId: 'pma-bench' });
    logger.info('bench transport: producing', { topic, records: count, batch, partitions });
    const produced = await timed(async () => {
      // Up to `inflight` sends awaiting their acknowledgement while the next batch is encoded,
      // as a producing stage with a bounded queue would run; every send is awaited.
      const inFlight = new Set<Promise<unknown>>();
      for (let i = 0; i < count; i += batch) {
        const end = Math.min(count, i + batch);
        const records: ProduceRecord[] = new Array(end - i);
        for (let j = i; j < end; j++) {
          const t = trades[j]!;
          records[j - i] = { key: keyOf(t), value: codec.encode(t) };
        }
        const sent = producer.send(topic, records).finally(() => inFlight.delete(sent));
        inFlight.add(sent);
        if (inFlight.size >= options.inflight) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    });
    await producer.close();

    logger.info('bench transport: consuming', { topic });
    const consumer = transport.consumer({ groupId: `pma-bench-${randomUUID().slice(0, 8)}`, fromBeginning: true, clientId: 'pma-bench' });
    await consumer.subscribe([topic]);
    let checksum = 0;
    const consumed = await timed(async () => {
      let n = 0;
      let idleSince = Date.now();
      const last = new Map<number, number>();
      while (n < count) {
        const got = await consumer.poll({ waitMs: 1_000 });
        if (got.length === 0 && Date.now() - idleSince > 60_000) {
          throw new TransportError(`bench consumer got ${n} of ${count} records and nothing more for 60 s`, { topic });
        }
        for (const b of got) {
          idleSince = Date.now();
          for (const r of b.records) checksum += codec.decodeSync(r.value!, r).price;
          n += b.records.length;
          last.set(b.partition, b.records[b.records.length - 1]!.offset + 1);
        }
      }
      await consumer.commit([...last].map(([partition, offset]) => ({ topic, partition, offset })));
    });
    await consumer.close();

    // Ceiling, consume side: read the raw file back and decode every value.
    let rawChecksum = 0;
    const readAll = () => {
      rawChecksum = 0;
      return rawRead(rawPath, (v) => {
        rawChecksum += (decode(v) as BenchTrade).price;
      });
    };
    const readBack = bestOf(await timed(readAll), await timed(readAll));
    if (readBack.result !== count || Math.abs(rawChecksum - checksum) > 1e-6 * Math.abs(checksum)) {
      throw new TransportError('bench read back different records than it wrote', { topic, expected: count, read: readBack.result });
    }

    const encodeCeiling = rate(encoded);
    const writeCeiling = rate(written);
    const readDecodeCeiling = rate(readBack);
    const produce = rate(produced);
    const consume = rate(consumed);
    const rows: ResultRow[] = [
      { phase: 'produce (encode + send)', measured: produce, ceiling: serial(encodeCeiling, writeCeiling), goal: PRODUCE_GOAL, goalRatio: CEILING_SHARE_GOAL },
      { phase: 'consume (poll + decode)', measured: consume, ceiling: readDecodeCeiling, goal: CONSUME_GOAL, goalRatio: CEILING_SHARE_GOAL },
    ];
    return {
      transport: transport.kind,
      options,
      schemaId: codec.schemaId,
      recordBytes: bytes / count,
      encodeCeiling,
      writeCeiling,
      readDecodeCeiling,
      produce,
      consume,
      rows,
      peakRssBytes: rss.peak(),
      machine,
    };
  } finally {
    rss.stop();
    await admin.deleteTopics([topic]).catch((err) => logger.warn('bench transport: could not delete its topic', { topic, err }));
  }
}

/** The faster of two timings: a ceiling is the best this machine did. */
function bestOf<T extends { seconds: number }>(a: T, b: T): T {
  return a.seconds <= b.seconds ? a : b;
}

/** The human-readable report of a run. */
export function formatTransportBench(r: TransportBenchResult): string {
  const o = r.options;
  return [
    `pma bench transport: ${r.transport}, ${o.records.toLocaleString('en-US')} trade records (${r.recordBytes.toFixed(0)} B key + value, Avro in the Confluent wire format, schema id ${r.schemaId}), ${o.batch} records per send, ${o.inflight} in flight, ${o.partitions} partitions`,
    `node ${process.version}, ${r.machine.cpus} CPUs, load average ${r.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')} at start`,
    '',
    formatTable(r.rows),
    '',
    'measured:',
    `  produce: encode + send                           ${formatRate(r.produce)}`,
    `  consume: poll + decode                           ${formatRate(r.consume)}`,
    'ceiling parts, measured in this run:',
    `  avsc encode + 5-byte header (best of 2)          ${formatRate(r.encodeCeiling)}`,
    `  new file: write + fdatasync per batch            ${formatRate(r.writeCeiling)}`,
    `  read back + CRC + avsc decode (best of 2)        ${formatRate(r.readDecodeCeiling)}`,
    `peak RSS ${(r.peakRssBytes / 1024 / 1024).toFixed(0)} MiB`,
    goalsMet(r.rows) ? 'all goals met' : 'some goals MISSED',
  ].join('\n');
}

const settingsSchema = z
  .object({
    records: positiveInt.default(1_000_000),
    batch: positiveInt.default(1_000),
    partitions: positiveInt.default(4),
    inflight: positiveInt.default(2),
    /** Kafka clients to compare instead of the ceiling bench (bench/kafka-clients/). */
    clients: z.string().optional(),
    json: z.boolean().default(false),
  })
  .strict();

export async function benchTransport(env: BenchEnv, flags: Record<string, unknown>): Promise<void> {
  const settings = benchSettings(env, 'transport', settingsSchema, flags);
  const scratch = benchScratch(env, 'transport');
  const config = { ...env.config, dataDir: env.config.transport === 'embedded' ? scratch : env.config.dataDir };
  const transport = await openTransport(config, env.logger, 'pma-bench');
  env.onClose(() => transport.close());
  const registry = await openRegistry({ registry: env.config.registry, dataDir: scratch });
  env.onClose(() => registry.close());
  const serde = new Serde(registry);
  const codec = await serde.codec<BenchTrade>('pma.bench.transport', BENCH_TRADE_SCHEMA as unknown as Record<string, unknown>);
  if (settings.clients !== undefined) {
    const { benchKafkaClients } = await import('./kafka-clients/command.ts');
    await benchKafkaClients(env, transport, codec, { ...settings, clients: settings.clients });
    return;
  }
  const result = await runTransportBench(transport, codec, settings, scratch, env.logger);
  if (transport.kind === 'kafka') {
    // The Java client's own perf tools against the same broker, in the same run (bench/kafka-java.ts).
    const { runJavaPerf, formatJavaComparison } = await import('./kafka-java.ts');
    const java = await runJavaPerf(
      transport,
      env.config.brokers,
      { records: settings.records, recordBytes: result.recordBytes, partitions: settings.partitions, topicPrefix: env.config.kafka.topicPrefix },
      env.logger,
    );
    const ours = { produce: result.produce.records / result.produce.seconds, consume: result.consume.records / result.consume.seconds };
    process.stdout.write(settings.json ? `${JSON.stringify({ ...result, java }, null, 2)}\n` : `${formatTransportBench(result)}\n\n${formatJavaComparison(ours, java)}\n`);
    return;
  }
  process.stdout.write(settings.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatTransportBench(result)}\n`);
}
