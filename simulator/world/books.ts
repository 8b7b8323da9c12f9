/**
 * Order books of open CLOB markets, as a function of (market, token, book epoch). The book of
 * outcome 1 mirrors outcome 0's (a bid at p on one token is an ask at 1-p on the other). Level
 * sizes change at different epochs per level, so consecutive books differ in a few levels, which is
 * what `price_change` events report. Prices are kept as integers in thousandths to avoid float
 * drift; `formatPrice` renders them as the CLOB does ("0.5", "0.999", never zero-padded).
 */
import { hash, S, unit } from '../core/hash.ts';
import { fillAt, fillCount } from './fills.ts';
import { priceAt } from './prices.ts';
import type { World } from './world.ts';

/** [price in thousandths, size in cents] */
export type Level = [number, number];

export interface Book {
  m: number;
  o: number;
  epoch: number;
  /** Tick in thousandths (10 = 0.01, 1 = 0.001). */
  tick: number;
  /** Best last: ascending prices. */
  bids: Level[];
  /** Best last: descending prices. */
  asks: Level[];
  hash: string;
}

export function bookEpoch(world: World, t: number): number {
  return Math.floor(t / world.options.bookPeriodSec);
}

/** Current tick in thousandths: the market's tick, or 0.001 once the price nears 0 or 1. */
export function tickAt(world: World, m: number, t: number): number {
  const base = Math.round(world.baseTickOf(m) * 1000);
  if (base === 1) return 1;
  const p = priceAt(world, m, 0, t);
  return p > 0.96 || p < 0.04 ? 1 : base;
}

/** Does market m have a live book at time t (order book enabled, not closed, already created)? */
export function hasBook(world: World, m: number, t: number): boolean {
  return world.enableOrderBookOf(m) && !world.isClosed(m, t) && world.createdAt(m) <= t;
}

function levelSize(world: World, m: number, side: number, price: number, epoch: number): number {
  const period = 1 + (hash(world.seed, S.bookSize, m, side * 1000 + price) % 6);
  const u = unit(world.seed, S.bookSize, m, side * 1000 + price, Math.floor(epoch / period) + 1);
  return Math.max(100, Math.floor(Math.exp(Math.log(300) + 2.2 * (u - 0.5) * 2) * 100));
}

/** Book of token o of market m at book epoch `epoch` (the caller checks hasBook). */
export function bookAt(world: World, m: number, o: number, epoch: number): Book {
  const t = epoch * world.options.bookPeriodSec;
  const tick = tickAt(world, m, t);
  const h = hash(world.seed, S.book, m, epoch);
  const mid = Math.round((priceAt(world, m, 0, t) * 1000) / tick) * tick;
  const bestBid = Math.max(tick, Math.min(1000 - 2 * tick, mid - tick * (h & 1)));
  const bestAsk = Math.min(1000 - tick, bestBid + tick * (1 + ((h >>> 1) & 1)));
  const depthB = 2 + ((h >>> 2) % 10);
  const depthA = (h >>> 6) % 25 === 0 ? 0 : 2 + ((h >>> 10) % 10);
  const bids0: Level[] = [];
  for (let i = depthB - 1; i >= 0; i--) {
    const p = bestBid - i * tick;
    if (p >= tick) bids0.push([p, levelSize(world, m, 0, p, epoch)]);
  }
  const asks0: Level[] = [];
  for (let i = depthA - 1; i >= 0; i--) {
    const p = bestAsk + i * tick;
    if (p <= 1000 - tick) asks0.push([p, levelSize(world, m, 1, p, epoch)]);
  }
  // p -> 1000 - p reverses the order, so the mirrored sides keep best last without a reverse.
  const bids = o === 0 ? bids0 : asks0.map(([p, s]) => [1000 - p, s] as Level);
  const asks = o === 0 ? asks0 : bids0.map(([p, s]) => [1000 - p, s] as Level);
  return { m, o, epoch, tick, bids, asks, hash: world.ids.bookHash(m, o, epoch) };
}

export function bestBid(book: Book): number | null {
  return book.bids.length > 0 ? book.bids[book.bids.length - 1]![0] : null;
}

export function bestAsk(book: Book): number | null {
  return book.asks.length > 0 ? book.asks[book.asks.length - 1]![0] : null;
}

/** "0.5", "0.999": thousandths as the CLOB prints prices. */
export function formatPrice(thousandths: number): string {
  if (thousandths % 1000 === 0) return String(thousandths / 1000);
  return (thousandths / 1000).toFixed(3).replace(/0+$/, '');
}

/** "667.12", "200": cents as the CLOB prints sizes. */
export function formatSize(cents: number): string {
  if (cents % 100 === 0) return String(cents / 100);
  return (cents / 100).toFixed(2).replace(/0+$/, '');
}

/** The most recent fill of token o at or before t, or null. Looks back a bounded number of fills. */
export function lastTradeOf(world: World, m: number, o: number, t: number): { price: number; side: 'BUY' | 'SELL'; ts: number } | null {
  const n = fillCount(world, m, t);
  for (let k = n - 1; k >= 0 && k >= n - 256; k--) {
    const f = fillAt(world, m, k);
    if (f.outcome === o) return { price: f.price, side: f.takerSide, ts: f.ts };
  }
  return null;
}
