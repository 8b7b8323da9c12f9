/**
 * Records per second per topic over the last hour, in one-minute buckets, from the log itself:
 * the offsets at each minute boundary (Admin.offsetsForTimestamp) differ by the records appended
 * in that minute. Boundaries in the past do not move, so each is asked for once and cached.
 */
import type { Admin } from '../../transport/types.ts';

export const MINUTE = 60_000;
export const BUCKETS = 60;

export interface RateSeries {
  topic: string;
  /** Start of each bucket, Unix ms, oldest first. */
  starts: number[];
  /** Records per second in each bucket (the current, partial minute is averaged over its elapsed part). */
  perSecond: number[];
  total: number;
}

export class RateHistory {
  readonly #admin: Admin;
  readonly #cache = new Map<string, number>();

  constructor(admin: Admin) {
    this.#admin = admin;
  }

  async series(topic: string, now = Date.now()): Promise<RateSeries> {
    const current = Math.floor(now / MINUTE) * MINUTE;
    const boundaries = Array.from({ length: BUCKETS }, (_, i) => current - (BUCKETS - 1 - i) * MINUTE);
    const at = await Promise.all(boundaries.map((b) => this.#offsetAt(topic, b)));
    const high = (await this.#admin.offsets(topic)).reduce((s, o) => s + o.high, 0);
    const perSecond = boundaries.map((start, i) => {
      const end = i + 1 < boundaries.length ? at[i + 1]! : high;
      const seconds = i + 1 < boundaries.length ? 60 : Math.max(1, (now - start) / 1000);
      return Math.max(0, end - at[i]!) / seconds;
    });
    this.#forgetBefore(boundaries[0]!);
    return { topic, starts: boundaries, perSecond, total: high - at[0]! };
  }

  async #offsetAt(topic: string, ts: number): Promise<number> {
    const key = `${topic}@${ts}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit;
    const sum = (await this.#admin.offsetsForTimestamp(topic, ts)).reduce((s, o) => s + o.offset, 0);
    // Only a boundary already in the past is final.
    if (ts < Date.now() - 1_000) this.#cache.set(key, sum);
    return sum;
  }

  #forgetBefore(ts: number): void {
    for (const key of this.#cache.keys()) if (Number(key.slice(key.lastIndexOf('@') + 1)) < ts) this.#cache.delete(key);
  }
}
