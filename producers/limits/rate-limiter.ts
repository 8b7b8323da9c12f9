/**
 * The request budget of a run: one adaptive token bucket per limit group, shared by every
 * worker. A request waits for a token of each group it belongs to, most specific first, and
 * throttling signals slow the most specific group (the one the server most likely enforced).
 */
import type { ApiName } from '../http/apis.ts';
import { groupsFor, LIMIT_WINDOW_MS, type LimitProfile, publishedLimits } from './published.ts';
import { TokenBucket } from './token-bucket.ts';

export interface RateLimiterOptions {
  /** "off" admits everything at once. */
  profile: LimitProfile | 'off';
  /** Per group: requests per 10 s, or "off" to remove that group's limit. */
  overrides?: Record<string, number | 'off'>;
  /**
   * Share of each published limit to use (0 < h <= 1). Default 0.985: 1% as burst, 97.5% as
   * rate, so no sliding 10 s window sees more than 98.5% of the limit at the client, leaving room
   * for arrivals that network and scheduling jitter bunch up at the server.
   */
  headroom?: number;
  now?: () => number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #routes = new Map<string, TokenBucket[]>();

  constructor(options: RateLimiterOptions) {
    if (options.profile === 'off') return;
    const limits: Record<string, number | 'off'> = { ...publishedLimits(options.profile), ...options.overrides };
    const headroom = options.headroom ?? 0.985;
    if (!(headroom > 0 && headroom <= 1)) throw new RangeError('rate-limit headroom must be in (0, 1]');
    for (const [name, perWindow] of Object.entries(limits)) {
      if (perWindow === 'off') continue;
      const burst = Math.max(1, Math.floor(perWindow * 0.01));
      const rate = Math.max(perWindow * headroom - burst, perWindow * 0.5) / (LIMIT_WINDOW_MS / 1000);
      this.#buckets.set(name, new TokenBucket({ name, ratePerSec: rate, capacity: burst, now: options.now }));
    }
  }

  /** The buckets a request to this route waits on, most specific first. */
  bucketsFor(api: ApiName, endpoint: string): TokenBucket[] {
    const key = `${api}:${endpoint}`;
    let list = this.#routes.get(key);
    if (!list) {
      list = groupsFor(api, endpoint)
        .map((g) => this.#buckets.get(g))
        .filter((b): b is TokenBucket => b !== undefined);
      this.#routes.set(key, list);
    }
    return list;
  }

  async acquire(api: ApiName, endpoint: string, signal?: AbortSignal): Promise<void> {
    for (const bucket of this.bucketsFor(api, endpoint)) await bucket.acquire(signal);
  }

  throttled(api: ApiName, endpoint: string, kind: 'reject' | 'delay', retryAfterMs?: number): void {
    const [first] = this.bucketsFor(api, endpoint);
    first?.throttled(kind, retryAfterMs);
  }

  succeeded(api: ApiName, endpoint: string): void {
    for (const b of this.bucketsFor(api, endpoint)) b.succeeded();
  }

  buckets(): TokenBucket[] {
    return [...this.#buckets.values()];
  }
}
