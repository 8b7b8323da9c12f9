/**
 * `pma run` (what `npm start` runs): the whole pipeline in one process on the configured log
 * (the embedded one by default): ingest from the live APIs (`--source live`, the default) or the
 * simulator started in-process (`--source sim`), the processors and the Silver sink alongside it;
 * once ingest is done, the processors catch up, Bronze and Silver are written to the end of the
 * log, and Gold and its report are built. Progress shows as it goes; a summary at the end says
 * where every output is. When the live APIs cannot be reached it says so in one line.
 *
 * `--follow` keeps every layer current until Ctrl+C (or `--timeout`): ingest keeps polling and
 * listens to the market WebSocket (a simulator it starts moves live), the Bronze sink runs
 * alongside and rolls files on its time window, Silver republishes its snapshot, and Gold and its
 * report are rebuilt from that snapshot every `--gold-interval` seconds. Ctrl+C stops every stage
 * at a clean point (a second one exits at once); the next start continues from there. When
 * `--timeout` ends ingest, the other stages catch up and finish as a batch run does.
 * Settings: flags, PMA_RUN_* variables, the config file's "run" section; the ingest stage also
 * takes the "ingest" section (and PMA_INGEST_*), the simulator the "sim" section.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { booleanish, port, positiveInt, resolveSection, sectionSources } from '../../runtime/config.ts';
import { AbortedError, describeError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { ProgressBoard, type ProgressTask } from '../../runtime/progress.ts';
import { CLEAN_TOPIC_KEYS } from '../../schemas/clean-records.ts';
import { ALL_TOPICS, TOPICS } from '../../schemas/topics.ts';
import { embeddedLogPath } from '../../transport/index.ts';
import type { Transport } from '../../transport/types.ts';
import { type ActionContext, action, FLUSHING_GRACE_MS } from '../action.ts';
import { commandMetrics } from '../metrics.ts';
import { openLogAndSerde } from '../open.ts';
import { openSource } from '../sources.ts';

const schema = z
  .object({
    source: z.enum(['live', 'sim']).default('live'),
    simMarkets: positiveInt.default(200),
    limit: positiveInt.optional(),
    gold: booleanish.default(true),
    follow: booleanish.default(false),
    /** Follow mode: seconds between Gold rebuilds (and Silver snapshots, when shorter than theirs). */
    goldInterval: positiveInt.default(60),
    /** Bronze's time window (the sink's defaults when unset): in follow mode it bounds how stale Bronze is. */
    bronzeRollMs: positiveInt.optional(),
    bronzeIdleMs: positiveInt.optional(),
    metricsPort: port.optional(),
  })
  .strict();

/** Flags of `pma ingest` that `pma run` passes to its ingest stage as they are. */
const INGEST_FLAGS = ['mode', 'fresh', 'timeout', 'since', 'until'] as const;

type RunSettings = z.output<typeof schema>;

/**
 * Price points per token in the world `run --source sim` makes (unless the sim section sets it): a
 * minute series, as the CLOB serves, would make the minute-resolution markets of the adaptive
 * policy alone some two million points, where the run is meant to take about a minute.
 */
const RUN_PRICE_POINTS = 120;

/** The one line printed when the live APIs cannot be reached. */
export const OFFLINE_HINT = 'run offline against the simulator with: npm start -- --source sim   (or: pma run --source sim)';

export function register(program: Command): void {
  program
    .command('run')
    .description('ingest, process, Bronze and Silver sinks, then Gold and its report, in one process (what npm start runs)')
    .addOption(new Option('--source <source>', 'live Polymarket APIs (default), or the simulator started in this process').choices(['live', 'sim']))
    .option('--sim-markets <n>', 'simulator: synthetic markets in the world (default 200, about a minute end to end)')
    .option('--limit <n>', 'take only the first N markets')
    .option('--mode <modes>', 'all | markets | events | trades | prices | leaderboard | holders | open-interest (repeat or comma-separate)', collect)
    .option('--since <time>', 'trades and prices from this time (ISO-8601 or Unix seconds)')
    .option('--until <time>', 'trades and prices up to this time')
    .option('--timeout <seconds>', 'end ingest after this many seconds; the other stages then catch up and finish')
    .option('--fresh', 'ingest ignores saved progress and starts over')
    .option('--follow', 'keep every layer current until Ctrl+C: polls, the market WebSocket, Bronze on its window, Silver, Gold on --gold-interval')
    .option('--gold-interval <seconds>', 'follow mode: seconds between Gold rebuilds (default 60)')
    .option('--bronze-roll-ms <ms>', 'Bronze: write a partition this long after its first record (default 60000)')
    .option('--bronze-idle-ms <ms>', 'Bronze: write a partition idle this long (default 10000)')
    .option('--no-gold', 'skip Gold and its report')
    .option('--metrics-port <port>', 'serve Prometheus metrics of every stage (ingest, process, Bronze, Silver, Gold) on this port')
    .action(action(run, { graceMs: FLUSHING_GRACE_MS }));
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',')];

/** The run's own keys, and the ingest flags given on its command line. */
function splitFlags(flags: Record<string, unknown>): { own: Record<string, unknown>; ingest: Record<string, unknown> } {
  const own: Record<string, unknown> = {};
  const ingest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flags)) {
    if (v === undefined) continue;
    if ((INGEST_FLAGS as readonly string[]).includes(k)) ingest[k] = v;
    else own[k] = v;
  }
  return { own, ingest };
}

async function run(ctx: ActionContext, flags: Record<string, unknown>): Promise<void> {
  const { own, ingest: ingestFlags } = splitFlags(flags);
  const settings = resolveSection(schema, sectionSources('run', Object.keys(schema.shape), ctx.config.file, process.env, own));
  const { INGEST_KEYS, ingestSettingsSchema, runIngest } = await import('../../producers/index.ts');
  const ingestSettings = resolveSection(
    ingestSettingsSchema,
    sectionSources('ingest', INGEST_KEYS, ctx.config.file, process.env, {
      ...ingestFlags,
      source: settings.source,
      follow: settings.follow,
      ...(settings.limit ? { limit: settings.limit } : {}),
    }),
  );
  const follow = settings.follow;
  if (settings.source === 'live') {
    const { LIVE_BASE_URLS } = await import('../../producers/http/apis.ts');
    const why = await unreachable(ingestSettings.gammaUrl ?? LIVE_BASE_URLS.gamma);
    if (why) {
      process.stderr.write(`pma run: the live Polymarket APIs cannot be reached (${why}); ${OFFLINE_HINT}\n`);
      process.exitCode = 1;
      return;
    }
  }
  const started = performance.now();
  const { transport, serde } = await openLogAndSerde(ctx, 'pma-run');
  // One registry for every stage of this process.
  const metrics = await commandMetrics(ctx, settings.metricsPort);
  await transport.admin().createTopics(ALL_TOPICS.map(({ name, partitions, cleanupPolicy, retentionMs, retentionBytes }) => ({ name, partitions, cleanupPolicy, retentionMs, retentionBytes })));
  const simSection = (ctx.config.file.sim ?? {}) as Record<string, unknown>;
  // Followed, the simulator's world moves on (new fills, markets, resolutions) as the live one does.
  const source = await openSource(ingestSettings, ctx.logger, { markets: settings.simMarkets, pricePoints: RUN_PRICE_POINTS, ...(follow ? { live: true } : {}), ...simSection });
  ctx.onClose(() => source.close());

  const board = new ProgressBoard({ lineIntervalMs: 5_000, logger: ctx.config.logFormat === 'json' ? ctx.logger : undefined });
  // The first stage to fail stops the others; Ctrl+C stops all of them.
  const failed = new AbortController();
  let failure: unknown;
  // Every stage started, so that none is left running when the command ends, however it ends.
  const running: Array<Promise<unknown>> = [];
  const guard = <T>(p: Promise<T>): Promise<T> => {
    const guarded = p.catch((err: unknown) => {
      failure ??= err;
      failed.abort();
      throw err;
    });
    running.push(guarded.catch(() => undefined));
    return guarded;
  };
  const stopAll = AbortSignal.any([ctx.signal, failed.signal]);

  const { runProcessors } = await import('../../processors/index.ts');
  const { runBronzeSink, bronzeRoot } = await import('../../sinks/bronze/index.ts');
  const { runSilverSink, defaultSnapshotPath, SILVER_DEFAULTS } = await import('../../sinks/silver/index.ts');
  const { defaultSilverPath } = await import('../../sinks/silver/query-client.ts');
  const silverPath = defaultSilverPath(ctx.config.dataDir);
  const bronzeOptions = { dataDir: ctx.config.dataDir, rollMs: settings.bronzeRollMs, idleMs: settings.bronzeIdleMs };
  // These stages' work is their records: "done" counts them.
  const processTask = board.task('process', 'records', 'records');
  const bronzeTask = board.task('bronze', 'rows', 'records');
  const silverTask = board.task('silver', 'records', 'records');
  const counter = await watchCleanTopics(transport, processTask);
  board.start();
  let summary: string[] = [];
  try {
    const drainSilver = new AbortController();
    const silver = guard(
      runSilverSink(
        {
          path: silverPath,
          snapshotPath: defaultSnapshotPath(silverPath),
          drain: drainSilver.signal,
          ...(follow ? { snapshotIntervalMs: Math.min(SILVER_DEFAULTS.snapshotIntervalMs, settings.goldInterval * 1000) } : {}),
        },
        { transport, serde, logger: ctx.logger, signal: stopAll, progress: silverTask, metrics },
      ),
    );
    silverTask.status = 'following the log';
    // While ingest runs, the processors follow the raw topics.
    const following = new AbortController();
    processTask.status = 'following the log';
    const processing = guard(runProcessors({}, { transport, serde, logger: ctx.logger, signal: AbortSignal.any([stopAll, following.signal]), until: 'signal', metrics }));
    // Followed, Bronze runs alongside, rolling each partition's file on its time window.
    const bronzeAlongside = new AbortController();
    const bronzeFollowing = follow
      ? guard(
          runBronzeSink(bronzeOptions, {
            transport,
            serde,
            logger: ctx.logger,
            signal: AbortSignal.any([stopAll, bronzeAlongside.signal]),
            until: 'signal',
            onPublished: (g) => bronzeTask.add('records', g.rows),
            metrics,
          }),
        )
      : undefined;
    if (follow) bronzeTask.status = 'following the log';
    const goldDir = join(ctx.config.dataDir, 'gold');
    const refresher = follow && settings.gold ? startGoldRefresh({ intervalMs: settings.goldInterval * 1000, silverPath, goldDir, board, logger: ctx.logger, signal: stopAll, metrics }) : undefined;
    // --timeout ends ingest only: the other stages then catch up and finish.
    const ingestTimeout = new AbortController();
    const timer = ingestSettings.timeout === undefined ? undefined : setTimeout(() => ingestTimeout.abort(), ingestSettings.timeout * 1000);
    const ingest = await guard(
      runIngest({ ...ingestSettings, urls: source.urls }, { transport, serde, logger: ctx.logger, signal: AbortSignal.any([stopAll, ingestTimeout.signal]), progress: board, metrics }),
    );
    clearTimeout(timer);
    following.abort();
    const followed = await processing;
    bronzeAlongside.abort();
    const bronzeFollowed = await bronzeFollowing;
    await refresher?.stop();
    if (follow && ctx.signal.aborted && !failure) {
      // Ctrl+C is how a followed run ends: every stage stopped at a clean point.
      const silverResult = await silver;
      summary = [
        `pma run --follow stopped after ${((performance.now() - started) / 1000).toFixed(0)} s; the next start continues from here:`,
        `  process   ${emittedBy(followed).toLocaleString('en-US')} new clean record(s)`,
        `  bronze    ${bronzeRoot(ctx.config.dataDir)}  (${(bronzeFollowed?.rows ?? 0).toLocaleString('en-US')} new rows in ${(bronzeFollowed?.files ?? 0).toLocaleString('en-US')} Parquet files)`,
        `  silver    ${silverPath}  (${silverResult.records.toLocaleString('en-US')} record(s) applied)`,
        ...(refresher ? [`  gold      ${join(goldDir, 'gold.duckdb')}  (rebuilt ${refresher.builds} time(s))`] : []),
      ];
    } else {
      if (stopAll.aborted) throw failure ?? new AbortedError('stopped before the end; run again to continue where it stopped');

      processTask.status = 'catching up';
      const caughtUp = await guard(runProcessors({}, { transport, serde, logger: ctx.logger, signal: stopAll, until: 'caught-up', metrics }));
      counter.stop();
      const processed = { emitted: emittedBy(followed) + emittedBy(caughtUp), deadLettered: followed.deadLettered + caughtUp.deadLettered };
      settle(processTask, processed.emitted);
      processTask.end('done');
      drainSilver.abort();
      bronzeTask.status = 'writing';
      const bronze = await guard(
        runBronzeSink(bronzeOptions, {
          transport,
          serde,
          logger: ctx.logger,
          signal: stopAll,
          until: 'caught-up',
          onPublished: (g) => bronzeTask.add('records', g.rows),
          metrics,
        }),
      );
      settle(bronzeTask, bronze.rows + (bronzeFollowed?.rows ?? 0));
      bronzeTask.end('done');
      const silverResult = await silver;
      settle(silverTask, silverResult.records);
      silverTask.end('done');
      if (stopAll.aborted) throw failure ?? new AbortedError('stopped before the end; run again to continue where it stopped');

      let goldLines: string[] = [];
      if (settings.gold) {
        const goldTask = board.task('gold', 'tables');
        const { buildGold, writeGoldReport } = await import('../../gold/index.ts');
        const gold = await buildGold({ silverPath, goldPath: join(goldDir, 'gold.duckdb') }, { metrics });
        goldTask.advance(gold.tables.length);
        const report = await writeGoldReport({ goldPath: gold.goldPath, outDir: goldDir });
        goldTask.end('done');
        goldLines = [`  gold      ${gold.goldPath}  (${gold.tables.length} tables)`, `  report    ${report.html}  (opens offline; a CSV per table in ${report.csvDir})`];
      }
      const counts = await silverCounts(silverPath);
      summary = [
        `pma run finished in ${((performance.now() - started) / 1000).toFixed(0)} s (${settings.source === 'sim' ? 'simulator' : 'live Polymarket'}):`,
        `  ingest    ${ingest.stopped ? 'stopped early' : 'complete'}; ${ingest.failures} failed request(s), ${ingest.gaps} gap(s), ${ingest.deadLetters} dead letter(s)`,
        `  process   ${processed.emitted.toLocaleString('en-US')} new clean record(s), ${processed.deadLettered.toLocaleString('en-US')} dead-lettered`,
        `  log       ${ctx.config.transport === 'embedded' ? embeddedLogPath(ctx.config.dataDir) : ctx.config.brokers.join(',')}  (${(await recordsIn(transport, (n) => n.startsWith('pma.raw.'))).toLocaleString('en-US')} raw records, ${(await recordsIn(transport, (n) => CLEAN.has(n))).toLocaleString('en-US')} clean)`,
        `  bronze    ${bronzeRoot(ctx.config.dataDir)}  (${(bronze.rows + (bronzeFollowed?.rows ?? 0)).toLocaleString('en-US')} new rows in ${(bronze.files + (bronzeFollowed?.files ?? 0)).toLocaleString('en-US')} Parquet files)`,
        `  silver    ${silverPath}  (${silverResult.records.toLocaleString('en-US')} record(s) applied; ${counts})`,
        `  snapshot  ${defaultSnapshotPath(silverPath)}  (for DuckDB/Python readers while a sink runs)`,
        ...goldLines,
        `next: pma query "SELECT * FROM MarketDim LIMIT 5"   |   pma status   |   pma replay --layer silver`,
      ];
      if (silverResult.records === 0 && bronze.rows + (bronzeFollowed?.rows ?? 0) === 0) summary.push('  (nothing new since the last run: the log already held everything ingest found)');
    }
  } catch (err) {
    failed.abort();
    // A stage stopped by another's failure fails in its own way (an aborted request, a closed
    // consumer); the cause to report is the failure that stopped everything.
    throw failure ?? err;
  } finally {
    await Promise.allSettled(running);
    counter.stop();
    const table = board.stop();
    process.stdout.write(`${table}\n`);
  }
  process.stdout.write(`${summary.join('\n')}\n`);
}

/** Why the API cannot be reached (one phrase), or undefined when it answers. */
async function unreachable(baseUrl: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${baseUrl}/markets?limit=1`, { signal: AbortSignal.timeout(8_000) });
    await res.body?.cancel();
    return res.status >= 500 ? `${baseUrl} answered HTTP ${res.status}` : undefined;
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return `${new URL(baseUrl).host}: ${cause?.code ?? cause?.message ?? describeError(err)}`;
  }
}

/** The clean topics: what the processors write. */
const CLEAN = new Set<string>(CLEAN_TOPIC_KEYS.map((k) => TOPICS[k].name));

/** Records held in the topics whose names pass `pick`. */
async function recordsIn(transport: Transport, pick: (name: string) => boolean): Promise<number> {
  let n = 0;
  for (const t of ALL_TOPICS) if (pick(t.name)) for (const p of await transport.admin().offsets(t.name)) n += p.high - p.low;
  return n;
}

/** Clean records a processors' run wrote, all topics together. */
function emittedBy(result: { emitted: Partial<Record<string, number>> }): number {
  return Object.values(result.emitted).reduce<number>((n, v) => n + (v ?? 0), 0);
}

/**
 * Brings a task's records (and so its "done") to the stage's own count once it has ended: the
 * live count is sampled, and may miss the last beat.
 */
function settle(task: ProgressTask, records: number): void {
  if (records !== task.counts.records) task.add('records', records - task.counts.records);
}

/** Counts what the processors emit (growth of the clean topics) into a progress task, once a second. */
async function watchCleanTopics(transport: Transport, task: ProgressTask): Promise<{ stop(): void }> {
  // Read before the processors start, so that what they write in their first second counts too.
  const base = await recordsIn(transport, (n) => CLEAN.has(n));
  let last = 0;
  let stopped = false;
  const timer = setInterval(() => {
    recordsIn(transport, (n) => CLEAN.has(n))
      .then((n) => {
        // A count read before stop() lands after it, when the task already holds the final number.
        if (stopped) return;
        const grown = n - base;
        if (grown > last) task.add('records', grown - last);
        last = grown;
      })
      .catch(() => undefined);
  }, 1_000);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

interface GoldRefresh {
  /** Rebuilds finished so far. */
  readonly builds: number;
  /** Ends the timer and waits for a rebuild under way. */
  stop(): Promise<void>;
}

/**
 * Rebuilds Gold and its report from the Silver snapshot every `intervalMs` while a followed run
 * goes on. The snapshot, not the Silver file: the sink in this process holds that one. A rebuild
 * that fails is logged and tried again at the next interval; the pipeline goes on.
 */
function startGoldRefresh(o: { intervalMs: number; silverPath: string; goldDir: string; board: ProgressBoard; logger: Logger; signal: AbortSignal; metrics: Registry }): GoldRefresh {
  const task = o.board.task('gold', 'rebuilds');
  task.status = `every ${o.intervalMs / 1000} s`;
  let builds = 0;
  let stopped = false;
  /** The rebuild under way, if any: a tick that finds one skips (rebuilds never queue up behind a slow one). */
  let current: Promise<void> | undefined;
  const rebuild = async () => {
    const { buildGold, writeGoldReport } = await import('../../gold/index.ts');
    const { defaultSnapshotPath } = await import('../../sinks/silver/index.ts');
    const snapshot = defaultSnapshotPath(o.silverPath);
    if (!existsSync(snapshot)) {
      task.status = 'waiting for the first Silver snapshot';
      return;
    }
    try {
      const gold = await buildGold({ silverPath: snapshot, snapshotPath: snapshot, goldPath: join(o.goldDir, 'gold.duckdb') }, { metrics: o.metrics });
      await writeGoldReport({ goldPath: gold.goldPath, outDir: o.goldDir });
      builds++;
      task.advance(1);
      task.status = `rebuilt ${new Date().toISOString().slice(11, 19)} UTC, every ${o.intervalMs / 1000} s`;
    } catch (err) {
      o.logger.warn('Gold rebuild failed; trying again at the next interval', { err });
    }
  };
  const timer = setInterval(() => {
    if (current || stopped) return;
    current = rebuild().finally(() => {
      current = undefined;
    });
  }, o.intervalMs);
  const onAbort = () => clearInterval(timer);
  o.signal.addEventListener('abort', onAbort, { once: true });
  return {
    get builds() {
      return builds;
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      o.signal.removeEventListener('abort', onAbort);
      await current;
      task.end(`${builds} rebuild(s)`);
    },
  };
}

async function silverCounts(path: string): Promise<string> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const { SILVER_TABLES } = await import('../../sinks/silver/index.ts');
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    const parts: string[] = [];
    for (const t of SILVER_TABLES) {
      const n = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${t}`)).getRows()[0]![0]);
      parts.push(`${t} ${n.toLocaleString('en-US')}`);
    }
    return parts.join(', ');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export type { RunSettings };
