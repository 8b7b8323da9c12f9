/**
 * A circuit breaker per model. A model whose requests fail `threshold` times in a row (server
 * errors, timeouts, broken replies, a model not installed) is "open": its votes fail at once
 * without a request, so a sick server is not hammered by every pair of the catalogue. After a
 * cooldown one request goes through as a probe ("half-open"); its success closes the circuit,
 * its failure opens it again for twice the cooldown (capped). Retries inside one vote are bounded
 * elsewhere; this bounds the traffic across all votes.
 */
import { describeError } from '../../runtime/errors.ts';

export interface BreakerOptions {
  /** Consecutive failed requests that open the circuit. */
  threshold: number;
  /** First cooldown before a probe, ms. */
  cooldownMs: number;
  /** Longest cooldown after failed probes, ms. */
  maxCooldownMs: number;
  now?: () => number;
}

export const DEFAULT_BREAKER: BreakerOptions = { threshold: 5, cooldownMs: 30_000, maxCooldownMs: 300_000 };

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerStatus {
  state: BreakerState;
  consecutiveFailures: number;
  /** When a probe may go, Unix ms (open only). */
  retryAt: number | null;
  lastError: string | null;
}

/** What a caller may do now: send normally, send as the one probe, or not send. */
export type Permit = 'go' | 'probe' | 'refused';

export class CircuitBreaker {
  readonly #o: BreakerOptions;
  #state: BreakerState = 'closed';
  #failures = 0;
  #cooldownMs: number;
  #retryAt = 0;
  #lastError: string | null = null;

  constructor(options: BreakerOptions = DEFAULT_BREAKER) {
    this.#o = options;
    this.#cooldownMs = options.cooldownMs;
  }

  get status(): BreakerStatus {
    return { state: this.#state, consecutiveFailures: this.#failures, retryAt: this.#state === 'open' ? this.#retryAt : null, lastError: this.#lastError };
  }

  acquire(): Permit {
    if (this.#state === 'closed') return 'go';
    if (this.#state === 'half-open' || this.#now() < this.#retryAt) return 'refused';
    this.#state = 'half-open';
    return 'probe';
  }

  succeeded(): void {
    this.#state = 'closed';
    this.#failures = 0;
    this.#cooldownMs = this.#o.cooldownMs;
    this.#lastError = null;
  }

  failed(err: unknown, permit: Permit): void {
    this.#failures++;
    this.#lastError = describeError(err);
    if (permit === 'probe') {
      this.#cooldownMs = Math.min(this.#o.maxCooldownMs, this.#cooldownMs * 2);
      this.#open();
    } else if (this.#state === 'closed' && this.#failures >= this.#o.threshold) {
      this.#open();
    }
  }

  /** A request that ended without telling anything (aborted, server away): a probe may go again at once. */
  released(permit: Permit): void {
    if (permit !== 'probe' || this.#state !== 'half-open') return;
    this.#state = 'open';
    this.#retryAt = this.#now();
  }

  #open(): void {
    this.#state = 'open';
    this.#retryAt = this.#now() + this.#cooldownMs;
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }
}

/** One breaker per model name, made on first use. */
export class Breakers {
  readonly #options: BreakerOptions;
  readonly #byModel = new Map<string, CircuitBreaker>();

  constructor(options: BreakerOptions = DEFAULT_BREAKER) {
    this.#options = options;
  }

  for(model: string): CircuitBreaker {
    let breaker = this.#byModel.get(model);
    if (!breaker) {
      breaker = new CircuitBreaker(this.#options);
      this.#byModel.set(model, breaker);
    }
    return breaker;
  }

  status(model: string): BreakerStatus {
    return this.for(model).status;
  }

  /** Forgets every model's history (another server: its failures say nothing about the new one). */
  clear(): void {
    this.#byModel.clear();
  }
}
