/**
 * `pma compact`: merges the small Parquet files of each Bronze `dt` directory into one (or into
 * files of at least --target-bytes), atomically for readers, exactly once across kills. A running
 * `pma sink --layer bronze` compacts by itself; this is for a data dir no sink is writing.
 * Settings: flags or PMA_COMPACT_* variables.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { booleanish, positiveInt, resolveSection, sectionSources, stringList } from '../../runtime/config.ts';
import { CLEAN_TOPIC_KEYS, type CleanTopicKey } from '../../schemas/clean-records.ts';
import { COMPACT_DEFAULTS, runBronzeCompaction } from '../../sinks/bronze/index.ts';
import { type ActionContext, action } from '../action.ts';

const KEYS = ['types', 'targetBytes', 'minFiles', 'json'] as const;

const compactSchema = z
  .object({
    types: stringList.pipe(z.array(z.enum(CLEAN_TOPIC_KEYS as unknown as [CleanTopicKey, ...CleanTopicKey[]]))).optional(),
    targetBytes: positiveInt.default(COMPACT_DEFAULTS.targetBytes),
    minFiles: positiveInt.default(COMPACT_DEFAULTS.minFiles),
    json: booleanish.default(false),
  })
  .strict();

export function register(program: Command): void {
  program
    .command('compact')
    .description('merge the small Bronze Parquet files of each dt directory (atomic for readers, exactly once)')
    .option('--types <list>', `Bronze types to compact, comma-separated (default all: ${CLEAN_TOPIC_KEYS.join(',')})`)
    .option('--target-bytes <n>', `leave files this big alone, merge smaller ones into files about this big (default ${COMPACT_DEFAULTS.targetBytes})`)
    .option('--min-files <n>', `rewrite a dt directory holding at least this many small files (default ${COMPACT_DEFAULTS.minFiles}; 1 rewrites every one)`)
    .option('--json', 'print one JSON line with the result')
    .action(action(compact));
}

async function compact(ctx: ActionContext, flags: Record<string, unknown>): Promise<void> {
  // Not a config-file section: the file's sections are a fixed list (runtime/config.ts).
  const settings = resolveSection(compactSchema, sectionSources('compact', KEYS, {}, process.env, flags));
  const r = await runBronzeCompaction(ctx.config.dataDir, { types: settings.types, targetBytes: settings.targetBytes, minFiles: settings.minFiles }, ctx.logger);
  process.stdout.write(
    settings.json ? `${JSON.stringify(r)}\n` : `compacted ${r.dirs} dt directories: ${r.filesBefore} files became ${r.filesAfter} (${r.rows} rows, ${r.bytesIn} bytes in, ${r.bytesOut} out)\n`,
  );
}
