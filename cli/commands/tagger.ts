/**
 * `pma tagger`: the Tag Manager web app, with its classification stream processor and tag sink,
 * in one process. `pma tagger rebuild` replays the tag topics into a fresh tag store.
 * Settings: flags, PMA_TAGGER_* variables, or the config file's "tagger" section.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { booleanish, port, resolveSection, sectionSources, stringList } from '../../runtime/config.ts';
import { ConfigError } from '../../runtime/errors.ts';
import { TaggerService, tagStorePath } from '../../tagger/service.ts';
import { parseSettings, type TaggerSettings } from '../../tagger/settings.ts';
import { TagStore } from '../../tagger/store/tag-store.ts';
import { DEFAULT_HOST, DEFAULT_PORT, startWebServer } from '../../tagger/web/server.ts';
import { type ActionContext, action } from '../action.ts';
import { openLogAndSerde } from '../open.ts';

const KEYS = ['host', 'port', 'ollamaUrl', 'models', 'reclassify', 'classify'] as const;

const taggerSchema = z
  .object({
    host: z.string().trim().min(1).default(DEFAULT_HOST),
    port: port.default(DEFAULT_PORT),
    ollamaUrl: z.string().trim().optional(),
    models: stringList.optional(),
    reclassify: booleanish.default(false),
    classify: booleanish.default(true),
  })
  .strict();

export function register(program: Command): void {
  const tagger = program
    .command('tagger')
    .description('run the Tag Manager web app (tags, examples, judge, history, settings, pipeline)')
    .option('--host <host>', `address to listen on (default ${DEFAULT_HOST}; anything else exposes the app to your network)`)
    .option('--port <port>', `port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)`)
    .option('--ollama-url <url>', 'Ollama base URL (saved into the settings)')
    .option('--models <list>', 'judge pool models, comma-separated (saved into the settings)')
    .option('--reclassify', 'redo every model decision of active tags once at start (people’s decisions stay)')
    .option('--no-classify', 'serve the app only: do not classify markets')
    .action(action(serve));
  tagger
    .command('rebuild')
    .description('replay pma.tag-catalog and pma.tag-decisions into a fresh tag store (<data-dir>/tags.duckdb)')
    .option('--into <file>', 'write this DuckDB file instead of replacing <data-dir>/tags.duckdb')
    .action(action(rebuild));
}

async function serve(ctx: ActionContext, flags: Record<string, unknown>): Promise<void> {
  const settings = resolveSection(taggerSchema, sectionSources('tagger', KEYS, ctx.config.file, process.env, flags));
  const overrides: Partial<TaggerSettings> = {};
  if (settings.ollamaUrl) overrides.ollamaUrl = settings.ollamaUrl;
  if (settings.models) overrides.models = settings.models;
  if (Object.keys(overrides).length > 0) {
    const checked = parseSettings(overrides);
    if (!checked.ok) {
      const flag = checked.field === 'models' ? '--models' : '--ollama-url';
      throw new ConfigError(`${flag}: ${checked.message}`, { flag, field: checked.field });
    }
  }
  const { transport, serde } = await openLogAndSerde(ctx, 'pma-tagger');
  const service = await TaggerService.start({
    transport,
    serde,
    dataDir: ctx.config.dataDir,
    logger: ctx.logger,
    overrides,
    classify: settings.classify,
    reclassify: settings.reclassify,
  });
  ctx.onClose(() => service.close());
  const web = await startWebServer({ service, serde, logger: ctx.logger, host: settings.host, port: settings.port });
  ctx.onClose(() => web.close());
  process.stdout.write(`Tag Manager: ${web.url}/  (Ctrl+C to stop)\n`);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

async function rebuild(ctx: ActionContext, flags: { into?: string }): Promise<void> {
  const target = flags.into ?? tagStorePath(ctx.config.dataDir);
  // Fails with a clear message while a running "pma tagger" holds the file.
  if (existsSync(target)) (await TagStore.open(target)).close();
  const { transport, serde } = await openLogAndSerde(ctx, 'pma-tagger');
  const fresh = `${target}.rebuild-${process.pid}`;
  rmSync(fresh, { force: true });
  const service = await TaggerService.start({
    transport,
    serde,
    dataDir: ctx.config.dataDir,
    logger: ctx.logger,
    classify: false,
    storePath: fresh,
    sinkGroup: `pma-tagger-rebuild-${process.pid}`,
  });
  const tags = (await service.store.tags()).length;
  const decisions = (await service.store.snapshot()).JudgeHistory?.length ?? 0;
  await service.close();
  rmSync(target, { force: true });
  rmSync(`${target}.wal`, { force: true });
  renameSync(fresh, target);
  process.stdout.write(`rebuilt ${target}: ${tags} tags, ${decisions} decisions\n`);
}
