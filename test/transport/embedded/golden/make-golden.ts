/**
 * Writes the golden embedded log that golden.spec.ts opens with the current code, so a change to
 * the stored batch format (batch-codec.ts), the log's tables (schema.ts) or the embedded
 * registry's tables that cannot read what an earlier build wrote fails a test, instead of
 * passing round trips because writer and reader changed together.
 *
 * Run by hand, and only to record a new golden generation, never to make a failing golden spec
 * pass (a failure there means old logs no longer open):
 *
 *   export PATH=/work/main/node_modules/.bin:$PATH
 *   node test/transport/embedded/golden/make-golden.ts [--force] [out-dir]
 *
 * out-dir defaults to this directory; existing files are kept unless --force is given. It writes:
 *   log.sqlite     the log, written through the transport, registry and serde (as the app does)
 *   batch-v1.hex   one batch from batch-codec's encoder (v1 = the format byte it starts with)
 *   expected.json  what both hold, written from the intent below, not read back from the files
 *
 * Deterministic apart from SQLite's own header fields: record timestamps are fixed, offsets come
 * from the intent (and are checked against what the producer reports), and the bookkeeping
 * timestamps the code stamps with Date.now() (created_at, committed_at, compacted_at,
 * updated_at) are set to a fixed instant afterwards; no reader interprets them. The file is then
 * vacuumed into 4 KiB pages (16 KiB pages would make it ~300 KB of mostly empty pages); page size
 * is a property of each file, which the code only chooses for new files, so this is a log an
 * older build could have left. It stays in WAL mode, as the code leaves it, with the WAL
 * checkpointed away.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { EmbeddedRegistry } from '../../../../registry/embedded.ts';
import { Serde } from '../../../../registry/serde.ts';
import { silentLogger } from '../../../../runtime/logger.ts';
import { encodeProduced } from '../../../../transport/embedded/batch-codec.ts';
import { createEmbeddedTransport } from '../../../../transport/embedded/index.ts';
import type { ProduceRecord, TopicSpec } from '../../../../transport/types.ts';
import { bytesOf, type GoldenBatchRecord, type GoldenExpectation, type GoldenRecord, type GoldenTopic, type JsonAvroValue, type JsonBytes, plainHeaders } from './format.ts';

const T0 = Date.UTC(2024, 5, 1, 12, 0, 0);
const BOOKKEEPING_TS = T0 - 3_600_000;
const GOLDEN_PAGE_SIZE = 4096;

// ---- Intent ---------------------------------------------------------------------------------

const TOPICS: TopicSpec[] = [
  // Retention far beyond any test run, so no maintenance pass can touch the fixed 2024 timestamps.
  { name: 'golden.events', partitions: 3, cleanupPolicy: 'delete', retentionMs: 31_536_000_000_000, retentionBytes: 1 << 30 },
  { name: 'golden.compacted', partitions: 1, cleanupPolicy: 'compact' },
  { name: 'golden.trades', partitions: 1, cleanupPolicy: 'delete' },
  { name: 'golden.empty', partitions: 2, cleanupPolicy: 'delete' },
];

const TRADE_V1 = {
  type: 'record',
  name: 'GoldenTrade',
  namespace: 'pma.golden',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'price', type: 'double' },
    { name: 'size', type: 'long' },
    { name: 'side', type: { type: 'enum', name: 'Side', symbols: ['BUY', 'SELL'] } },
  ],
};
const TRADE_V2 = { ...TRADE_V1, fields: [...TRADE_V1.fields, { name: 'note', type: ['null', 'string'], default: null }] };
const MARKET_V1 = {
  type: 'record',
  name: 'GoldenMarket',
  namespace: 'pma.golden',
  fields: [
    { name: 'slug', type: 'string' },
    { name: 'active', type: 'boolean' },
  ],
};
const MARKET_V2 = { ...MARKET_V1, fields: [...MARKET_V1.fields, { name: 'question', type: ['null', 'string'], default: null }] };

/** Registry steps in order; ids are what a fresh registry hands out (1, 2, ...), checked as we go. */
const REGISTRATIONS: Array<{ subject: string; schema: object; expectId: number; expectVersion: number } | { subject: string; compatibility: 'FULL' } | { subject: string; softDeleteVersion: number }> =
  [
    { subject: 'golden.trades-value', schema: TRADE_V1, expectId: 1, expectVersion: 1 },
    { subject: 'golden.trades-value', schema: TRADE_V2, expectId: 2, expectVersion: 2 },
    { subject: 'golden.markets-value', compatibility: 'FULL' },
    { subject: 'golden.markets-value', schema: MARKET_V1, expectId: 3, expectVersion: 1 },
    // The same schema under a second subject keeps its id.
    { subject: 'golden.trades-archive-value', schema: TRADE_V1, expectId: 1, expectVersion: 1 },
    { subject: 'golden.markets-value', schema: MARKET_V2, expectId: 4, expectVersion: 2 },
    { subject: 'golden.markets-value', softDeleteVersion: 2 },
  ];

const SUBJECTS: GoldenExpectation['registry']['subjects'] = [
  { subject: 'golden.markets-value', versions: [{ version: 1, id: 3 }], deletedVersions: [{ version: 2, id: 4 }], compatibility: 'FULL' },
  { subject: 'golden.trades-archive-value', versions: [{ version: 1, id: 1 }], deletedVersions: [], compatibility: null },
  {
    subject: 'golden.trades-value',
    versions: [
      { version: 1, id: 1 },
      { version: 2, id: 2 },
    ],
    deletedVersions: [],
    compatibility: null,
  },
];

const SCHEMAS = [
  { id: 1, schema: TRADE_V1 },
  { id: 2, schema: TRADE_V2 },
  { id: 3, schema: MARKET_V1 },
  { id: 4, schema: MARKET_V2 },
];

/** A record to produce, with the offset the intent says it gets. */
interface Planned {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: JsonBytes;
  value: JsonBytes | JsonAvroValue;
  headers?: Record<string, string>;
}

const utf8 = (s: string): JsonBytes => ({ utf8: s });
const trade = (schemaId: 1 | 2, value: Record<string, unknown>): JsonAvroValue => ({
  avro: { schemaId, value, asLatest: { note: null, ...value } },
});

type Step =
  | { send: Planned[] }
  | { compact: string; removes: Array<{ partition: number; offset: number }> }
  | { commit: string; offsets: Array<{ topic: string; partition: number; offset: number }> }
  | { setGroupOffsets: string; offsets: Array<{ topic: string; partition: number; offset: number }> };

/** Each `send` is one producer call: one transaction, one stored batch per partition. */
const STEPS: Step[] = [
  {
    send: [
      { topic: 'golden.events', partition: 0, offset: 0, timestamp: T0, key: utf8('market-1'), value: utf8('{"price":0.42}'), headers: { 'content-type': 'application/json', source: 'golden' } },
      { topic: 'golden.events', partition: 0, offset: 1, timestamp: T0 + 1000, key: null, value: utf8('no key here') },
      { topic: 'golden.events', partition: 1, offset: 0, timestamp: T0 + 2000, key: utf8('market-2'), value: { hex: '00ff7f80fe' }, headers: { städte: 'Zürich → 東京 🚀', 'emoji-🚀': '✓' } },
      { topic: 'golden.events', partition: 1, offset: 1, timestamp: Date.UTC(2100, 0, 1), key: utf8('future'), value: utf8('from the future') },
    ],
  },
  {
    // Two topics in one send: the events land in one transaction with the compacted topic's first batch.
    send: [
      { topic: 'golden.events', partition: 0, offset: 2, timestamp: T0 + 3000, key: utf8('market-1'), value: utf8(''), headers: { empty: '' } },
      { topic: 'golden.events', partition: 0, offset: 3, timestamp: T0 + 4000, key: utf8('market-3'), value: null, headers: plainHeaders([['__proto__', 'not a prototype']]) },
      { topic: 'golden.events', partition: 2, offset: 0, timestamp: T0 + 5000, key: { hex: '' }, value: utf8('empty key, not a null one') },
      { topic: 'golden.compacted', partition: 0, offset: 0, timestamp: T0 + 10_000, key: utf8('k1'), value: utf8('k1 first') },
      { topic: 'golden.compacted', partition: 0, offset: 1, timestamp: T0 + 11_000, key: utf8('k2'), value: utf8('k2 first') },
      { topic: 'golden.compacted', partition: 0, offset: 2, timestamp: T0 + 12_000, key: utf8('k3'), value: utf8('k3 first') },
    ],
  },
  {
    send: [
      { topic: 'golden.compacted', partition: 0, offset: 3, timestamp: T0 + 13_000, key: utf8('k2'), value: utf8('k2 second'), headers: { revision: '2' } },
      { topic: 'golden.compacted', partition: 0, offset: 4, timestamp: T0 + 14_000, key: utf8('k3'), value: null },
    ],
  },
  // k2 and k3 were overwritten; the tombstone survives (its retention is set beyond any timestamp),
  // so the rewritten batch holds offsets 0, 3, 4: a gap inside one stored batch.
  {
    compact: 'golden.compacted',
    removes: [
      { partition: 0, offset: 1 },
      { partition: 0, offset: 2 },
    ],
  },
  // After compaction, a tail that overwrites k1 again: the reader sees both k1 values.
  {
    send: [
      { topic: 'golden.compacted', partition: 0, offset: 5, timestamp: T0 + 15_000, key: utf8('k1'), value: utf8('k1 second') },
      { topic: 'golden.compacted', partition: 0, offset: 6, timestamp: T0 + 16_000, key: utf8('k4'), value: utf8('Grüße'), headers: { ünïcödé: 'ß', b: '2', a: '1' } },
    ],
  },
  {
    send: [
      { topic: 'golden.trades', partition: 0, offset: 0, timestamp: T0 + 20_000, key: utf8('t-1'), value: trade(1, { id: 't-1', price: 0.5, size: 10, side: 'BUY' }) },
      { topic: 'golden.trades', partition: 0, offset: 1, timestamp: T0 + 21_000, key: utf8('t-2'), value: trade(1, { id: 't-2', price: 0.125, size: 3, side: 'SELL' }) },
      {
        topic: 'golden.trades',
        partition: 0,
        offset: 2,
        timestamp: T0 + 22_000,
        key: utf8('t-3'),
        value: trade(2, { id: 't-3', price: 0.75, size: 1_234_567_890_123, side: 'BUY', note: null }),
        headers: { 'content-type': 'application/vnd.confluent.avro' },
      },
      { topic: 'golden.trades', partition: 0, offset: 3, timestamp: T0 + 23_000, key: utf8('t-4'), value: trade(2, { id: 't-4', price: 1 / 3, size: 7, side: 'SELL', note: 'héllo ✓' }) },
    ],
  },
  {
    commit: 'golden-group',
    offsets: [
      { topic: 'golden.events', partition: 0, offset: 2 },
      { topic: 'golden.events', partition: 1, offset: 1 },
      { topic: 'golden.compacted', partition: 0, offset: 5 },
      { topic: 'golden.trades', partition: 0, offset: 3 },
    ],
  },
  {
    setGroupOffsets: 'golden-admin-set',
    offsets: [
      { topic: 'golden.events', partition: 2, offset: 1 },
      { topic: 'golden.trades', partition: 0, offset: 1 },
    ],
  },
];

/** The batch for batch-v1.hex: nulls, empty-but-present bytes, an empty header, non-ASCII, a defaulted timestamp. */
const BATCH_NOW = T0 + 123_456;
const BATCH_RECORDS: GoldenBatchRecord[] = [
  { key: utf8('k1'), value: utf8('v1'), headers: { a: '1', b: '2' }, timestamp: T0 },
  { key: null, value: { hex: '00ff7f80' } },
  { key: { hex: '' }, value: null, headers: { '': '' }, timestamp: T0 + 1 },
  {
    key: utf8('ключ'),
    value: utf8('значение'),
    headers: plainHeaders([
      ['名前', '値 🚀'],
      ['__proto__', 'not a prototype'],
    ]),
    timestamp: T0 - 5000,
  },
];

// ---- Writing --------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const outDir = args.find((a) => a !== '--force') ?? fileURLToPath(new URL('.', import.meta.url));
  const outputs = ['log.sqlite', 'batch-v1.hex', 'expected.json'];
  if (!force && outputs.some((f) => existsSync(join(outDir, f)))) {
    throw new Error(`${outDir} already holds golden files; a new generation goes elsewhere, or pass --force`);
  }

  const work = mkdtempSync(join(tmpdir(), 'pma-golden-'));
  try {
    const path = join(work, 'log.sqlite');
    const expected = await writeLog(path);
    expected.log.schemaVersion = settle(path);
    const leftovers = readdirSync(work).filter((f) => f !== 'log.sqlite');
    if (leftovers.length > 0) throw new Error(`the log left files beside it: ${leftovers.join(', ')}`);

    const batch = encodeProduced(BATCH_RECORDS.map(toProduceRecord), 0, BATCH_RECORDS.length, BATCH_NOW);
    writeFileSync(join(work, 'batch-v1.hex'), `${batch.payload.toString('hex')}\n`);
    expected.batch = { file: 'batch-v1.hex', format: batch.payload[0]!, now: BATCH_NOW, baseOffset: 1000, records: BATCH_RECORDS };
    writeFileSync(join(work, 'expected.json'), `${JSON.stringify(expected, null, 2)}\n`);

    for (const f of outputs) copyFileSync(join(work, f), join(outDir, f));
    process.stdout.write(`wrote ${outputs.map((f) => join(outDir, f)).join(', ')}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function writeLog(path: string): Promise<GoldenExpectation> {
  const transport = await createEmbeddedTransport({
    path,
    logger: silentLogger,
    maintenance: { intervalMs: 0, tombstoneRetentionMs: Number.MAX_SAFE_INTEGER },
  });
  const registry = new EmbeddedRegistry({ path });
  try {
    const admin = transport.admin();
    await admin.createTopics(TOPICS);

    for (const step of REGISTRATIONS) {
      if ('schema' in step) {
        const id = await registry.register(step.subject, JSON.stringify(step.schema));
        const { version } = await registry.lookup(step.subject, JSON.stringify(step.schema));
        if (id !== step.expectId || version !== step.expectVersion) {
          throw new Error(`${step.subject}: got id ${id} version ${version}, intent says ${step.expectId} v${step.expectVersion}`);
        }
      } else if ('compatibility' in step) {
        await registry.setSubjectCompatibility(step.subject, step.compatibility);
      } else {
        await registry.deleteVersion(step.subject, step.softDeleteVersion);
      }
    }

    const serde = new Serde(registry);
    const codecs = new Map([
      [1, await serde.codec<unknown>('golden.trades', TRADE_V1)],
      [2, await serde.codec<unknown>('golden.trades', TRADE_V2)],
    ]);
    for (const [id, codec] of codecs) if (codec.schemaId !== id) throw new Error(`codec for schema ${id} writes id ${codec.schemaId}`);

    const producer = transport.producer();
    for (const step of STEPS) {
      if ('send' in step) {
        const byTopic = new Map<string, Planned[]>();
        for (const p of step.send) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
        const topics = [...byTopic];
        const results = await producer.sendBatch(
          topics.map(([topic, planned]) => ({
            topic,
            records: planned.map((p) => {
              const value = isAvro(p.value) ? codecs.get(p.value.avro.schemaId)!.encode(p.value.avro.value) : bytesOf(p.value);
              const r: ProduceRecord = { key: bytesOf(p.key), value, partition: p.partition, timestamp: p.timestamp };
              if (p.headers) r.headers = p.headers;
              return r;
            }),
          })),
        );
        topics.forEach(([topic, planned], t) => {
          planned.forEach((p, i) => {
            const got = results[t]![i]!;
            if (got.partition !== p.partition || got.offset !== p.offset) {
              throw new Error(`${topic}: record landed at ${got.partition}/${got.offset}, intent says ${p.partition}/${p.offset}`);
            }
          });
        });
      } else if ('compact' in step) {
        const report = await admin.compactNow([step.compact]);
        if (report.compactedRecords !== step.removes.length) {
          throw new Error(`compaction of ${step.compact} removed ${report.compactedRecords} records, intent says ${step.removes.length}`);
        }
      } else if ('commit' in step) {
        const consumer = transport.consumer({ groupId: step.commit, clientId: 'golden' });
        await consumer.subscribe([...new Set(step.offsets.map((o) => o.topic))]);
        await consumer.commit(step.offsets);
        await consumer.close();
      } else {
        await admin.setGroupOffsets(step.setGroupOffsets, step.offsets);
      }
    }
    await producer.close();
  } finally {
    await registry.close();
    await transport.close();
  }
  return expectation();
}

/** expected.json's log and registry parts, from the intent alone. */
function expectation(): GoldenExpectation {
  const planned = STEPS.flatMap((s) => ('send' in s ? s.send : []));
  const removed = new Set(STEPS.flatMap((s) => ('compact' in s ? s.removes.map((r) => `${s.compact}/${r.partition}/${r.offset}`) : [])));
  const topics: GoldenTopic[] = TOPICS.map((spec) => {
    const mine = planned.filter((p) => p.topic === spec.name);
    const records: GoldenRecord[] = mine
      .filter((p) => !removed.has(`${p.topic}/${p.partition}/${p.offset}`))
      .sort((a, b) => a.partition - b.partition || a.offset - b.offset)
      .map((p) => ({ partition: p.partition, offset: p.offset, timestamp: p.timestamp, key: p.key, value: p.value, headers: p.headers ?? {} }));
    const topic: GoldenTopic = {
      name: spec.name,
      partitions: spec.partitions,
      cleanupPolicy: spec.cleanupPolicy ?? 'delete',
      offsets: Array.from({ length: spec.partitions }, (_, partition) => ({
        partition,
        low: 0,
        high: mine.filter((p) => p.partition === partition).length,
      })),
      records,
    };
    if (spec.retentionMs !== undefined) topic.retentionMs = spec.retentionMs;
    if (spec.retentionBytes !== undefined) topic.retentionBytes = spec.retentionBytes;
    const gone = mine.filter((p) => removed.has(`${p.topic}/${p.partition}/${p.offset}`)).map((p) => ({ partition: p.partition, offset: p.offset }));
    if (gone.length > 0) topic.compactedAway = gone;
    return topic;
  }).sort((a, b) => (a.name < b.name ? -1 : 1));

  return {
    about:
      'What test/transport/embedded/golden/log.sqlite and batch-v1.hex hold, written by make-golden.ts from its intent. ' +
      'golden.spec.ts opens them with the current code; if it fails, old logs no longer open: fix the reader or add a migration, do not regenerate.',
    log: {
      file: 'log.sqlite',
      schemaVersion: 0,
      topics,
      groups: STEPS.flatMap((s) => {
        if ('commit' in s) return [{ groupId: s.commit, offsets: s.offsets }];
        if ('setGroupOffsets' in s) return [{ groupId: s.setGroupOffsets, offsets: s.offsets }];
        return [];
      }),
    },
    registry: { schemas: SCHEMAS, subjects: SUBJECTS },
    batch: { file: '', format: 0, now: 0, baseOffset: 0, records: [] },
  };
}

/**
 * Fixes the bookkeeping timestamps, shrinks the file and closes it with the WAL checkpointed
 * away. Returns the log schema version the file was written with, the one thing the intent
 * cannot say: it is whatever the generating build's migrations reached.
 */
function settle(path: string): number {
  const db = new DatabaseSync(path);
  try {
    const groupsLeft = db.prepare('SELECT count(*) AS n FROM log_group_members').get() as { n: number };
    if (groupsLeft.n !== 0) throw new Error('a consumer group member was left behind');
    db.exec(`
      UPDATE log_topics SET created_at = ${BOOKKEEPING_TS};
      UPDATE log_partitions SET compacted_at = ${BOOKKEEPING_TS} WHERE compacted_at IS NOT NULL;
      UPDATE log_group_offsets SET committed_at = ${BOOKKEEPING_TS};
      UPDATE registry_schemas SET created_at = ${BOOKKEEPING_TS};
      UPDATE registry_versions SET created_at = ${BOOKKEEPING_TS};
      UPDATE registry_config SET updated_at = ${BOOKKEEPING_TS};
    `);
    // A page size change needs a rollback journal while VACUUM rewrites the file.
    db.exec(`PRAGMA journal_mode = DELETE; PRAGMA page_size = ${GOLDEN_PAGE_SIZE}; VACUUM; PRAGMA journal_mode = WAL; PRAGMA wal_checkpoint(TRUNCATE);`);
    const check = db.prepare('PRAGMA integrity_check').all();
    if (JSON.stringify(check) !== '[{"integrity_check":"ok"}]') throw new Error(`integrity check: ${JSON.stringify(check)}`);
    return (db.prepare("SELECT value FROM log_meta WHERE key = 'schema_version'").get() as { value: number }).value;
  } finally {
    db.close();
  }
}

function isAvro(v: JsonBytes | JsonAvroValue): v is JsonAvroValue {
  return v !== null && 'avro' in v;
}

function toProduceRecord(r: GoldenBatchRecord): ProduceRecord {
  const out: ProduceRecord = { key: bytesOf(r.key), value: bytesOf(r.value) };
  if (r.headers) out.headers = r.headers;
  if (r.timestamp !== undefined) out.timestamp = r.timestamp;
  return out;
}

await main();
