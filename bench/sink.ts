/**
 * `pma bench sink --layer bronze`: replays N clean trades (default 5,000,000) from the embedded log
 * into Bronze with the real sink (consumer, offsets, dt partitions, write groups, fsync, rename),
 * beside the ceiling measured in the same run: the same rows, already in memory as Avro bodies,
 * through the same column building and Parquet writer thread straight to files. Peak RSS is the
 * sink process's own (its whole life). It also times the other Parquet writer the project could
 * use, DuckDB's appender + COPY TO parquet (ZSTD), on the first 1,000,000 of the same rows.
 * Goal: the sink reaches at least 60% of the ceiling with peak RSS under 1 GB.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { z } from 'zod';
import { booleanish, positiveInt, resolveSection, sectionSources } from '../runtime/config.ts';
import { BenchError } from '../runtime/errors.ts';
import type { CleanTrade } from '../schemas/clean-records.ts';
import { loadSchema } from '../schemas/index.ts';
import { TOPICS } from '../schemas/topics.ts';
import { BodyBuffer, type PackedBodies } from '../sinks/bronze/body-buffer.ts';
import { BRONZE_DEFAULTS, bronzeRoot } from '../sinks/bronze/index.ts';
import { ParquetWriterPool } from '../sinks/bronze/parquet/pool.ts';
import type { BenchEnv } from './env.ts';
import { formatTable, goalsMet, type Rate, type ResultRow, timed } from './measure.ts';
import { benchTrade, fillTradeLog } from './trade-log.ts';

export const BRONZE_CEILING_SHARE_GOAL = 0.6;
export const BRONZE_RSS_GOAL_BYTES = 1024 ** 3;

export interface SinkBenchResult {
  records: number;
  days: number;
  recordBytes: number;
  sink: Rate;
  ceiling: Rate;
  peakRssBytes: number;
  files: number;
  parquetBytes: number;
  writers: Array<{ writer: string; rate: Rate }>;
  /** The trades directory after the run (compacted by the sink at its end), as readers see it. */
  layout: BronzeLayout;
  compactionSeconds: number;
  rows: ResultRow[];
}

export interface BronzeLayout {
  dts: number;
  files: number;
  maxFilesPerDt: number;
  meanFileBytes: number;
  /** pyarrow.dataset over the directory vs the same rows in one file (null: no Python with pyarrow). */
  pyarrow: { rows: number; datasetSeconds: number; oneFileSeconds: number } | null;
}

export async function runBronzeSinkBench(dir: string, records: number, days: number, compareRows: number): Promise<SinkBenchResult> {
  // Not timed: the log is filled first.
  const { bytes, encode } = await fillTradeLog(dir, records, days);

  // The sink phase is the real command in its own process, so its peak RSS is its own.
  const report = await runSinkProcess(dir);
  if (report.bronze.rows !== records) throw new BenchError(`the sink wrote ${report.bronze.rows} rows, expected ${records}`);
  // The sink's rate is its writing; the compaction at the end of its run is reported apart.
  const sink: Rate = { records, bytes, seconds: report.seconds - report.bronze.compaction.seconds };
  const layout = await measureLayout(join(bronzeRoot(dir), 'trades'), dir);
  const ceiling = await ceilingRun(dir, records, days, encode, bytes);
  const duck = await duckdbRun(dir, Math.min(compareRows, records), days, encode);
  const writers = [
    { writer: 'Arrow columns from the Avro bytes + parquet-wasm ZSTD on a thread (chosen; = the ceiling)', rate: ceiling },
    { writer: 'avsc decode + DuckDB appender + COPY TO parquet ZSTD', rate: duck },
  ];
  return {
    records,
    days,
    recordBytes: bytes / records,
    sink,
    ceiling,
    peakRssBytes: report.peakRssBytes,
    files: report.bronze.files,
    parquetBytes: report.bronze.bytes,
    writers,
    layout,
    compactionSeconds: report.bronze.compaction.seconds,
    rows: [{ phase: 'bronze sink: log -> Parquet files', measured: sink, ceiling, goalRatio: BRONZE_CEILING_SHARE_GOAL }],
  };
}

/** Files per dt and their size, through the dt links; pyarrow's read time of them vs one file. */
async function measureLayout(typeDir: string, scratch: string): Promise<BronzeLayout> {
  const counts: number[] = [];
  let bytes = 0;
  for (const dt of await readdir(typeDir)) {
    const files = (await readdir(join(typeDir, dt))).filter((f) => f.endsWith('.parquet'));
    counts.push(files.length);
    for (const f of files) bytes += (await stat(join(typeDir, dt, f))).size;
  }
  const files = counts.reduce((a, b) => a + b, 0);
  return { dts: counts.length, files, maxFilesPerDt: Math.max(0, ...counts), meanFileBytes: files ? bytes / files : 0, pyarrow: await pyarrowReadTimes(typeDir, scratch) };
}

const PYARROW_TIMES = `
import json, os, sys, time
import pyarrow.dataset as ds, pyarrow.parquet as pq
t = time.perf_counter(); table = ds.dataset(sys.argv[1], format="parquet", partitioning="hive").to_table(); a = time.perf_counter() - t
one = os.path.join(sys.argv[2], "one.parquet"); pq.write_table(table, one, compression="zstd")
t = time.perf_counter(); pq.read_table(one); b = time.perf_counter() - t
print(json.dumps({"rows": table.num_rows, "datasetSeconds": a, "oneFileSeconds": b}))
`;

function pyarrowReadTimes(typeDir: string, scratch: string): Promise<BronzeLayout['pyarrow']> {
  const python = process.env.PMA_PYTHON ?? 'python3';
  return new Promise((resolve) => {
    execFile(python, ['-c', PYARROW_TIMES, typeDir, scratch], { maxBuffer: 1024 * 1024 }, (err, stdout) => resolve(err ? null : JSON.parse(stdout)));
  });
}

interface SinkReport {
  bronze: { rows: number; files: number; bytes: number; compaction: { dirs: number; filesBefore: number; filesAfter: number; seconds: number } };
  seconds: number;
  peakRssBytes: number;
}

function runSinkProcess(dir: string): Promise<SinkReport> {
  const pma = fileURLToPath(new URL('../cli/pma.ts', import.meta.url));
  const args = [pma, '--data-dir', dir, '--log-level', 'error', 'sink', '--layer', 'bronze', '--topics', 'trades', '--until-caught-up', '--json'];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`pma sink failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as SinkReport);
    });
  });
}

/** The rows as the sink's writer thread takes them: Avro bodies packed end to end, one pack per roll. */
function packBodies(records: number, days: number, encode: (t: CleanTrade) => Buffer, from = 0): PackedBodies[] {
  const packs: PackedBodies[] = [];
  for (let start = from; start < records; start += BRONZE_DEFAULTS.rollRows) {
    const bodies = new BodyBuffer();
    for (let i = start; i < Math.min(records, start + BRONZE_DEFAULTS.rollRows); i++) {
      const message = encode(benchTrade(i, days));
      bodies.append(message, 5, message.length, i);
    }
    packs.push(bodies.take());
  }
  return packs;
}

/**
 * The ceiling: the same rows already in memory as packed Avro bodies, through the same writer
 * thread (column building, Parquet encoding, new file, fsync), two rolls in flight as in the sink.
 */
async function ceilingRun(dir: string, records: number, days: number, encode: (t: CleanTrade) => Buffer, bytes: number): Promise<Rate> {
  const packs = packBodies(records, days, encode);
  const pool = new ParquetWriterPool();
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'ceiling'), { recursive: true });
  try {
    const run = await timed(async () => {
      const pending: Array<Promise<unknown>> = [];
      for (const [file, pack] of packs.entries()) {
        if (pending.length >= BRONZE_DEFAULTS.maxPendingGroups) await pending.shift();
        pending.push(pool.write(TOPICS.trades.schema, 0, pack, join(dir, 'ceiling', `part-${file}.parquet`)));
      }
      await Promise.all(pending);
    });
    return { records, bytes, seconds: run.seconds };
  } finally {
    packs.length = 0;
    await pool.close();
  }
}

/**
 * The writer the sink does not use, on the same rows from the same starting point (Avro bodies in
 * memory): decoded with avsc, loaded with DuckDB's appender, written with COPY TO parquet (ZSTD),
 * one file per roll. (DuckDB's appender takes JS values one cell at a time, so the bodies must be
 * decoded first; the chosen writer builds its columns from the bytes.)
 */
async function duckdbRun(dir: string, rows: number, days: number, encode: (t: CleanTrade) => Buffer): Promise<Rate> {
  const packs = packBodies(rows, days, encode);
  const bytes = packs.reduce((n, p) => n + p.chunks.reduce((m, c) => m + c.bytes.length, 0) + 5 * p.rows, 0);
  const type = avro.Type.forSchema(loadSchema(TOPICS.trades.schema) as avro.Schema);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'duckdb'), { recursive: true });
  // Loaded here only: every pma command imports this module, and DuckDB's native library is large.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '1GB' });
  const con = await db.connect();
  try {
    const run = await timed(async () => {
      for (const [file, pack] of packs.entries()) {
        await con.run(
          'CREATE OR REPLACE TEMP TABLE t (trade_id VARCHAR, "timestamp" BIGINT, condition_id VARCHAR, token_id VARCHAR, outcome VARCHAR, outcome_index INTEGER, event_id VARCHAR, event_slug VARCHAR, side VARCHAR, role VARCHAR, price DOUBLE, size DOUBLE, transaction_hash VARCHAR, proxy_wallet VARCHAR, title VARCHAR, market_slug VARCHAR, name VARCHAR, pseudonym VARCHAR, unresolved BOOLEAN, _partition INTEGER, _offset BIGINT)',
        );
        const a = await con.createAppender('t', undefined, 'temp');
        const text = (v: string | null) => (v === null ? a.appendNull() : a.appendVarchar(v));
        for (const chunk of pack.chunks) {
          const buf = Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
          let start = 0;
          for (let k = 0; k < chunk.ends.length; k++) {
            const r = type.decode(buf.subarray(start, chunk.ends[k]!), 0).value as CleanTrade;
            start = chunk.ends[k]!;
            a.appendVarchar(r.trade_id);
            a.appendBigInt(BigInt(r.timestamp));
            a.appendVarchar(r.condition_id);
            text(r.token_id);
            text(r.outcome);
            if (r.outcome_index === null) a.appendNull();
            else a.appendInteger(r.outcome_index);
            text(r.event_id);
            text(r.event_slug);
            a.appendVarchar(r.side);
            a.appendVarchar(r.role);
            a.appendDouble(r.price);
            a.appendDouble(r.size);
            a.appendVarchar(r.transaction_hash);
            a.appendVarchar(r.proxy_wallet);
            text(r.title);
            text(r.market_slug);
            text(r.name);
            text(r.pseudonym);
            a.appendBoolean(r.unresolved);
            a.appendInteger(0);
            a.appendBigInt(BigInt(chunk.offsets[k]!));
            a.endRow();
          }
        }
        a.closeSync();
        const out = join(dir, 'duckdb', `part-${file}.parquet`);
        await con.run(`COPY (SELECT * REPLACE (make_timestamptz("timestamp" * 1000) AS "timestamp") FROM t) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`);
      }
    });
    return { records: rows, bytes, seconds: run.seconds };
  } finally {
    con.closeSync();
  }
}

export function formatSinkBench(r: SinkBenchResult): string {
  const mb = (n: number) => `${(n / 1024 ** 2).toFixed(0)} MiB`;
  const rssOk = r.peakRssBytes < BRONZE_RSS_GOAL_BYTES;
  return [
    `pma bench sink --layer bronze: ${r.records.toLocaleString('en-US')} clean trades (${r.recordBytes.toFixed(0)} B each in the log, spread over ${r.days} days) replayed from the embedded log into Bronze`,
    'ceiling = the same rows from memory (Avro bodies) through the same column building and Parquet writer thread, no log, offsets or partitions',
    '',
    formatTable(r.rows),
    '',
    `peak RSS during the sink phase: ${mb(r.peakRssBytes)} (goal < ${mb(BRONZE_RSS_GOAL_BYTES)}: ${rssOk ? 'met' : 'MISSED'})`,
    `files written: ${r.files}, ${mb(r.parquetBytes)} of Parquet (${(r.parquetBytes / r.records).toFixed(1)} B/row)`,
    `after the run's compaction (${r.compactionSeconds.toFixed(1)} s, not in the rate above): ${r.layout.files} files in ${r.layout.dts} dt directories (at most ${r.layout.maxFilesPerDt} in one), ${(r.layout.meanFileBytes / 1024 ** 2).toFixed(2)} MiB a file on average`,
    r.layout.pyarrow
      ? `pyarrow.dataset reads them in ${r.layout.pyarrow.datasetSeconds.toFixed(2)} s; the same ${r.layout.pyarrow.rows.toLocaleString('en-US')} rows as one file: ${r.layout.pyarrow.oneFileSeconds.toFixed(2)} s`
      : 'pyarrow read times: no python with pyarrow (set PMA_PYTHON, e.g. .ci/venv/bin/python from .ci/python-venv.sh)',
    '',
    'Parquet writers compared on the same rows, from Avro bodies in memory:',
    ...r.writers.map(
      (w) => `  ${w.writer}: ${Math.round(w.rate.records / w.rate.seconds).toLocaleString('en-US')} rows/s (${w.rate.records.toLocaleString('en-US')} rows in ${w.rate.seconds.toFixed(2)} s)`,
    ),
    '',
    goalsMet(r.rows) && rssOk ? 'all goals met' : 'some goals MISSED',
  ].join('\n');
}

const settingsSchema = z
  .object({
    layer: z.enum(['bronze', 'silver']).default('bronze'),
    records: positiveInt.default(5_000_000),
    days: positiveInt.default(14),
    compareRows: positiveInt.default(1_000_000),
    json: booleanish.default(false),
  })
  .strict();

export async function benchSink(env: BenchEnv, flags: Record<string, unknown>): Promise<void> {
  const fileSection = (env.config.file.bench as Record<string, unknown> | undefined)?.sink;
  const settings = resolveSection(settingsSchema, sectionSources('bench-sink', Object.keys(settingsSchema.shape), { 'bench-sink': fileSection ?? {} }, process.env, flags));
  // Everything lives in a scratch dir, never in the real data dir.
  const scratch = mkdtempSync(join(tmpdir(), 'pma-bench-sink-'));
  env.onClose(() => rmSync(scratch, { recursive: true, force: true }));
  if (settings.layer === 'silver') {
    const { formatSilverBench, runSilverSinkBench } = await import('./sink-silver.ts');
    const { SILVER_DEFAULTS } = await import('../sinks/silver/index.ts');
    const silver = await runSilverSinkBench(scratch, settings.records, settings.days, SILVER_DEFAULTS.batchRows);
    process.stdout.write(settings.json ? `${JSON.stringify(silver, null, 2)}\n` : `${formatSilverBench(silver)}\n`);
    return;
  }
  const result = await runBronzeSinkBench(scratch, settings.records, settings.days, settings.compareRows);
  process.stdout.write(settings.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatSinkBench(result)}\n`);
}
