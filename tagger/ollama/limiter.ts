/**
 * A counting semaphore that bounds how many requests are in flight toward Ollama. The limit can
 * change while running (the Settings page sets it); waiters are served first come, first served,
 * and a waiter whose signal aborts leaves the queue with AbortedError.
 */
import { AbortedError } from '../../runtime/errors.ts';

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export class Limiter {
  #limit: number;
  #active = 0;
  readonly #queue: Waiter[] = [];

  constructor(limit: number) {
    this.#limit = checkLimit(limit);
  }

  get limit(): number {
    return this.#limit;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /** Raises or lowers the bound; in-flight work above a lowered bound finishes normally. */
  resize(limit: number): void {
    this.#limit = checkLimit(limit);
    this.#drain();
  }

  /** Runs `fn` once a slot is free, releasing the slot however `fn` ends. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await fn();
    } finally {
      this.#active--;
      this.#drain();
    }
  }

  #acquire(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError('waiting for an Ollama slot was aborted'));
    if (this.#active < this.#limit && this.#queue.length === 0) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(new AbortedError('waiting for an Ollama slot was aborted'));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  #drain(): void {
    while (this.#active < this.#limit && this.#queue.length > 0) {
      const next = this.#queue.shift()!;
      next.signal?.removeEventListener('abort', next.onAbort);
      this.#active++;
      next.resolve();
    }
  }
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  return limit;
}
