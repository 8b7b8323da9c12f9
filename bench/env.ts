/**
 * What a benchmark gets from whoever runs it (the CLI wraps each one in its action): the global
 * settings, a logger, a stop signal, and cleanup that runs however the bench ends. Declared
 * here, structurally, so that bench/ depends on no caller.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { type GlobalConfig, resolveSection, sectionSources } from '../runtime/config.ts';
import type { Logger } from '../runtime/logger.ts';

export interface BenchEnv {
  readonly config: GlobalConfig;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Runs `fn` when the bench is over, last registered first. */
  onClose(fn: () => Promise<void> | void): void;
}

/**
 * Settings of the bench `name`: its section of the config file's `bench:` (`bench: { serde: {...} }`),
 * then `PMA_BENCH_<NAME>_*` variables, then flags, the later winning.
 */
export function benchSettings<S extends z.ZodObject>(env: BenchEnv, name: string, schema: S, flags: Record<string, unknown>): z.output<S> {
  const section = `bench-${name}`;
  const fileSection = (env.config.file.bench as Record<string, unknown> | undefined)?.[name];
  return resolveSection(schema, sectionSources(section, Object.keys(schema.shape), { [section]: fileSection ?? {} }, process.env, flags));
}

/** A scratch dir removed when the bench is over, so a bench never writes into the real data dir. */
export function benchScratch(env: BenchEnv, name: string): string {
  const scratch = mkdtempSync(join(tmpdir(), `pma-bench-${name}-`));
  env.onClose(() => rmSync(scratch, { recursive: true, force: true }));
  return scratch;
}
