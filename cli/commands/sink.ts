/**
 * `pma sink --layer bronze|silver|all`: clean topics to Bronze Parquet files and/or the Silver
 * DuckDB file. Runs until Ctrl+C, or with --until-caught-up until everything in the log is written.
 * Settings: flags, PMA_SINK_* variables, or the config file's "sink" section.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { booleanish, port, positiveInt, resolveSection, sectionSources, stringList } from '../../runtime/config.ts';
import { CLEAN_TOPIC_KEYS, type CleanTopicKey } from '../../schemas/clean-records.ts';
import { BRONZE_DEFAULTS, runBronzeSink } from '../../sinks/bronze/index.ts';
import type { SilverSinkDeps, SilverTopicKey } from '../../sinks/silver/index.ts';
import { type ActionContext, action, FLUSHING_GRACE_MS } from '../action.ts';
import { commandMetrics } from '../metrics.ts';
import { openLogAndSerde } from '../open.ts';

const KEYS = [
  'layer',
  'topics',
  'untilCaughtUp',
  'rollRows',
  'rollBytes',
  'rollMs',
  'idleMs',
  'silverPath',
  'silverBatchRows',
  'silverSnapshotSeconds',
  'silverStandby',
  'json',
  'metricsPort',
] as const;

const sinkSchema = z
  .object({
    layer: z.enum(['bronze', 'silver', 'all']).default('bronze'),
    topics: stringList.pipe(z.array(z.enum(CLEAN_TOPIC_KEYS as unknown as [CleanTopicKey, ...CleanTopicKey[]]))).optional(),
    untilCaughtUp: booleanish.default(false),
    rollRows: positiveInt.default(BRONZE_DEFAULTS.rollRows),
    rollBytes: positiveInt.default(BRONZE_DEFAULTS.rollBytes),
    rollMs: positiveInt.default(BRONZE_DEFAULTS.rollMs),
    idleMs: positiveInt.default(BRONZE_DEFAULTS.idleMs),
    silverPath: z.string().trim().min(1).optional(),
    silverBatchRows: positiveInt.optional(),
    silverSnapshotSeconds: positiveInt.optional(),
    silverStandby: booleanish.default(false),
    json: booleanish.default(false),
    metricsPort: port.optional(),
  })
  .strict();

export type SinkSettings = z.output<typeof sinkSchema>;

export function register(program: Command): void {
  program
    .command('sink')
    .description('write clean topics to Bronze Parquet or Silver DuckDB')
    .option('--layer <layer>', 'bronze, silver or all (default bronze)')
    .option('--topics <list>', `clean topics to write, comma-separated (default all: ${CLEAN_TOPIC_KEYS.join(',')})`)
    .option('--until-caught-up', 'stop once everything in the log is written (default: run until Ctrl+C)')
    .option('--roll-rows <n>', `Bronze: flush a partition at this many rows (default ${BRONZE_DEFAULTS.rollRows})`)
    .option('--roll-bytes <n>', `Bronze: flush a partition after this many bytes of records (default ${BRONZE_DEFAULTS.rollBytes})`)
    .option('--roll-ms <ms>', `Bronze: flush a partition this long after its first record (default ${BRONZE_DEFAULTS.rollMs})`)
    .option('--idle-ms <ms>', `Bronze: flush a partition idle this long (default ${BRONZE_DEFAULTS.idleMs})`)
    .option('--silver-path <file>', 'Silver: the DuckDB file (default <data-dir>/silver.duckdb)')
    .option('--silver-batch-rows <n>', 'Silver: records per transaction at most (default 250000)')
    .option('--silver-snapshot-seconds <s>', 'Silver: seconds between two published snapshots (default 60)')
    .option('--silver-standby', 'Silver: if another sink writes the file, wait and take over when it stops or dies (default: fail at once)')
    .option('--json', 'print one JSON line at the end: per layer result, seconds, peak RSS')
    .option('--metrics-port <port>', 'serve Prometheus metrics of every layer this process runs on this port')
    .action(action(sink, { graceMs: FLUSHING_GRACE_MS }));
}

async function sink(ctx: ActionContext, flags: Record<string, unknown>): Promise<void> {
  const settings = resolveSection(sinkSchema, sectionSources('sink', KEYS, ctx.config.file, process.env, flags));
  const { transport, serde } = await openLogAndSerde(ctx, 'pma-sink');
  const metrics = await commandMetrics(ctx, settings.metricsPort);
  const until = settings.untilCaughtUp ? 'caught-up' : 'signal';
  const started = process.hrtime.bigint();
  const report: Record<string, unknown> = {};
  const say = (line: string) => {
    if (!settings.json) process.stdout.write(`${line}\n`);
  };
  // The first layer to fail stops the other at once: the command then fails with that error,
  // instead of waiting for a signal while the failed layer's error sits unreported.
  const failed = new AbortController();
  const signal = AbortSignal.any([ctx.signal, failed.signal]);
  let failure: unknown;
  const runs: Array<Promise<unknown>> = [];
  const stopOthersOnFailure = <T>(p: Promise<T>): Promise<T> =>
    p.catch((err: unknown) => {
      failure ??= err;
      failed.abort();
      throw err;
    });
  if (settings.layer === 'bronze' || settings.layer === 'all') {
    runs.push(
      stopOthersOnFailure(
        runBronzeSink(
          {
            dataDir: ctx.config.dataDir,
            topics: settings.topics,
            rollRows: settings.rollRows,
            rollBytes: settings.rollBytes,
            rollMs: settings.rollMs,
            idleMs: settings.idleMs,
          },
          { transport, serde, logger: ctx.logger, signal, until, metrics },
        ),
      ).then((r) => {
        report.bronze = r;
        say(`bronze: ${r.rows} rows in ${r.files} files (${r.bytes} bytes), ${r.deadLettered} dead-lettered`);
      }),
    );
  }
  if (settings.layer === 'silver' || settings.layer === 'all') {
    runs.push(
      stopOthersOnFailure(runSilver(ctx, settings, { transport, serde, logger: ctx.logger, signal, metrics })).then((r) => {
        report.silver = r;
        say(`silver: ${r.records} records in ${r.commits} commits into ${r.path}`);
      }),
    );
  }
  await Promise.allSettled(runs);
  if (failure) throw failure;
  if (settings.json) {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stdout.write(`${JSON.stringify({ ...report, seconds, peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
  }
}

async function runSilver(ctx: ActionContext, settings: SinkSettings, deps: SilverSinkDeps) {
  const { runSilverSink, defaultSnapshotPath, SILVER_TOPIC_KEYS } = await import('../../sinks/silver/index.ts');
  const path = settings.silverPath ?? join(ctx.config.dataDir, 'silver.duckdb');
  const topics = settings.topics?.filter((t) => (SILVER_TOPIC_KEYS as readonly string[]).includes(t));
  return runSilverSink(
    {
      path,
      snapshotPath: defaultSnapshotPath(path),
      batchRows: settings.silverBatchRows,
      snapshotIntervalMs: settings.silverSnapshotSeconds ? settings.silverSnapshotSeconds * 1000 : undefined,
      until: settings.untilCaughtUp ? 'caught-up' : 'signal',
      topics: topics as SilverTopicKey[] | undefined,
      standby: settings.silverStandby,
    },
    deps,
  );
}
