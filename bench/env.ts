/**
 * What a benchmark gets from whoever runs it (the CLI wraps each one in its action): the global
 * settings, a logger, a stop signal, and cleanup that runs however the bench ends. Declared
 * here, structurally, so that bench/ depends on no caller.
 */
import type { GlobalConfig } from '../runtime/config.ts';
import type { Logger } from '../runtime/logger.ts';

export interface BenchEnv {
  readonly config: GlobalConfig;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Runs `fn` when the bench is over, last registered first. */
  onClose(fn: () => Promise<void> | void): void;
}
