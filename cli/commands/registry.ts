/**
 * `pma registry`: the schema registry.
 *   serve     exposes the embedded registry (in <data-dir>/log.sqlite) over the Confluent REST API
 *   list      subjects with their latest version and id
 *   get       one version of a subject (default the latest)
 *   register  registers an .avsc under a subject (compatibility checked)
 * list/get/register use the configured registry (--registry: "embedded" or a URL).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { EmbeddedRegistry } from '../../registry/embedded.ts';
import { openRegistry } from '../../registry/index.ts';
import { startRegistryServer } from '../../registry/server.ts';
import { port, resolveSection, sectionSources } from '../../runtime/config.ts';
import { ConfigError } from '../../runtime/errors.ts';
import { embeddedLogPath } from '../../transport/index.ts';
import { type ActionContext, action } from '../action.ts';

const serveSchema = z
  .object({
    host: z.string().trim().min(1).default('127.0.0.1'),
    port: port.default(8081),
  })
  .strict();

export function register(program: Command): void {
  const registry = program.command('registry').description('schema registry: serve, list, get, register');

  registry
    .command('serve')
    .description('serve the embedded registry over the Confluent Schema Registry REST API')
    .option('--host <host>', 'address to listen on (default 127.0.0.1; env PMA_REGISTRY_HOST)')
    .option('--port <port>', 'port to listen on, 0 for any free port (default 8081; env PMA_REGISTRY_PORT)')
    .action(action(serve));

  registry.command('list').description('list subjects with their latest version and schema id').action(action(list));

  registry
    .command('get')
    .description('print one version of a subject (default the latest) as JSON')
    .argument('<subject>', 'subject, e.g. pma.raw.trades-value')
    .argument('[version]', 'version number or "latest"', 'latest')
    .action(action(get));

  registry
    .command('register')
    .description('register an Avro schema file under a subject (refused if incompatible)')
    .argument('<subject>', 'subject, e.g. pma.raw.trades-value')
    .argument('<file>', 'the .avsc file')
    .action(action(registerFile));
}

async function serve(ctx: ActionContext, flags: { host?: string; port?: string }): Promise<void> {
  // Only flags and PMA_REGISTRY_HOST / PMA_REGISTRY_PORT: the config file's "registry" key is the registry URL.
  const settings = resolveSection(serveSchema, sectionSources('registry', ['host', 'port'], {}, process.env, flags));
  const path = embeddedLogPath(ctx.config.dataDir);
  const registry = new EmbeddedRegistry({ path });
  ctx.onClose(() => registry.close());
  const logger = ctx.logger.child({ component: 'registry' });
  const server = await startRegistryServer({ registry, logger, host: settings.host, port: settings.port });
  ctx.onClose(() => server.close());
  process.stdout.write(`pma registry listening on ${server.url} (embedded registry in ${path})\n`);
  logger.info('registry serving', { url: server.url, path });
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

async function list(ctx: ActionContext): Promise<void> {
  const registry = await openRegistry(ctx.config);
  ctx.onClose(() => registry.close());
  const subjects = await registry.listSubjects();
  if (subjects.length === 0) {
    process.stdout.write('no subjects\n');
    return;
  }
  const rows = await Promise.all(subjects.map(async (s) => registry.getLatest(s)));
  const width = Math.max(...subjects.map((s) => s.length));
  for (const r of rows) process.stdout.write(`${r.subject.padEnd(width)}  version ${r.version}  id ${r.id}\n`);
}

async function get(ctx: ActionContext, _flags: unknown, [subject, wanted = 'latest']: string[]): Promise<void> {
  const version = wanted === 'latest' ? 'latest' : Number(wanted);
  if (version !== 'latest' && !(/^\d+$/.test(wanted) && version >= 1)) {
    throw new ConfigError(`version: must be a version number or "latest" (got ${JSON.stringify(wanted)})`, { field: 'version', value: wanted });
  }
  const registry = await openRegistry(ctx.config);
  ctx.onClose(() => registry.close());
  const v = version === 'latest' ? await registry.getLatest(subject!) : await registry.getVersion(subject!, version);
  process.stdout.write(`${JSON.stringify({ subject: v.subject, version: v.version, id: v.id, schema: JSON.parse(v.schema) }, null, 2)}\n`);
}

async function registerFile(ctx: ActionContext, _flags: unknown, [subject, file]: string[]): Promise<void> {
  let text: string;
  try {
    text = readFileSync(file!, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`, { path: file });
  }
  const registry = await openRegistry(ctx.config);
  ctx.onClose(() => registry.close());
  const id = await registry.register(subject!, text);
  const v = await registry.lookup(subject!, text);
  process.stdout.write(`registered ${subject} version ${v.version} id ${id}\n`);
}
