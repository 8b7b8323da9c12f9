/**
 * Wallet holdings derived from the fills: what `/positions`, `/value` and `/holders` report. A
 * wallet's position in a token is what it bought minus what it sold there (its rows as taker and
 * as maker); shares sold beyond what it bought came from splitting collateral elsewhere, so a
 * position never goes below zero. Open interest follows the events' `openInterest` (a tenth of
 * the traded volume while open), so Gamma and the Data API agree.
 */
import { rowParty } from '../serialize/data.ts';
import { fillAt, fillCount, inCrowd } from './fills.ts';
import { priceAt } from './prices.ts';
import type { World } from './world.ts';

/** One wallet's trading in one token. */
export interface Holding {
  m: number;
  outcome: 0 | 1;
  /** Lower-case address. */
  wallet: string;
  /** Pool index, or -1 for a captured taker. */
  index: number;
  bought: number;
  sold: number;
  cost: number;
  proceeds: number;
}

export const size = (h: Holding): number => Math.max(0, h.bought - h.sold);
export const avgPrice = (h: Holding): number => (h.bought > 0 ? h.cost / h.bought : 0);

/** Rounds to n decimals, as the Data API's floats look. */
export function round(x: number, n = 6): number {
  const f = 10 ** n;
  return Math.round(x * f) / f;
}

/** Price of a token: 1 or 0 once its market resolved, else the current probability. */
export function currentPrice(world: World, m: number, o: 0 | 1, t: number): number {
  if (world.isClosed(m, t)) return world.winnerOf(m) === o ? 1 : 0;
  return round(priceAt(world, m, o, t), 4);
}

/**
 * Every wallet's holdings in market m at time t, keyed `wallet|outcome`; with `only`, just that
 * wallet's (address, lower case).
 */
export function marketHoldings(world: World, m: number, t: number, only?: string): Map<string, Holding> {
  const out = new Map<string, Holding>();
  const n = fillCount(world, m, t);
  for (let k = 0; k < n; k++) {
    const fill = fillAt(world, m, k);
    for (const role of [0, 1] as const) {
      const party = rowParty(world, { fill, role });
      const wallet = party.wallet.toLowerCase();
      if (only !== undefined && wallet !== only) continue;
      const key = `${wallet}|${fill.outcome}`;
      let h = out.get(key);
      if (!h) {
        h = { m, outcome: fill.outcome, wallet, index: party.index, bought: 0, sold: 0, cost: 0, proceeds: 0 };
        out.set(key, h);
      }
      if (party.side === 'BUY') {
        h.bought += fill.size;
        h.cost += fill.size * fill.price;
      } else {
        h.sold += fill.size;
        h.proceeds += fill.size * fill.price;
      }
    }
  }
  return out;
}

/** Markets a wallet may have traded in (its crowds; a captured taker only trades captured markets). */
export function walletMarkets(world: World, address: string, t: number, inverse: (a: number) => number): number[] {
  const index = world.ids.walletIndex(address);
  const out: number[] = [];
  const n = world.marketCount(t);
  for (let m = 0; m < n; m++) {
    if (index < 0 ? !world.isFixture(m) : !inCrowd(world, m, index, inverse)) continue;
    if (fillCount(world, m, t) > 0) out.push(m);
  }
  return out;
}

/** A wallet's holdings in the given markets, outcome 0 before 1 within a market. */
export function walletHoldings(world: World, address: string, markets: readonly number[], t: number): Holding[] {
  const wallet = address.toLowerCase();
  const out: Holding[] = [];
  for (const m of markets) {
    const held = marketHoldings(world, m, t, wallet);
    for (const o of [0, 1] as const) {
      const h = held.get(`${wallet}|${o}`);
      if (h) out.push(h);
    }
  }
  return out;
}

/** Most holders `/holders` lists per token. */
export const HOLDERS_LIMIT_MAX = 20;

/**
 * The holders `/holders` lists for market m at time t, per outcome (0 then 1): positions of at
 * least `minBalance` shares (and more than none), largest first, ties by address, at most `limit`.
 */
export function topHolders(world: World, m: number, t: number, limit: number, minBalance: number): [Holding[], Holding[]] {
  const held = [...marketHoldings(world, m, t).values()];
  const top = (o: 0 | 1) =>
    held
      .filter((h) => h.outcome === o && size(h) >= minBalance && size(h) > 0)
      .sort((a, b) => size(b) - size(a) || (a.wallet < b.wallet ? -1 : 1))
      .slice(0, limit);
  return [top(0), top(1)];
}

/** Open interest of market m (USDC). */
export function openInterest(world: World, m: number, t: number): number {
  return world.isClosed(m, t) ? 0 : round(world.volumeOf(m) * 0.1, 4);
}
