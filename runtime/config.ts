/**
 * Configuration, validated in one place. Every setting comes from (lowest to highest):
 * built-in defaults, the config file (`--config`, JSON or YAML), `PMA_*` environment variables,
 * then command-line flags. Commands add their own sections with `resolveSection`.
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { checkSecurity, SECURITY_KEYS, securitySettings } from './config-security.ts';
import { ConfigError } from './errors.ts';
import { type KafkaConfig, loadKafkaConfig } from './kafka-config.ts';
import { redactSetting } from './secrets.ts';

/** Comma-separated list or array, trimmed, empty items dropped. */
export const stringList = z.preprocess((v) => (typeof v === 'string' ? v.split(',') : v), z.array(z.string().trim().min(1)).min(1));

/** A positive integer given as a number or a numeric string (flags and env arrive as strings). */
export const positiveInt = z.coerce.number().int().positive();
export const port = z.coerce.number().int().min(0).max(65_535);
export { booleanish } from './config-values.ts';

export const globalConfigSchema = z
  .object({
    transport: z.enum(['embedded', 'kafka']).default('embedded'),
    brokers: stringList.default(['127.0.0.1:9092']),
    /** Schema registry URL, or "embedded" for the registry kept in the embedded log's database. */
    registry: z
      .string()
      .trim()
      .refine((v) => v === 'embedded' || /^https?:\/\/[^\s]+$/.test(v), {
        message: 'must be "embedded" or an http(s) URL',
      })
      .optional(),
    dataDir: z.string().trim().min(1).default('data'),
    logFormat: z.enum(['text', 'json']).default('text'),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
    ...securitySettings,
  })
  .strict()
  .superRefine(checkSecurity);

export type GlobalConfig = Omit<z.output<typeof globalConfigSchema>, 'registry' | 'dataDir'> & {
  /** Resolved: "embedded" on the embedded transport unless a URL was given; a URL on Kafka. */
  registry: string;
  /** Absolute path. */
  dataDir: string;
  /** The parsed config file (empty if none), so commands can read their own sections. */
  file: Record<string, unknown>;
  /** Names and topic layout on a Kafka cluster (the `kafka:` section, PMA_KAFKA_*). */
  kafka: KafkaConfig;
};

/** Maps a global setting to its flag name and environment variable, for messages and lookups. */
export const GLOBAL_KEYS = {
  transport: { flag: '--transport', env: 'PMA_TRANSPORT' },
  brokers: { flag: '--brokers', env: 'PMA_BROKERS' },
  registry: { flag: '--registry', env: 'PMA_REGISTRY' },
  dataDir: { flag: '--data-dir', env: 'PMA_DATA_DIR' },
  logFormat: { flag: '--log-format', env: 'PMA_LOG_FORMAT' },
  logLevel: { flag: '--log-level', env: 'PMA_LOG_LEVEL' },
  ...SECURITY_KEYS,
} as const;

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file: ${(err as Error).message}`, { path, flag: '--config' });
  }
  let parsed: unknown;
  try {
    parsed = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file is not valid ${extname(path) || 'JSON'}: ${(err as Error).message}`, {
      path,
      flag: '--config',
    });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('config file must hold an object at the top level', { path, flag: '--config' });
  }
  return parsed as Record<string, unknown>;
}

interface Source {
  /** How a user would name where the value came from, e.g. "--brokers" or "PMA_BROKERS". */
  where: (key: string) => string;
  values: Record<string, unknown>;
}

/**
 * Validates a section of settings drawn from several sources (later sources win) and throws a
 * ConfigError naming the flag, variable or file key of the first bad value.
 */
export function resolveSection<S extends z.ZodObject>(schema: S, sources: Source[]): z.output<S> {
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const src of sources) {
    for (const [k, v] of Object.entries(src.values)) {
      if (v === undefined) continue;
      merged[k] = v;
      origin[k] = src.where(k);
    }
  }
  const result = schema.safeParse(merged);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = String(issue.path[0] ?? '');
  if (issue.code === 'unrecognized_keys') {
    const unknown = (issue as { keys?: string[] }).keys?.[0] ?? key;
    throw new ConfigError(`unknown setting "${unknown}" in ${origin[unknown] ?? 'config'}`, { field: unknown });
  }
  const where = origin[key] ?? `setting "${key}"`;
  const value = redactSetting(key, merged[key]);
  const shown = value === undefined ? 'nothing' : JSON.stringify(value);
  throw new ConfigError(`${where}: ${issue.message} (got ${shown})`, { flag: where, field: key, value });
}

const camelToKebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camelToEnv = (prefix: string, k: string) => `${prefix}${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** Sources in precedence order for a section: file section, `PMA_<SECTION>_*` env, then flags. */
export function sectionSources(
  section: string | undefined,
  keys: readonly string[],
  file: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  flags: Record<string, unknown>,
  configPath?: string,
): Source[] {
  const envPrefix = section ? `PMA_${section.toUpperCase().replace(/-/g, '_')}_` : 'PMA_';
  const fileValues = section ? file[section] : file;
  if (fileValues !== undefined && (typeof fileValues !== 'object' || fileValues === null || Array.isArray(fileValues))) {
    throw new ConfigError(`config file section "${section}" must be an object`, { path: configPath, field: section });
  }
  const envValues: Record<string, unknown> = {};
  for (const k of keys) {
    const name = camelToEnv(envPrefix, k);
    if (env[name] !== undefined && env[name] !== '') envValues[k] = env[name];
  }
  const flagValues: Record<string, unknown> = {};
  for (const k of keys) if (flags[k] !== undefined) flagValues[k] = flags[k];
  return [
    {
      where: (k) => `${configPath ?? 'config file'}: ${section ? `${section}.` : ''}${k}`,
      values: (fileValues as Record<string, unknown>) ?? {},
    },
    { where: (k) => camelToEnv(envPrefix, k), values: envValues },
    { where: (k) => `--${camelToKebab(k)}`, values: flagValues },
  ];
}

const GLOBAL_KEY_NAMES = Object.keys(GLOBAL_KEYS);

/** Top-level keys of the config file that hold a command's own settings. */
export const CONFIG_SECTIONS = ['run', 'ingest', 'process', 'sink', 'replay', 'gold', 'sim', 'tagger', 'bench', 'status', 'topics', 'registry', 'query', 'kafka'] as const;

/** Resolves the global settings from defaults, the config file, PMA_* variables and flags. */
export function loadGlobalConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): GlobalConfig {
  const configPath = (flags.config as string | undefined) ?? env.PMA_CONFIG;
  const file = configPath ? readConfigFile(configPath) : {};
  for (const key of Object.keys(file)) {
    if (!GLOBAL_KEY_NAMES.includes(key) && !(CONFIG_SECTIONS as readonly string[]).includes(key)) {
      throw new ConfigError(`unknown key "${key}" in ${configPath}: expected a setting (${GLOBAL_KEY_NAMES.join(', ')}) or a command section (${CONFIG_SECTIONS.join(', ')})`, {
        path: configPath,
        field: key,
      });
    }
  }
  const fileGlobals = Object.fromEntries(Object.entries(file).filter(([k]) => GLOBAL_KEY_NAMES.includes(k)));
  const parsed = resolveSection(globalConfigSchema, sectionSources(undefined, GLOBAL_KEY_NAMES, fileGlobals, env, flags, configPath));
  const registry = parsed.registry ?? (parsed.transport === 'embedded' ? 'embedded' : 'http://127.0.0.1:8081');
  return { ...parsed, registry, dataDir: resolve(parsed.dataDir), file, kafka: loadKafkaConfig(file, env, configPath) };
}
