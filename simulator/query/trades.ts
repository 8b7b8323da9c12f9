/**
 * Data API trade listings over the lazy world: rows newest first, filtered, paged. A single market
 * without row filters pages by index arithmetic (O(page)); several markets are merged with a heap
 * keyed (timestamp desc, market asc, fill desc, taker before maker); row filters (side, user,
 * amount) scan. A time window is a binary search per market. The order is total, so the v2 cursor
 * (the last row's position) resumes exactly after that row.
 */
import { type Fill, fillAt, fillCount, fillTime, inCrowd, modInverse } from '../world/fills.ts';
import type { World } from '../world/world.ts';

export interface TradeQuery {
  /** Market indices, or null for every market. */
  markets: readonly number[] | null;
  /** Pool index of `user`, or -1 with `userAddress` set for an address outside the pool. */
  user: number | null;
  userAddress: string | null;
  side: 'BUY' | 'SELL' | null;
  takerOnly: boolean;
  filter: { type: 'CASH' | 'TOKENS'; amount: number } | null;
  /** Inclusive window in seconds, each bound optional. */
  start: number | null;
  end: number | null;
  /** The world's time for this request. */
  now: number;
  /** Resume strictly after this row (v2 cursor). */
  after: RowPosition | null;
  /** Fills hidden at the head of a market (fault: rows that have not "arrived" yet). */
  hiddenHead?: (m: number) => number;
}

export interface RowPosition {
  ts: number;
  m: number;
  k: number;
  /** 0 taker, 1 maker. */
  role: 0 | 1;
}

export interface TradeRow {
  fill: Fill;
  role: 0 | 1;
}

/** Does the row pass the query's row filters? */
function passes(q: TradeQuery, f: Fill, role: 0 | 1): boolean {
  if (q.side) {
    const side = role === 0 ? f.takerSide : f.takerSide === 'BUY' ? 'SELL' : 'BUY';
    if (side !== q.side) return false;
  }
  if (q.user !== null) {
    if (role === 0) {
      if (f.takerAddress !== null ? f.takerAddress.toLowerCase() !== q.userAddress : f.taker !== q.user) return false;
    } else if (f.maker !== q.user) return false;
  }
  if (q.filter) {
    const v = q.filter.type === 'CASH' ? f.size * f.price : f.size;
    if (v < q.filter.amount) return false;
  }
  return true;
}

const hasRowFilter = (q: TradeQuery) => q.side !== null || q.user !== null || q.filter !== null;

/** [lo, hi): the fills of market m inside the query's window, with the hidden head and the cursor applied. */
function fillRange(world: World, q: TradeQuery, m: number): { lo: number; hi: number; firstRole: 0 | 1 } {
  const upper = q.end === null ? q.now : Math.min(q.now, q.end);
  let hi = fillCount(world, m, upper);
  if (q.hiddenHead) {
    const hidden = q.hiddenHead(m);
    if (hidden > 0) hi = Math.min(hi, Math.max(0, fillCount(world, m, q.now) - hidden));
  }
  const lo = q.start === null ? 0 : fillCount(world, m, q.start - 1);
  let firstRole: 0 | 1 = 0;
  const a = q.after;
  if (a) {
    if (m < a.m) hi = Math.min(hi, fillCount(world, m, a.ts - 1));
    else if (m > a.m) hi = Math.min(hi, fillCount(world, m, a.ts));
    else if (a.role === 0 && !q.takerOnly) {
      hi = Math.min(hi, a.k + 1);
      if (hi === a.k + 1) firstRole = 1;
    } else hi = Math.min(hi, a.k);
  }
  return { lo, hi: Math.max(lo, hi), firstRole };
}

/** Walks one market's rows newest first. */
class MarketCursor {
  readonly m: number;
  k: number;
  role: 0 | 1;
  readonly #lo: number;
  readonly #takerOnly: boolean;
  fill: Fill | null = null;
  readonly #world: World;

  constructor(world: World, m: number, lo: number, hi: number, firstRole: 0 | 1, takerOnly: boolean) {
    this.#world = world;
    this.m = m;
    this.#lo = lo;
    this.#takerOnly = takerOnly;
    this.k = hi - 1;
    this.role = takerOnly ? 0 : firstRole;
    if (this.k >= lo) this.fill = fillAt(world, m, this.k);
  }

  get done(): boolean {
    return this.fill === null;
  }

  advance(): void {
    if (!this.#takerOnly && this.role === 0) {
      this.role = 1;
      return;
    }
    this.role = 0;
    this.k--;
    this.fill = this.k >= this.#lo ? fillAt(this.#world, this.m, this.k) : null;
  }
}

/** Heap order: newer first, then lower market, then higher fill, then taker before maker. */
function before(a: MarketCursor, b: MarketCursor): boolean {
  const fa = a.fill!;
  const fb = b.fill!;
  if (fa.ts !== fb.ts) return fa.ts > fb.ts;
  if (a.m !== b.m) return a.m < b.m;
  if (a.k !== b.k) return a.k > b.k;
  return a.role < b.role;
}

class CursorHeap {
  readonly #items: MarketCursor[] = [];
  get size(): number {
    return this.#items.length;
  }
  peek(): MarketCursor | undefined {
    return this.#items[0];
  }
  push(c: MarketCursor): void {
    const h = this.#items;
    h.push(c);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  /** Restores order after the top cursor advanced (or removes it when done). */
  fixTop(): void {
    const h = this.#items;
    if (h[0]!.done) {
      const last = h.pop()!;
      if (h.length === 0) return;
      h[0] = last;
    }
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < h.length && before(h[l]!, h[best]!)) best = l;
      if (r < h.length && before(h[r]!, h[best]!)) best = r;
      if (best === i) return;
      [h[i], h[best]] = [h[best]!, h[i]!];
      i = best;
    }
  }
}

/**
 * Markets ordered by their newest fill (for queries over every market): built once per world time
 * and reused while the time stands still.
 */
export class NewestIndex {
  #order: Int32Array | null = null;
  #newest: Float64Array | null = null;
  #builtAt = Number.NaN;

  get(world: World, now: number): { order: Int32Array; newest: Float64Array } {
    const stale = this.#order === null || (world.options.live ? Math.abs(now - this.#builtAt) > 1 : false);
    if (stale) {
      const n = world.marketCount(now);
      const newest = new Float64Array(n);
      const ids: number[] = [];
      for (let m = 0; m < n; m++) {
        const c = fillCount(world, m, now);
        if (c === 0) continue;
        newest[m] = fillTime(world, m, c - 1);
        ids.push(m);
      }
      ids.sort((a, b) => newest[b]! - newest[a]! || a - b);
      this.#order = Int32Array.from(ids);
      this.#newest = newest;
      this.#builtAt = now;
    }
    return { order: this.#order!, newest: this.#newest! };
  }
}

/** Cached modular inverses of crowd strides, for `user=` queries over every market. */
export class CrowdInverse {
  readonly #cache = new Map<number, number>();
  inverse(world: World): (a: number) => number {
    return (a: number) => {
      let v = this.#cache.get(a);
      if (v === undefined) {
        v = modInverse(a, world.P);
        if (this.#cache.size > 1_000_000) this.#cache.clear();
        this.#cache.set(a, v);
      }
      return v;
    };
  }
}

export interface TradeListContext {
  newest: NewestIndex;
  crowd: CrowdInverse;
}

/** Rows [offset, offset + limit) of the listing, newest first. */
export function listTrades(world: World, q: TradeQuery, offset: number, limit: number, ctx: TradeListContext): TradeRow[] {
  const out: TradeRow[] = [];
  if (limit <= 0) return out;
  const markets = q.markets;
  if (markets !== null && markets.length === 1 && !hasRowFilter(q)) {
    const m = markets[0]!;
    const { lo, hi, firstRole } = fillRange(world, q, m);
    const perFill = q.takerOnly ? 1 : 2;
    const skipFirst = !q.takerOnly && firstRole === 1 ? 1 : 0;
    const total = (hi - lo) * perFill - skipFirst;
    for (let r = offset; r < Math.min(total, offset + limit); r++) {
      const rr = r + skipFirst;
      const k = hi - 1 - Math.floor(rr / perFill);
      const role = (q.takerOnly ? 0 : rr % 2) as 0 | 1;
      out.push({ fill: fillAt(world, m, k), role });
    }
    return out;
  }
  const heap = new CursorHeap();
  let pending: { order: Int32Array; newest: Float64Array } | null = null;
  let next = 0;
  const admit = (m: number) => {
    const { lo, hi, firstRole } = fillRange(world, q, m);
    if (hi > lo) {
      const c = new MarketCursor(world, m, lo, hi, firstRole, q.takerOnly);
      if (!c.done) heap.push(c);
    }
  };
  if (markets !== null) {
    for (const m of markets) admit(m);
  } else {
    pending = ctx.newest.get(world, q.now);
  }
  const userFilter = q.user !== null && q.user >= 0 ? { w: q.user, inv: ctx.crowd.inverse(world) } : null;
  const admitPending = () => {
    if (!pending) return;
    while (next < pending.order.length) {
      const m = pending.order[next]!;
      const top = heap.peek();
      // A market whose newest fill is older than the current head cannot come first yet.
      if (top && pending.newest[m]! < top.fill!.ts) return;
      next++;
      if (userFilter && !inCrowd(world, m, userFilter.w, userFilter.inv)) continue;
      admit(m);
    }
  };
  const filtered = hasRowFilter(q);
  let skipped = 0;
  for (;;) {
    admitPending();
    const top = heap.peek();
    if (!top) break;
    const f = top.fill!;
    if (!filtered || passes(q, f, top.role)) {
      if (skipped < offset) skipped++;
      else {
        out.push({ fill: f, role: top.role });
        if (out.length >= limit) break;
      }
    }
    top.advance();
    heap.fixTop();
  }
  return out;
}
