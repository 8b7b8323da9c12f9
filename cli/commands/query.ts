/**
 * `pma query "<sql>"`: read-only SQL on Silver, answered by the running sink when there is one
 * (fresh to the last commit), else from the Silver file, else from its snapshot. Output: an
 * aligned table (default), JSON or CSV on stdout; where the answer came from goes to stderr.
 * Settings: flags, PMA_QUERY_* variables, or the config file's "query" section.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { positiveInt, resolveSection, sectionSources } from '../../runtime/config.ts';
import { ConfigError } from '../../runtime/errors.ts';
import { type ActionContext, action } from '../action.ts';

const schema = z
  .object({
    format: z.enum(['table', 'json', 'csv']).default('table'),
    maxRows: positiveInt.default(10_000),
    silverPath: z.string().trim().min(1).optional(),
    source: z.enum(['auto', 'live', 'file', 'snapshot']).default('auto'),
  })
  .strict();

export function register(program: Command): void {
  program
    .command('query')
    .description('run read-only SQL on Silver (the running sink, else the file, else its snapshot)')
    .argument('<sql>', 'one or more SELECT/SHOW/DESCRIBE/SUMMARIZE/EXPLAIN statements; the last one is printed')
    .option('--format <format>', 'table, json or csv (default table)')
    .option('--max-rows <n>', 'print at most this many rows (default 10000)')
    .option('--silver-path <file>', 'the Silver DuckDB file (default <data-dir>/silver.duckdb)')
    .option('--source <source>', 'auto (default), live, file or snapshot')
    .action(action(query));
}

async function query(ctx: ActionContext, flags: Record<string, unknown>, [sql]: string[]): Promise<void> {
  const settings = resolveSection(schema, sectionSources('query', Object.keys(schema.shape), ctx.config.file, process.env, flags));
  if (!sql?.trim()) throw new ConfigError('give the SQL to run, e.g. pma query "SELECT count(*) FROM TradeFact"', { field: 'sql' });
  const { formatRows } = await import('../../sinks/silver/format.ts');
  const { defaultSilverPath, querySilver } = await import('../../sinks/silver/query-client.ts');
  const answer = await querySilver({ silverPath: settings.silverPath ?? defaultSilverPath(ctx.config.dataDir), source: settings.source, maxRows: settings.maxRows }, sql);
  process.stdout.write(formatRows(answer.columns, answer.rows, settings.format));
  const from = answer.source.kind === 'live' ? `the running sink (pid ${answer.source.pid})` : answer.source.kind === 'file' ? answer.source.path : `the snapshot ${answer.source.path}`;
  const cut = answer.truncated ? ` (cut at --max-rows ${settings.maxRows})` : '';
  process.stderr.write(`${answer.rows.length} row${answer.rows.length === 1 ? '' : 's'}${cut} from ${from}\n`);
}
