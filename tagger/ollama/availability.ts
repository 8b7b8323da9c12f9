/**
 * Shared knowledge of whether the Ollama server answers. When any caller finds it down, one probe
 * loop polls `GET /api/tags` with capped backoff until it answers, and every caller waiting on
 * the gate resumes together: work pauses while Ollama is away and nothing is dropped.
 */
import { describeError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { backoffDelay, sleep } from './backoff.ts';

export interface AvailabilityStatus {
  up: boolean;
  /** When the server was first found down in the current outage, Unix ms. */
  downSince: number | null;
  lastError: string | null;
  probes: number;
}

export interface AvailabilityGateOptions {
  /** Asks the server whether it is up; resolves when it is, rejects when it is not. */
  probe: (signal: AbortSignal) => Promise<unknown>;
  logger: Logger;
  baseMs?: number;
  maxMs?: number;
}

export class AvailabilityGate {
  readonly #options: AvailabilityGateOptions;
  #status: AvailabilityStatus = { up: true, downSince: null, lastError: null, probes: 0 };
  #recovery: Promise<void> | null = null;
  readonly #stop = new AbortController();

  constructor(options: AvailabilityGateOptions) {
    this.#options = options;
  }

  get status(): AvailabilityStatus {
    return { ...this.#status };
  }

  /** Marks the server down (starting the probe loop if not already running). */
  reportDown(err: unknown): void {
    this.#status.lastError = describeError(err);
    if (!this.#status.up) return;
    this.#status = { ...this.#status, up: false, downSince: Date.now(), probes: 0 };
    this.#options.logger.warn('Ollama is not answering; classification pauses until it is back', {
      error: this.#status.lastError,
    });
    this.#recovery = this.#probeUntilUp();
    // A shutdown while down ends the loop; waiters see their own signal.
    this.#recovery.catch(() => undefined);
  }

  /** Resolves at once when up, else when the probe loop finds the server again (or `signal` aborts). */
  async waitUntilUp(signal: AbortSignal): Promise<void> {
    if (this.#status.up || !this.#recovery) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason ?? new Error('aborted'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#recovery!.then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  /** Ends the probe loop (at shutdown). */
  close(): void {
    this.#stop.abort();
  }

  async #probeUntilUp(): Promise<void> {
    const signal = this.#stop.signal;
    for (let attempt = 1; ; attempt++) {
      await sleep(backoffDelay(attempt, { baseMs: this.#options.baseMs ?? 500, maxMs: this.#options.maxMs ?? 15_000 }), signal);
      this.#status.probes = attempt;
      try {
        await this.#options.probe(signal);
        const downMs = Date.now() - (this.#status.downSince ?? Date.now());
        this.#status = { up: true, downSince: null, lastError: null, probes: attempt };
        this.#options.logger.info('Ollama answers again; classification resumes', { downMs, probes: attempt });
        return;
      } catch (err) {
        if (signal.aborted) throw err;
        this.#status.lastError = describeError(err);
      }
    }
  }
}
