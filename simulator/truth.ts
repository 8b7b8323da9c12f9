/**
 * Ground truth: the exact set of records (with their keys, see keys.ts) that a complete ingest of
 * a world must produce, as of a world time. Streams record by record, so a world of any size can
 * be exported without holding it; `truthCounts` gives the sizes without enumerating rows.
 *
 * What "complete" means per type:
 * - Gamma markets and events, tags, CLOB markets: every record that exists at `asOf`.
 * - trades: every row of every fill at `asOf`, taker and maker rows (`takerOnly=false`), unless
 *   `takerOnly` is asked. Where the profile cannot reach a market's whole history (no `/v2`
 *   keyset feed, no honoured `start`/`end` on market queries: the 2025-12 profile), only the rows a
 *   plain offset walk reaches (offset cap + page cap) are truth, and a `gap` record names the rest.
 * - price points: each token's series at `priceFidelity` minutes (default 1, the full series),
 *   without the extra "now" point the live service appends.
 * - leaderboard rows: every board of the profile's categories × periods × orders, down to the
 *   deepest row its offset cap reaches (a `gap` record where a board is deeper), with the values
 *   the board serves at `asOf` (they move in a live world: world/leaderboard.ts).
 * - top holders: for every market that exists at `asOf`, the holders `/holders` lists for each
 *   outcome token at its maximum limit (20) and default minimum balance (1 share), with their amounts.
 * - open interest: every market that exists at `asOf`, with the value `/oi` serves for it.
 *   Both are snapshots: a complete ingest holds each key once per pass, with these values when the
 *   world stands still (a live world moves them between passes).
 */
import { clobMarketKey, gammaEventKey, gammaMarketKey, holderKey, leaderboardKey, openInterestKey, pricePointKey, type TruthType, tagKey, tradeKey } from './keys.ts';
import type { Profile } from './profiles.ts';
import { rowParty } from './serialize/data.ts';
import { fillAt, fillCount } from './world/fills.ts';
import { HOLDERS_LIMIT_MAX, openInterest, round, size, topHolders } from './world/holdings.ts';
import { BOARD_ORDERS, board, boardRow, TIME_PERIODS } from './world/leaderboard.ts';
import { priceAt, round4, seriesCount, seriesOf } from './world/prices.ts';
import { TAGS } from './world/tags.ts';
import type { World } from './world/world.ts';

export { TRUTH_TYPES, type TruthType } from './keys.ts';

export interface TruthOptions {
  /** World time (simulated Unix seconds); default: the world's clock now. */
  asOf?: number;
  types?: readonly TruthType[];
  /** Only taker rows (what `takerOnly=true` serves). Default false: taker and maker rows. */
  takerOnly?: boolean;
  /** Minutes between price points (every n-th point of the series). Default 1: the whole series. */
  priceFidelity?: number;
  leaderboardOrders?: readonly ('PNL' | 'VOL')[];
}

export type TruthRecord = { type: TruthType; key: string } & Record<string, unknown>;

function wants(opts: TruthOptions, t: TruthType): boolean {
  return !opts.types || opts.types.includes(t);
}

/** How many rows of a market's trade listing a client can reach, or Infinity. */
export function reachableTradeRows(profile: Profile): number {
  const p = profile.data;
  if (p.v2Routes || p.tradesTimeWindow === 'honoured') return Number.POSITIVE_INFINITY;
  return p.tradesMaxOffset + p.tradesLimitMax;
}

export function reachableBoardRows(profile: Profile): number {
  return profile.data.leaderboardMaxOffset + profile.data.leaderboardLimitMax;
}

/** Every truth record, type by type. */
export function* truthRecords(world: World, profile: Profile, opts: TruthOptions = {}): Generator<TruthRecord> {
  const asOf = opts.asOf ?? world.clock.now();
  const n = world.marketCount(asOf);
  const ne = world.eventCount(asOf);
  if (wants(opts, 'gamma-market')) {
    for (let m = 0; m < n; m++) {
      const v = world.market(m);
      yield { type: 'gamma-market', key: gammaMarketKey(v), id: v.id, conditionId: v.conditionId, closed: world.isClosed(m, asOf), event: world.event(v.event).id };
    }
  }
  if (wants(opts, 'gamma-event')) {
    for (let e = 0; e < ne; e++) {
      const ev = world.event(e);
      yield { type: 'gamma-event', key: gammaEventKey(ev), id: ev.id, slug: ev.slug, closed: world.isEventClosed(e, asOf), markets: ev.marketCount };
    }
  }
  if (wants(opts, 'tag')) for (const t of TAGS) yield { type: 'tag', key: tagKey(t), id: String(t.id), slug: t.slug };
  if (wants(opts, 'clob-market')) {
    for (let m = 0; m < n; m++) {
      const v = world.market(m);
      yield { type: 'clob-market', key: clobMarketKey({ condition_id: v.conditionId }), condition_id: v.conditionId, tokens: [...v.tokens], closed: world.isClosed(m, asOf) };
    }
  }
  if (wants(opts, 'trade') || wants(opts, 'gap')) yield* tradeTruth(world, profile, opts, asOf, n);
  if (wants(opts, 'price-point')) yield* priceTruth(world, opts, asOf, n);
  if (wants(opts, 'leaderboard-row') || wants(opts, 'gap')) yield* boardTruth(world, profile, opts);
  if (wants(opts, 'holder')) yield* holderTruth(world, asOf, n);
  if (wants(opts, 'open-interest')) {
    for (let m = 0; m < n; m++) {
      if (world.createdAt(m) > asOf) continue;
      const conditionId = world.conditionId(m);
      yield { type: 'open-interest', key: openInterestKey(conditionId), conditionId, value: openInterest(world, m, asOf) };
    }
  }
}

/** The minimum balance `/holders` applies when none is asked (shares). */
const HOLDERS_MIN_BALANCE_DEFAULT = 1;

function* holderTruth(world: World, asOf: number, n: number): Generator<TruthRecord> {
  for (let m = 0; m < n; m++) {
    if (world.createdAt(m) > asOf) continue;
    const conditionId = world.conditionId(m);
    const tops = topHolders(world, m, asOf, HOLDERS_LIMIT_MAX, HOLDERS_MIN_BALANCE_DEFAULT);
    for (const o of [0, 1] as const) {
      const asset = world.tokenId(m, o);
      for (const h of tops[o]) {
        yield { type: 'holder', key: holderKey(conditionId, { asset, proxyWallet: h.wallet }), conditionId, asset, outcomeIndex: o, proxyWallet: h.wallet, amount: round(size(h)) };
      }
    }
  }
}

function* tradeTruth(world: World, profile: Profile, opts: TruthOptions, asOf: number, n: number): Generator<TruthRecord> {
  const takerOnly = opts.takerOnly ?? false;
  const perFill = takerOnly ? 1 : 2;
  const reach = reachableTradeRows(profile);
  for (let m = 0; m < n; m++) {
    const count = fillCount(world, m, asOf);
    if (count === 0) continue;
    const v = world.market(m);
    const rows = count * perFill;
    if (rows > reach && wants(opts, 'gap')) {
      const oldestReached = count - 1 - Math.floor((reach - 1) / perFill);
      yield {
        type: 'gap',
        key: `trades|${v.conditionId}`,
        endpoint: 'data:/trades',
        market: v.conditionId,
        from: fillAt(world, m, 0).ts,
        to: fillAt(world, m, oldestReached).ts,
        missingRows: rows - reach,
        reason: 'offset cap',
      };
    }
    if (!wants(opts, 'trade')) continue;
    for (let k = 0; k < count; k++) {
      for (let role = 0 as 0 | 1; role < perFill; role = (role + 1) as 0 | 1) {
        const position = (count - 1 - k) * perFill + role;
        if (position >= reach) continue;
        const f = fillAt(world, m, k);
        const party = rowParty(world, { fill: f, role });
        const row = { transactionHash: f.tx, proxyWallet: party.wallet, asset: v.tokens[f.outcome]!, side: party.side, price: f.price, size: f.size, timestamp: f.ts };
        yield { type: 'trade', key: tradeKey(row), ...row, conditionId: v.conditionId, outcomeIndex: f.outcome, role: role === 0 ? 'TAKER' : 'MAKER' };
      }
    }
  }
}

function* priceTruth(world: World, opts: TruthOptions, asOf: number, n: number): Generator<TruthRecord> {
  const fidelity = opts.priceFidelity ?? 1;
  for (let m = 0; m < n; m++) {
    const series = seriesOf(world, m);
    if (!series) continue;
    const count = seriesCount(world, m, series, asOf);
    const stride = Math.max(1, Math.ceil((fidelity * 60) / series.step));
    const v = world.market(m);
    for (let o = 0; o < 2; o++) {
      for (let j = 0; j < count; j += stride) {
        const t = series.start + j * series.step;
        yield { type: 'price-point', key: pricePointKey(v.tokens[o]!, t), token: v.tokens[o], conditionId: v.conditionId, t, p: round4(priceAt(world, m, o, t)) };
      }
    }
  }
}

function* boardTruth(world: World, profile: Profile, opts: TruthOptions): Generator<TruthRecord> {
  const reach = reachableBoardRows(profile);
  const asOf = opts.asOf ?? world.clock.now();
  for (const category of profile.data.leaderboardCategories) {
    for (const timePeriod of TIME_PERIODS) {
      for (const orderBy of opts.leaderboardOrders ?? BOARD_ORDERS) {
        const b = board(world, category, timePeriod, orderBy, asOf);
        if (b.size > reach && wants(opts, 'gap')) {
          yield {
            type: 'gap',
            key: `leaderboard|${timePeriod}/${orderBy}/${category}`,
            endpoint: 'data:/v1/leaderboard',
            category,
            timePeriod,
            orderBy,
            missingRows: b.size - reach,
            reason: 'offset cap',
          };
        }
        if (!wants(opts, 'leaderboard-row')) continue;
        for (let r = 0; r < Math.min(b.size, reach); r++) {
          const row = boardRow(world, b, r);
          yield { type: 'leaderboard-row', key: leaderboardKey(b, { proxyWallet: row.wallet }), category, timePeriod, orderBy, rank: r + 1, proxyWallet: row.wallet, vol: row.vol, pnl: row.pnl };
        }
      }
    }
  }
}

/**
 * Record counts per type, computed without enumerating rows (O(markets + boards)), except top
 * holders: only a market's fills tell how many wallets hold at least a share (O(fills)).
 */
export function truthCounts(world: World, profile: Profile, opts: TruthOptions = {}): Record<TruthType, number> {
  const asOf = opts.asOf ?? world.clock.now();
  const n = world.marketCount(asOf);
  const counts: Record<TruthType, number> = {
    'gamma-market': n,
    'gamma-event': world.eventCount(asOf),
    tag: TAGS.length,
    'clob-market': n,
    trade: 0,
    'price-point': 0,
    'leaderboard-row': 0,
    holder: 0,
    'open-interest': 0,
    gap: 0,
  };
  const perFill = opts.takerOnly ? 1 : 2;
  const reach = reachableTradeRows(profile);
  const fidelity = opts.priceFidelity ?? 1;
  for (let m = 0; m < n; m++) {
    if (world.createdAt(m) <= asOf) {
      counts['open-interest']++;
      const tops = topHolders(world, m, asOf, HOLDERS_LIMIT_MAX, HOLDERS_MIN_BALANCE_DEFAULT);
      counts.holder += tops[0].length + tops[1].length;
    }
    const rows = fillCount(world, m, asOf) * perFill;
    counts.trade += Math.min(rows, reach);
    if (rows > reach) counts.gap++;
    const series = seriesOf(world, m);
    if (series) {
      const c = seriesCount(world, m, series, asOf);
      const stride = Math.max(1, Math.ceil((fidelity * 60) / series.step));
      counts['price-point'] += 2 * Math.ceil(c / stride);
    }
  }
  const breach = reachableBoardRows(profile);
  for (const category of profile.data.leaderboardCategories) {
    for (const timePeriod of TIME_PERIODS) {
      for (const orderBy of opts.leaderboardOrders ?? BOARD_ORDERS) {
        const b = board(world, category, timePeriod, orderBy);
        counts['leaderboard-row'] += Math.min(b.size, breach);
        if (b.size > breach) counts.gap++;
      }
    }
  }
  return counts;
}
