/**
 * Checks the configured models against the server's installed list (`GET /api/tags`): at start,
 * when the settings change, and once a minute, so a model pulled later (or removed) is noticed.
 * A model the server does not have is "missing"; a server that does not answer says nothing about
 * its models, so the last finding stands and the error is kept for the page.
 */
import { describeError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { sleep } from './backoff.ts';
import type { ModelInfo } from './types.ts';

export const MODEL_CHECK_INTERVAL_MS = 60_000;
/** The least time between two checks of the loop, whatever kicks it: failing votes kick it often. */
export const MODEL_CHECK_MIN_GAP_MS = 5_000;

export interface ModelCheckStatus {
  /** When the server last answered the check, Unix ms. */
  checkedAt: number | null;
  missing: string[];
  /** Why the last check got no list, if it did not. */
  error: string | null;
}

export interface ModelCheckOptions {
  /** The server's installed models. */
  list: (signal: AbortSignal) => Promise<ModelInfo[]>;
  /** The models to look for (the settings of the moment). */
  configured: () => readonly string[];
  /** Told every finding. */
  onMissing: (missing: readonly string[]) => void;
  logger: Logger;
  intervalMs?: number;
  minGapMs?: number;
}

/** The configured models an installed list lacks. Ollama names `llama3.2` also as `llama3.2:latest`. */
export function missingModels(configured: readonly string[], installed: readonly ModelInfo[]): string[] {
  const names = new Set(installed.flatMap((m) => [m.name, m.name.replace(/:latest$/, '')]));
  return configured.filter((m) => !names.has(m) && !names.has(`${m}:latest`));
}

export class ModelCheck {
  readonly #o: ModelCheckOptions;
  #status: ModelCheckStatus = { checkedAt: null, missing: [], error: null };
  #wake: (() => void) | undefined;
  /** A kick not yet answered by a check (kept through the gap, so none is lost). */
  #kicked = false;

  constructor(options: ModelCheckOptions) {
    this.#o = options;
  }

  get status(): ModelCheckStatus {
    return { ...this.#status, missing: [...this.#status.missing] };
  }

  /** One check now. Never throws for the server's sake: its failure is recorded instead. */
  async check(signal: AbortSignal): Promise<ModelCheckStatus> {
    const configured = this.#o.configured();
    if (configured.length === 0) {
      this.#status = { checkedAt: this.#status.checkedAt, missing: [], error: null };
    } else {
      try {
        const missing = missingModels(configured, await this.#o.list(signal));
        if (missing.join() !== this.#status.missing.join() && missing.length > 0) this.#o.logger.warn('configured models are not installed on the Ollama server', { missing });
        this.#status = { checkedAt: Date.now(), missing, error: null };
      } catch (err) {
        if (signal.aborted) throw err;
        this.#status = { ...this.#status, error: describeError(err) };
      }
    }
    this.#o.onMissing(this.#status.missing);
    return this.status;
  }

  /** Checks again soon: at once if the last check is `minGapMs` old, else once it is (a vote found a model missing). */
  kick(): void {
    this.#kicked = true;
    this.#wake?.();
  }

  /**
   * Checks every interval (and when kicked, at most once per `minGapMs`) until `signal` aborts.
   * The first check is the caller's: it runs `check` before classification starts.
   */
  async run(signal: AbortSignal): Promise<void> {
    const gap = this.#o.minGapMs ?? MODEL_CHECK_MIN_GAP_MS;
    while (!signal.aborted) {
      await sleep(gap, signal).catch((err) => {
        if (!signal.aborted) throw err;
      });
      if (signal.aborted) return;
      const interval = new AbortController();
      const stop = () => interval.abort();
      signal.addEventListener('abort', stop, { once: true });
      this.#wake = stop;
      if (this.#kicked) stop();
      // An aborted sleep is the wake-up itself (a kick, or shutdown seen by the loop's condition).
      await sleep(Math.max(0, (this.#o.intervalMs ?? MODEL_CHECK_INTERVAL_MS) - gap), interval.signal).catch(() => undefined);
      signal.removeEventListener('abort', stop);
      this.#wake = undefined;
      if (signal.aborted) return;
      this.#kicked = false;
      await this.check(signal);
    }
  }
}
