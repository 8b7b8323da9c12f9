/**
 * An adaptive token bucket. Tokens refill continuously at `rate` up to `capacity`; callers wait
 * in FIFO order, served by one timer (no polling). The rate adapts AIMD-style: a throttling
 * signal (429, or a response the server visibly held back) cuts it multiplicatively, at most
 * once per cool-down; each success adds a little back until the configured ceiling.
 *
 * Sized so that capacity + rate × window <= the server's limit per window, the bucket never
 * exceeds a sliding-window limit, while using nearly all of it at steady state.
 */
import { AbortedError } from '../../runtime/errors.ts';

export interface TokenBucketOptions {
  name: string;
  /** Requests per second at full speed. */
  ratePerSec: number;
  /** Burst size in requests (>= 1). */
  capacity: number;
  /** Lower bound of the adaptive rate, as a fraction of the ceiling. Default 0.05. */
  minFraction?: number;
  /** Per second of success, the rate regains this fraction of the ceiling. Default 0.02. */
  recoverPerSec?: number;
  /** Two cuts are at least this far apart. Default 1 s. */
  cooldownMs?: number;
  now?: () => number;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class TokenBucket {
  readonly name: string;
  readonly ceiling: number;
  readonly capacity: number;
  #rate: number;
  #tokens: number;
  #last: number;
  #blockedUntil = 0;
  #lastCut = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  readonly #queue: Waiter[] = [];
  readonly #min: number;
  readonly #recover: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  /** Throttling signals received, for metrics. */
  throttles = 0;
  /** Requests admitted, for metrics. */
  admitted = 0;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSec > 0)) throw new RangeError(`bucket ${options.name}: rate must be > 0`);
    this.name = options.name;
    this.ceiling = options.ratePerSec;
    this.capacity = Math.max(1, options.capacity);
    this.#rate = options.ratePerSec;
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = this.capacity;
    this.#last = this.#now();
    this.#min = (options.minFraction ?? 0.05) * options.ratePerSec;
    this.#recover = (options.recoverPerSec ?? 0.02) * options.ratePerSec;
    this.#cooldownMs = options.cooldownMs ?? 1_000;
  }

  /** Current adaptive rate, requests per second. */
  get rate(): number {
    return this.#rate;
  }

  /** Tokens available now (may be fractional), for metrics. */
  get fill(): number {
    this.#refill();
    return this.#tokens;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /** Resolves when a token is taken; rejects with AbortedError if the signal aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError('rate-limit wait aborted', { bucket: this.name }));
    if (this.#queue.length === 0 && this.#tryTake()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(new AbortedError('rate-limit wait aborted', { bucket: this.name }));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#schedule();
    });
  }

  /** A throttling signal: cut the rate (once per cool-down) and, with Retry-After, pause everyone. */
  throttled(kind: 'reject' | 'delay', retryAfterMs?: number): void {
    this.throttles++;
    const now = this.#now();
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      this.#blockedUntil = Math.max(this.#blockedUntil, now + retryAfterMs);
      this.#refill();
      this.#tokens = Math.min(this.#tokens, 0);
      this.#schedule();
    }
    if (now - this.#lastCut < this.#cooldownMs) return;
    this.#lastCut = now;
    this.#refill();
    this.#rate = Math.max(this.#min, this.#rate * (kind === 'reject' ? 0.5 : 0.8));
  }

  /** A request went through unthrottled: regain speed additively. */
  succeeded(): void {
    if (this.#rate >= this.ceiling) return;
    this.#refill();
    this.#rate = Math.min(this.ceiling, this.#rate + this.#recover / Math.max(this.#rate, 1e-9));
  }

  #refill(): void {
    const now = this.#now();
    const from = Math.max(this.#last, this.#blockedUntil);
    if (now > from) this.#tokens = Math.min(this.capacity, this.#tokens + ((now - from) * this.#rate) / 1000);
    this.#last = Math.max(now, this.#last);
  }

  #tryTake(): boolean {
    this.#refill();
    if (this.#now() < this.#blockedUntil || this.#tokens < 1) return false;
    this.#tokens -= 1;
    this.admitted++;
    return true;
  }

  #schedule(): void {
    if (this.#timer || this.#queue.length === 0) return;
    this.#refill();
    const now = this.#now();
    const untilToken = this.#tokens >= 1 ? 0 : ((1 - this.#tokens) * 1000) / this.#rate;
    const wait = Math.max(untilToken, this.#blockedUntil - now, 0);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#drain();
    }, Math.ceil(wait));
  }

  #drain(): void {
    while (this.#queue.length > 0 && this.#tryTake()) {
      const w = this.#queue.shift()!;
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      w.resolve();
    }
    this.#schedule();
  }
}
