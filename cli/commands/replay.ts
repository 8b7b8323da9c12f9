/**
 * `pma replay --layer silver|bronze|all [--from-beginning | --from <time>] [--into <dir>]`:
 * rebuilds a layer from the topics with a fresh consumer group, leaving the running pipeline's
 * groups alone. Without --into the rebuilt layer replaces the current one (kept as
 * `silver.duckdb.previous` / `bronze.previous`); with it, the current one is not touched.
 * Settings: flags, PMA_REPLAY_* variables, or the config file's "replay" section.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Serde } from '../../registry/serde.ts';
import { booleanish, positiveInt, resolveSection, sectionSources } from '../../runtime/config.ts';
import { ConfigError } from '../../runtime/errors.ts';
import type { Transport } from '../../transport/types.ts';
import { type ActionContext, action } from '../action.ts';
import { openLogAndSerde } from '../open.ts';

const schema = z
  .object({
    layer: z.enum(['silver', 'bronze', 'all']),
    fromBeginning: booleanish.default(false),
    from: z.string().trim().min(1).optional(),
    into: z.string().trim().min(1).optional(),
    silverPath: z.string().trim().min(1).optional(),
    batchRows: positiveInt.default(250_000),
    json: booleanish.default(false),
  })
  .strict();

export function register(program: Command): void {
  program
    .command('replay')
    .description('rebuild a layer from the topics with a fresh consumer group')
    .option('--layer <layer>', 'silver, bronze or all (required)')
    .option('--from-beginning', 'rebuild from the first record of every partition (the default)')
    .option('--from <time>', 'Silver only: apply again every record from this time on (ISO-8601, or Unix seconds)')
    .option('--into <dir>', 'write the rebuilt layer into this directory and leave the current one alone')
    .option('--silver-path <file>', 'the Silver file (default <data-dir>/silver.duckdb)')
    .option('--batch-rows <n>', 'Silver: records per transaction (default 250000)')
    .option('--json', 'print one JSON line at the end: per layer result, seconds, peak RSS')
    .action(action(replay));
}

/** Epoch ms of an ISO-8601 time or Unix seconds. */
export function parseReplayTime(raw: string): number {
  const n = Number(raw);
  const ms = Number.isFinite(n) && /^\d+(\.\d+)?$/.test(raw) ? n * 1000 : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
  if (!Number.isFinite(ms)) throw new ConfigError(`--from "${raw}": expected an ISO-8601 time or Unix seconds`, { flag: '--from', value: raw });
  return ms;
}

async function replay(ctx: ActionContext, flags: Record<string, unknown>): Promise<void> {
  const settings = resolveSection(schema, sectionSources('replay', Object.keys(schema.shape), ctx.config.file, process.env, flags));
  if (settings.fromBeginning && settings.from) throw new ConfigError('--from-beginning and --from exclude each other', { flag: '--from' });
  const from = settings.from === undefined ? undefined : parseReplayTime(settings.from);
  if (from !== undefined && settings.layer !== 'silver') {
    throw new ConfigError('--from applies to Silver only: Bronze is rebuilt from the beginning (its files are its progress)', { flag: '--from' });
  }
  const into = settings.into === undefined ? undefined : resolve(settings.into);
  const { transport, serde } = await openLogAndSerde(ctx, 'pma-replay');
  const stamp = Date.now();
  const started = performance.now();
  const report: Record<string, unknown> = {};
  const say = (line: string) => {
    if (!settings.json) process.stdout.write(`${line}\n`);
  };

  if (settings.layer === 'bronze' || settings.layer === 'all') {
    const r = await replayBronze(ctx, transport, serde, into, `pma-replay-bronze-${stamp}`);
    report.bronze = r;
    say(`bronze: ${r.rows} rows in ${r.files} files rebuilt into ${r.root}${r.previous ? ` (the previous one is kept at ${r.previous})` : ''}`);
  }
  if (settings.layer === 'silver' || settings.layer === 'all') {
    const { rebuildSilver } = await import('../../sinks/silver/rebuild.ts');
    const { defaultSilverPath } = await import('../../sinks/silver/query-client.ts');
    const silverStarted = performance.now();
    const r = await rebuildSilver(
      {
        silverPath: settings.silverPath ?? defaultSilverPath(ctx.config.dataDir),
        into,
        start: from === undefined ? { from: 'beginning' } : { from: 'timestamp', timestamp: from },
        groupId: `pma-replay-silver-${stamp}`,
        batchRows: settings.batchRows,
      },
      { transport, serde, logger: ctx.logger, signal: ctx.signal },
    );
    const seconds = (performance.now() - silverStarted) / 1000;
    report.silver = { path: r.path, records: r.records, perTopic: r.perTopic, seconds, previous: r.previous ?? null, reason: r.reason };
    if (r.reason !== 'caught-up') say('silver: replay interrupted; run it again to finish');
    say(
      `silver: ${r.records} records ${from === undefined ? 'rebuilt into' : `from ${new Date(from).toISOString()} applied again to`} ${r.path} in ${seconds.toFixed(1)} s` +
        (r.previous ? ` (the previous file is kept at ${r.previous})` : ''),
    );
  }
  if (settings.json) {
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`${JSON.stringify({ ...report, seconds, peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
  }
}

interface BronzeReplay {
  root: string;
  rows: number;
  files: number;
  previous?: string;
}

/** Bronze from the beginning into a fresh directory, then swapped in place of the current one unless --into. */
async function replayBronze(ctx: ActionContext, transport: Transport, serde: Serde, into: string | undefined, groupId: string): Promise<BronzeReplay> {
  const { runBronzeSink, bronzeRoot } = await import('../../sinks/bronze/index.ts');
  const buildDir = into ?? join(ctx.config.dataDir, `.replay-bronze-${process.pid}`);
  if (into && existsSync(bronzeRoot(into))) throw new ConfigError(`${bronzeRoot(into)} exists already: choose an empty --into directory`, { flag: '--into' });
  if (!into) rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  const r = await runBronzeSink({ dataDir: buildDir, groupId }, { transport, serde, logger: ctx.logger, signal: ctx.signal, until: 'caught-up' });
  if (ctx.signal.aborted) throw new ConfigError('replay interrupted before Bronze was complete; nothing was replaced', {});
  if (into) return { root: bronzeRoot(into), rows: r.rows, files: r.files };
  const current = bronzeRoot(ctx.config.dataDir);
  const previous = `${current}.previous`;
  rmSync(previous, { recursive: true, force: true });
  if (existsSync(current)) renameSync(current, previous);
  renameSync(bronzeRoot(buildDir), current);
  rmSync(buildDir, { recursive: true, force: true });
  return { root: current, rows: r.rows, files: r.files, previous: existsSync(previous) ? previous : undefined };
}
