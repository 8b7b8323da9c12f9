/**
 * Listings of markets and events: open/closed index lists at the world's current time and sort
 * permutations per order field, built on first use and rebuilt only when the world changed (a
 * live world gains markets and closes them). Pages are taken from these in O(page) when the only
 * filter is the open/closed status, and by a filtered scan otherwise.
 */
import type { World } from '../world/world.ts';

export const MARKET_ORDER_FIELDS = ['id', 'volumeNum', 'volume', 'liquidityNum', 'liquidity', 'volume24hr', 'startDate', 'endDate', 'createdAt', 'closedTime'] as const;
export const EVENT_ORDER_FIELDS = ['id', 'volume', 'liquidity', 'volume24hr', 'startDate', 'endDate', 'createdAt', 'closedTime', 'competitive'] as const;

interface StatusLists {
  at: number;
  markets: number;
  events: number;
  openMarkets: Int32Array;
  closedMarkets: Int32Array;
  openEvents: Int32Array;
  closedEvents: Int32Array;
}

export interface Order {
  perm: Int32Array;
  key: Float64Array;
}

export class ListingIndexes {
  readonly #world: World;
  #status: StatusLists | null = null;
  readonly #orders = new Map<string, { n: number; order: Order }>();

  constructor(world: World) {
    this.#world = world;
  }

  /** Open/closed lists at time t (rebuilt at most once per simulated second in a live world). */
  lists(t: number): StatusLists {
    const w = this.#world;
    const s = this.#status;
    if (s && (!w.options.live || Math.floor(s.at) === Math.floor(t))) return s;
    const n = w.marketCount(t);
    const ne = w.eventCount(t);
    const open: number[] = [];
    const closed: number[] = [];
    for (let m = 0; m < n; m++) (w.isClosed(m, t) ? closed : open).push(m);
    const openE: number[] = [];
    const closedE: number[] = [];
    for (let e = 0; e < ne; e++) (w.isEventClosed(e, t) ? closedE : openE).push(e);
    this.#status = {
      at: t,
      markets: n,
      events: ne,
      openMarkets: Int32Array.from(open),
      closedMarkets: Int32Array.from(closed),
      openEvents: Int32Array.from(openE),
      closedEvents: Int32Array.from(closedE),
    };
    return this.#status;
  }

  #build(kind: 'm' | 'e', field: string, n: number, keyOf: (i: number) => number): Order {
    const cacheKey = `${kind}:${field}`;
    const cached = this.#orders.get(cacheKey);
    if (cached && cached.n === n) return cached.order;
    const key = new Float64Array(n);
    for (let i = 0; i < n; i++) key[i] = keyOf(i);
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    perm.sort((a, b) => key[a]! - key[b]! || a - b);
    const order = { perm, key };
    this.#orders.set(cacheKey, { n, order });
    return order;
  }

  /** Markets sorted ascending by (field, index). Index order is id order. */
  marketOrder(field: string, t: number): Order | null {
    const w = this.#world;
    if (field === 'id') return null;
    const n = w.marketCount(t);
    const keyOf: Record<string, (m: number) => number> = {
      volumeNum: (m) => w.volumeOf(m),
      volume: (m) => w.volumeOf(m),
      liquidityNum: (m) => w.liquidityOf(m),
      liquidity: (m) => w.liquidityOf(m),
      volume24hr: (m) => (w.isClosed(m, t) ? 0 : w.volumeOf(m) * 0.05),
      startDate: (m) => w.startDateOf(m),
      endDate: (m) => w.endDate(m),
      createdAt: (m) => w.createdAt(m),
      closedTime: (m) => w.closeTime(m),
    };
    return this.#build('m', field, n, keyOf[field]!);
  }

  eventOrder(field: string, t: number): Order | null {
    const w = this.#world;
    if (field === 'id') return null;
    const n = w.eventCount(t);
    const first = (e: number) => w.eventMarkets(e)[0];
    const keyOf: Record<string, (e: number) => number> = {
      volume: (e) => w.eventVolume(e),
      liquidity: (e) => w.liquidityOf(first(e)),
      volume24hr: (e) => w.eventVolume(e) * 0.05,
      startDate: (e) => w.startDateOf(first(e)),
      endDate: (e) => w.endDate(first(e)),
      createdAt: (e) => w.createdAt(first(e)),
      closedTime: (e) => w.closeTime(first(e)),
      competitive: (e) => e,
    };
    return this.#build('e', field, n, keyOf[field]!);
  }
}

/** Position of item i in an order (ascending by key, then index). */
export function positionIn(order: Order, i: number): number {
  const k = order.key[i]!;
  let lo = 0;
  let hi = order.perm.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const j = order.perm[mid]!;
    const kj = order.key[j]!;
    if (kj < k || (kj === k && j < i)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Walks items in order from position `from` (ascending or descending), keeping those `keep`
 * accepts, skipping `skip` of them, collecting up to `take`. Returns the items and whether more
 * matching items remain.
 */
export function walk(n: number, order: Order | null, ascending: boolean, from: number, keep: (i: number) => boolean, skip: number, take: number): { items: number[]; more: boolean } {
  const items: number[] = [];
  let skipped = 0;
  const at = (p: number) => (order ? order.perm[p]! : p);
  const step = ascending ? 1 : -1;
  for (let p = from; p >= 0 && p < n; p += step) {
    const i = at(p);
    if (!keep(i)) continue;
    if (skipped < skip) {
      skipped++;
      continue;
    }
    if (items.length === take) return { items, more: true };
    items.push(i);
  }
  return { items, more: false };
}
