/**
 * Graceful shutdown: the first SIGINT/SIGTERM aborts the returned signal so every loop can stop
 * taking new work, flush and commit; a second signal exits at once (the log stays consistent
 * because every write is atomic). A deadline bounds the graceful phase.
 */
import type { Logger } from './logger.ts';

export interface Shutdown {
  /** Aborted on the first signal, on `trigger`, or by the caller's own timeout. */
  readonly signal: AbortSignal;
  /** Starts a graceful stop from code (e.g. `--timeout` elapsed). */
  trigger(reason: string): void;
  /** Removes the signal handlers. */
  dispose(): void;
}

export interface ShutdownOptions {
  logger: Logger;
  /** After the first signal, exit with code 1 if still running after this long. Default 10 s. */
  graceMs?: number;
  /** For tests: where exits go. Defaults to process.exit. */
  exit?: (code: number) => void;
}

export function installShutdown(options: ShutdownOptions): Shutdown {
  const controller = new AbortController();
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const graceMs = options.graceMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;

  const begin = (reason: string) => {
    if (controller.signal.aborted) return;
    options.logger.info('stopping: finishing in-flight work', { reason, graceMs });
    controller.abort(new Error(reason));
    timer = setTimeout(() => {
      options.logger.error('graceful stop took too long; exiting', { graceMs });
      exit(1);
    }, graceMs);
    timer.unref();
  };

  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      options.logger.warn('second signal: exiting now', { signal: sig });
      exit(sig === 'SIGINT' ? 130 : 143);
      return;
    }
    begin(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  return {
    signal: controller.signal,
    trigger: begin,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (timer) clearTimeout(timer);
    },
  };
}
