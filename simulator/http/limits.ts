/**
 * Published rate limits (spec section 2): sliding 10-second windows per rule, where a request
 * counts against the global rule, its API's general rule and every endpoint rule naming its
 * route. Over the limit, the mode decides: `delay` holds the request until it fits (the documented
 * Cloudflare throttling), `reject` answers 429 at once, `mixed` holds up to `maxDelayMs` and
 * refuses beyond. A 429 is Cloudflare's: text body `error code: 1015` and `Retry-After` seconds.
 */
import type { LimitMode, RateRule } from '../profiles.ts';

class Window {
  readonly rule: RateRule;
  readonly limit: number;
  /** Admission times (ms) of the last `limit` requests, oldest at `head`. */
  readonly #ring: Float64Array;
  #head = 0;
  #count = 0;

  constructor(rule: RateRule, scale: number) {
    this.rule = rule;
    this.limit = Math.max(1, Math.round(rule.limit * scale));
    this.#ring = new Float64Array(this.limit);
  }

  /** Earliest time (ms) at which one more request fits. */
  earliest(now: number): number {
    if (this.#count < this.limit) return now;
    return Math.max(now, this.#ring[this.#head]! + this.rule.windowMs);
  }

  record(at: number): void {
    if (this.#count < this.limit) {
      this.#ring[(this.#head + this.#count) % this.limit] = at;
      this.#count++;
    } else {
      this.#ring[this.#head] = at;
      this.#head = (this.#head + 1) % this.limit;
    }
  }
}

export type Admission = { delayMs: number } | { rejectRetryAfterSec: number; rule: string };

export class RateLimiter {
  readonly #windows: Window[];
  readonly #mode: LimitMode;
  readonly #maxDelayMs: number;
  readonly #byRoute = new Map<string, Window[]>();

  constructor(rules: readonly RateRule[], options: { scale: number; mode: LimitMode; maxDelayMs: number }) {
    this.#windows = rules.map((r) => new Window(r, options.scale));
    this.#mode = options.mode;
    this.#maxDelayMs = options.maxDelayMs;
  }

  #windowsFor(api: string, template: string): Window[] {
    const key = `${api}:${template}`;
    let ws = this.#byRoute.get(key);
    if (!ws) {
      ws = this.#windows.filter((w) => w.rule.api === 'global' || (w.rule.api === api && (!w.rule.routes || w.rule.routes.includes(template))));
      this.#byRoute.set(key, ws);
    }
    return ws;
  }

  /** Admits a request now (ms): how long to hold it, or a refusal. */
  admit(api: string, template: string, now: number): Admission {
    const ws = this.#windowsFor(api, template);
    let at = now;
    let binding: Window | null = null;
    for (const w of ws) {
      const e = w.earliest(now);
      if (e > at) {
        at = e;
        binding = w;
      }
    }
    const delay = at - now;
    const refuse = delay > 0 && (this.#mode === 'reject' || (this.#mode === 'mixed' && delay > this.#maxDelayMs) || delay > 120_000);
    if (refuse) return { rejectRetryAfterSec: Math.max(1, Math.ceil(delay / 1000)), rule: binding!.rule.name };
    for (const w of ws) w.record(at);
    return { delayMs: delay };
  }

  /** The limits in force, for /__sim/stats. */
  describe(): Array<{ name: string; limit: number; windowMs: number }> {
    return this.#windows.map((w) => ({ name: w.rule.name, limit: w.limit, windowMs: w.rule.windowMs }));
  }
}
