/**
 * Fills (trades): fill k of market m, computed from counters. Fills are numbered oldest first;
 * consecutive fills form matches (one transaction hash, one taker, one timestamp, up to
 * MAX_MATCH makers). Historical fills spread over the market's life up to the world end, denser
 * towards the close; live fills follow at the market's live rate. A market's visible fill count
 * at time t is a binary search over the monotone timestamps, so any page is O(page + log n).
 *
 * Each fill yields two Data API rows: the taker's (the only one served with takerOnly=true) and
 * the maker's (opposite side, same asset, price and size). Wallets come from a per-market crowd
 * {(c + j·a) mod P : j < C} of the prime-sized pool, which makes "does wallet w trade in market m"
 * an O(1) test for `user=` queries.
 *
 * Uniqueness guarantee (what makes the trade key of truth.ts a true identity): within one
 * transaction the taker's rows differ in size (size in cents ≡ fill position mod 8) and the maker
 * rows differ in wallet, and no wallet trades with itself.
 */
import { hash, normal, S, unit } from '../core/hash.ts';
import { priceAt } from './prices.ts';
import { MAX_MATCH, type World } from './world.ts';

/** One fill. The transaction hash is computed on first use (pages written as bytes never build it). */
export class Fill {
  m = 0;
  k = 0;
  /** First fill of the match (the transaction) this fill belongs to. */
  s = 0;
  /** Seconds. */
  ts = 0;
  outcome: 0 | 1 = 0;
  takerSide: 'BUY' | 'SELL' = 'BUY';
  price = 0;
  size = 0;
  /** Pool indices (-1 for captured fills, whose takers are given by address). */
  taker = -1;
  maker = -1;
  /** Address of the taker for captured fills. */
  takerAddress: string | null = null;
  /** Captured transaction hash, or the one computed from (m, s). */
  #txText: string | null = null;
  readonly #world: World;

  constructor(world: World) {
    this.#world = world;
  }

  get tx(): string {
    this.#txText ??= this.#world.ids.txHash(this.m, this.s);
    return this.#txText;
  }

  /** The captured hash, if this is a captured fill. */
  setTx(tx: string): void {
    this.#txText = tx;
  }

  get captured(): boolean {
    return this.takerAddress !== null;
  }
}

/** Index of the first fill of the match holding fill k. */
export function matchStart(world: World, m: number, k: number): number {
  if (world.isFixture(m)) return k;
  const n = world.histCount(m);
  const base = k >= n ? n : 0;
  let j = k;
  for (;;) {
    if ((j - base) % MAX_MATCH === 0 || unit(world.seed, S.fillMatch, m, j) < 0.55) return j;
    j--;
  }
}

/** Timestamp of the match starting at fill s (synthetic markets). */
function matchTime(world: World, m: number, s: number): number {
  const n = world.histCount(m);
  if (s < n) {
    const start = world.createdAt(m) + 60;
    const end = Math.min(world.closeTime(m), world.options.worldEnd);
    const span = Math.max(0, end - start);
    const x = (s + unit(world.seed, S.fillTime, m, s)) / n;
    return start + Math.floor(span * (1 - (1 - x) ** 1.6));
  }
  const rate = world.liveRate(m);
  if (rate <= 0) return Number.POSITIVE_INFINITY;
  const liveStart = Math.max(world.options.worldEnd, world.createdAt(m));
  return liveStart + 1 + Math.floor((s - n + unit(world.seed, S.fillTime, m, s)) / rate);
}

/** Timestamp of fill k (monotone non-decreasing in k). */
export function fillTime(world: World, m: number, k: number): number {
  if (world.isFixture(m)) return world.fixtures.markets[m]!.fills[k]!.ts;
  return matchTime(world, m, matchStart(world, m, k));
}

/** Fills of market m with a timestamp at or before t. */
export function fillCount(world: World, m: number, t: number): number {
  if (world.isFixture(m)) {
    const fills = world.fixtures.markets[m]!.fills;
    return upperBound(fills.length, (k) => fills[k]!.ts > t);
  }
  const n = world.histCount(m);
  const { worldEnd } = world.options;
  if (t < worldEnd) return upperBound(n, (k) => fillTime(world, m, k) > t);
  if (!world.options.live) return n;
  const rate = world.liveRate(m);
  const until = Math.min(t, world.closeTime(m));
  if (rate <= 0 || until <= worldEnd) return n;
  const liveStart = Math.max(worldEnd, world.createdAt(m));
  const span = Math.max(0, Math.ceil((until - liveStart) * rate) + MAX_MATCH + 2);
  return n + upperBound(span, (i) => fillTime(world, m, n + i) > until);
}

/** First index in [0, n) for which `past` is true (n if none); `past` must be monotone. */
export function upperBound(n: number, past: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (past(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Crowd of market m: C wallets c, c+a, c+2a, … (mod P). */
export function crowd(world: World, m: number): { c: number; a: number; size: number } {
  const P = world.P;
  const expected = world.options.tradesPerMarket * 2;
  const size = 10 + Math.min(2_990, Math.floor(Math.max(world.histCount(m), expected) / 2));
  return { c: hash(world.seed, S.fillTaker, m, 0, 1) % P, a: 1 + (hash(world.seed, S.fillTaker, m, 0, 2) % (P - 1)), size: Math.min(size, P - 1) };
}

function crowdWallet(world: World, cr: { c: number; a: number }, j: number): number {
  return (cr.c + j * cr.a) % world.P;
}

/** Last crowd and price computed: pages walk one market, and one match, at a time. */
const lastCrowd: { world: World | null; m: number; value: { c: number; a: number; size: number } } = { world: null, m: -1, value: { c: 0, a: 1, size: 10 } };
const lastPrice = { world: null as World | null, m: -1, outcome: -1, ts: -1, value: 0 };

/** Fill k of market m. */
export function fillAt(world: World, m: number, k: number): Fill {
  const seed = world.seed;
  const out = new Fill(world);
  out.m = m;
  out.k = k;
  if (world.isFixture(m)) {
    const f = world.fixtures.markets[m]!.fills[k]!;
    out.s = k;
    out.ts = f.ts;
    out.setTx(f.tx);
    out.outcome = f.outcome;
    out.takerSide = f.side;
    out.price = f.price;
    out.size = f.size;
    out.maker = hash(seed, S.fillMaker, m, k) % world.P;
    out.takerAddress = f.taker;
    return out;
  }
  const s = matchStart(world, m, k);
  const j = k - s;
  const ts = matchTime(world, m, s);
  const cr = lastCrowd.world === world && lastCrowd.m === m ? lastCrowd.value : crowd(world, m);
  lastCrowd.world = world;
  lastCrowd.m = m;
  lastCrowd.value = cr;
  const u = unit(seed, S.fillTaker, m, s);
  const takerJ = Math.floor(cr.size * u * u);
  const makerBase = hash(seed, S.fillMaker, m, s);
  const makerJ = (takerJ + 1 + ((makerBase + j) % (cr.size - 1))) % cr.size;
  const outcome = (hash(seed, S.fillAsset, m, s) & 1) as 0 | 1;
  const takerSide = hash(seed, S.fillSide, m, s) % 100 < 58 ? 'BUY' : 'SELL';
  const tick = world.baseTickOf(m);
  const ticks = Math.round(1 / tick);
  // The fills of a match share market, outcome and time: one price lookup per match.
  if (lastPrice.world !== world || lastPrice.m !== m || lastPrice.outcome !== outcome || lastPrice.ts !== ts) {
    lastPrice.world = world;
    lastPrice.m = m;
    lastPrice.outcome = outcome;
    lastPrice.ts = ts;
    lastPrice.value = priceAt(world, m, outcome, ts);
  }
  let p = Math.round(lastPrice.value * ticks) + (takerSide === 'BUY' ? j : -j);
  p = Math.min(ticks - 1, Math.max(1, p));
  let price = p / ticks;
  if (hash(seed, S.fillNoise, m, k) % 50 === 0) price += price * 1e-9;
  const raw = Math.exp(Math.log(40) + 1.4 * normal(seed, S.fillSize, m, k));
  let cents = Math.floor(Math.min(250_000, Math.max(1, raw)) * 100);
  cents = cents - (cents % MAX_MATCH) + j;
  if (cents < MAX_MATCH) cents += MAX_MATCH;
  out.s = s;
  out.ts = ts;
  out.outcome = outcome;
  out.takerSide = takerSide;
  out.price = price;
  out.size = cents / 100;
  out.taker = crowdWallet(world, cr, takerJ);
  out.maker = crowdWallet(world, cr, makerJ);
  return out;
}

/** Does pool wallet w ever appear in market m's crowd? (O(1) with P prime.) */
export function inCrowd(world: World, m: number, w: number, inverse: (a: number) => number): boolean {
  if (world.isFixture(m)) return true;
  const cr = crowd(world, m);
  const j = (((w - cr.c + world.P) % world.P) * inverse(cr.a)) % world.P;
  return j < cr.size;
}

/** Modular inverse of a mod p (p prime), by extended Euclid. */
export function modInverse(a: number, p: number): number {
  let [r0, r1] = [p, a % p];
  let [t0, t1] = [0, 1];
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return ((t0 % p) + p) % p;
}
