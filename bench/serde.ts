/**
 * `pma bench serde`: encodes and decodes N trade-shaped records through a TopicCodec (Confluent
 * wire format, schema registered in a scratch embedded registry) beside raw avsc with a
 * hand-written 5-byte header on the same records, in the same run. Phases alternate for a few
 * rounds and each reports its median, so machine noise hits both sides alike.
 * Goal: the codec keeps at least 80% of raw avsc's records/s for encode and decodeSync.
 */
import avro from 'avsc';
import { z } from 'zod';
import { openRegistry } from '../registry/index.ts';
import { Serde, type TopicCodec } from '../registry/serde.ts';
import { positiveInt } from '../runtime/config.ts';
import { type BenchEnv, benchScratch, benchSettings } from './env.ts';
import { formatTable, goalsMet, type Rate, type ResultRow, rawDecoder, rawEncoder, timed } from './measure.ts';
import { BENCH_TRADE_SCHEMA, type BenchTrade, makeTrades } from './transport.ts';

export const SERDE_CEILING_SHARE_GOAL = 0.8;

export interface SerdeBenchResult {
  records: number;
  rounds: number;
  recordBytes: number;
  schemaId: number;
  rows: ResultRow[];
}

/** Runs the phases `rounds` times over the same records; each phase's median round counts. */
export async function runSerdeBench(codec: TopicCodec<BenchTrade>, records: number, rounds: number): Promise<SerdeBenchResult> {
  const trades = makeTrades(records);
  const type = avro.Type.forSchema(BENCH_TRADE_SCHEMA as unknown as avro.Schema);
  const rawEncode = rawEncoder(type, codec.schemaId);
  const rawDecode = rawDecoder(type, codec.schemaId);
  const messages: Buffer[] = new Array(records);
  let bytes = 0;
  for (let i = 0; i < records; i++) {
    messages[i] = codec.encode(trades[i]!);
    bytes += messages[i]!.length;
  }
  // Warm every path up, so no phase pays for the JIT of another.
  for (let i = 0; i < Math.min(records, 50_000); i++) {
    rawDecode(rawEncode(trades[i]!));
    codec.decodeSync(codec.encode(trades[i]!));
  }

  const phases: Record<string, () => Promise<void> | void> = {
    rawEncode: () => {
      for (let i = 0; i < records; i++) rawEncode(trades[i]!);
    },
    encode: () => {
      for (let i = 0; i < records; i++) codec.encode(trades[i]!);
    },
    rawDecode: () => {
      for (let i = 0; i < records; i++) rawDecode(messages[i]!);
    },
    decodeSync: () => {
      for (let i = 0; i < records; i++) codec.decodeSync(messages[i]!);
    },
    decode: async () => {
      for (let i = 0; i < records; i++) await codec.decode(messages[i]!);
    },
  };
  const seconds: Record<string, number[]> = Object.fromEntries(Object.keys(phases).map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, phase] of Object.entries(phases)) seconds[name]!.push((await timed(phase)).seconds);
  }
  const rate = (name: string): Rate => ({ records, bytes, seconds: median(seconds[name]!) });
  return {
    records,
    rounds,
    recordBytes: bytes / records,
    schemaId: codec.schemaId,
    rows: [
      { phase: 'TopicCodec.encode', measured: rate('encode'), ceiling: rate('rawEncode'), goalRatio: SERDE_CEILING_SHARE_GOAL },
      { phase: 'TopicCodec.decodeSync', measured: rate('decodeSync'), ceiling: rate('rawDecode'), goalRatio: SERDE_CEILING_SHARE_GOAL },
      { phase: 'TopicCodec.decode (await each)', measured: rate('decode'), ceiling: rate('rawDecode') },
    ],
  };
}

export function formatSerdeBench(r: SerdeBenchResult): string {
  return [
    `pma bench serde: ${r.records.toLocaleString('en-US')} trade records of ${r.recordBytes.toFixed(0)} B (wire format, schema id ${r.schemaId}), median of ${r.rounds} rounds; ceiling = raw avsc with a hand-written 5-byte header`,
    '',
    formatTable(r.rows),
    '',
    goalsMet(r.rows) ? 'all goals met' : 'some goals MISSED',
  ].join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const settingsSchema = z
  .object({
    records: positiveInt.default(1_000_000),
    rounds: positiveInt.default(3),
    json: z.boolean().default(false),
  })
  .strict();

export async function benchSerde(env: BenchEnv, flags: Record<string, unknown>): Promise<void> {
  const settings = benchSettings(env, 'serde', settingsSchema, flags);
  const scratch = benchScratch(env, 'serde');
  const registry = await openRegistry({ registry: env.config.registry, dataDir: scratch });
  env.onClose(() => registry.close());
  const codec = await new Serde(registry).codec<BenchTrade>('pma.bench.serde', BENCH_TRADE_SCHEMA as unknown as Record<string, unknown>);
  const result = await runSerdeBench(codec, settings.records, settings.rounds);
  process.stdout.write(settings.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatSerdeBench(result)}\n`);
}
