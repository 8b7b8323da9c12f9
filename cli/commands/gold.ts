/**
 * `pma gold`: materialises the Gold tables from Silver (the file, or its snapshot while a sink
 * holds the file) into `<gold-dir>/gold.duckdb`. `pma gold report` builds them and writes
 * `<gold-dir>/report.html` (opens offline) and a CSV per table in `<gold-dir>/csv/`.
 * Settings: flags, PMA_GOLD_* variables, or the config file's "gold" section.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { booleanish, positiveInt, resolveSection, sectionSources } from '../../runtime/config.ts';
import { ConfigError } from '../../runtime/errors.ts';
import { type ActionContext, action } from '../action.ts';

const schema = z
  .object({
    silverPath: z.string().trim().min(1).optional(),
    goldDir: z.string().trim().min(1).optional(),
    topUsers: positiveInt.default(500),
    stake: positiveInt.default(100),
    board: z
      .string()
      .trim()
      .regex(/^[A-Za-z_]+\/(DAY|WEEK|MONTH|ALL)\/(PNL|VOL)$/, 'expected CATEGORY/PERIOD/ORDER, e.g. OVERALL/ALL/PNL')
      .default('OVERALL/ALL/PNL'),
    build: booleanish.default(true),
    json: booleanish.default(false),
  })
  .strict();

type GoldSettings = z.output<typeof schema>;

export function register(program: Command): void {
  const gold = program.command('gold').description('build Gold analytics on Silver (and its report)');
  const common = (c: Command) =>
    c
      .option('--silver-path <file>', 'the Silver DuckDB file (default <data-dir>/silver.duckdb)')
      .option('--gold-dir <dir>', 'where gold.duckdb, report.html and csv/ go (default <data-dir>/gold)')
      .option('--top-users <n>', 'copy-trading: leaderboard wallets to copy (default 500)')
      .option('--stake <dollars>', 'copy-trading fixed-size variant: dollars per trade (default 100)')
      .option('--board <c/p/o>', 'copy-trading: the leaderboard to pick wallets from (default OVERALL/ALL/PNL)')
      .option('--json', 'print the result as JSON');
  common(gold.command('build', { isDefault: true }).description('materialise the Gold tables from Silver')).action(action(build));
  common(gold.command('report').description('build Gold, then write report.html and a CSV per table'))
    .option('--no-build', 'report on the Gold tables as they are, without rebuilding them')
    .action(action(report));
}

function settingsOf(ctx: ActionContext, flags: Record<string, unknown>): GoldSettings {
  return resolveSection(schema, sectionSources('gold', Object.keys(schema.shape), ctx.config.file, process.env, flags));
}

async function materialise(ctx: ActionContext, s: GoldSettings) {
  const { buildGold } = await import('../../gold/index.ts');
  const { defaultSilverPath } = await import('../../sinks/silver/query-client.ts');
  const [category, timePeriod, orderBy] = s.board.split('/') as [string, string, string];
  return buildGold({
    silverPath: s.silverPath ?? defaultSilverPath(ctx.config.dataDir),
    goldPath: join(s.goldDir ?? join(ctx.config.dataDir, 'gold'), 'gold.duckdb'),
    parameters: { topUsers: s.topUsers, stake: s.stake, board: { category: category.toUpperCase(), timePeriod, orderBy } },
  });
}

async function build(ctx: ActionContext, flags: Record<string, unknown>): Promise<void> {
  const s = settingsOf(ctx, flags);
  const r = await materialise(ctx, s);
  if (s.json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const width = Math.max(...r.tables.map((t) => t.name.length));
  process.stdout.write(
    [
      `Gold built in ${(r.millis / 1000).toFixed(1)} s from ${r.source.kind === 'snapshot' ? `the snapshot ${r.source.path} (the sink holds the Silver file)` : r.source.path}:`,
      ...r.tables.map((t) => `  ${t.name.padEnd(width)}  ${t.rows.toLocaleString('en-US').padStart(10)}  ${t.description}`),
      `tables in ${r.goldPath}; "pma gold report" writes the report`,
      '',
    ].join('\n'),
  );
}

async function report(ctx: ActionContext, flags: Record<string, unknown>): Promise<void> {
  const s = settingsOf(ctx, flags);
  const { writeGoldReport } = await import('../../gold/index.ts');
  const goldDir = s.goldDir ?? join(ctx.config.dataDir, 'gold');
  const built = s.build ? await materialise(ctx, s) : undefined;
  const r = await writeGoldReport({ goldPath: join(goldDir, 'gold.duckdb'), outDir: goldDir }).catch((err: Error) => {
    if (!s.build && /No such file|does not exist|Cannot open/i.test(err.message)) {
      throw new ConfigError(`no Gold tables in ${goldDir} yet: run "pma gold" first, or drop --no-build`, { path: goldDir });
    }
    throw err;
  });
  if (s.json) {
    process.stdout.write(`${JSON.stringify({ ...r, built: built ?? null })}\n`);
    return;
  }
  process.stdout.write(`report: ${r.html}\ncsv:    ${r.csvDir} (${r.csvFiles.length} files)\n`);
}
