/**
 * Trader leaderboards: one board per (category, time period, order). Row r of a board is pool
 * wallet (a·r + b) mod P, an invertible map, so `user=` lookups are O(1). Values fall with rank
 * (power law), with occasional exact ties (the v2 route gives tied rows one rank). The captured
 * rows of `data-leaderboard-*.json` sit at the top of OVERALL/WEEK/VOL and OVERALL/DAY/PNL.
 *
 * Boards are not frozen: in a live world every board's values grow by a per-board rate each
 * `BOARD_REFRESH_SEC` of world time after the world end (the static world never leaves epoch 0, so
 * its values are the ones above). Every generated row of a board is scaled by the same factor, so
 * ranks, ties and wallets stay put and only the values move; captured rows stay as captured.
 */
import { hash, S, unit } from '../core/hash.ts';
import { modInverse } from './fills.ts';
import type { FixtureBoardRow } from './fixtures.ts';
import { walletProfile } from './text.ts';
import type { World } from './world.ts';

/** Every category any profile knows, in a fixed order (the hash keys depend on it). */
export const ALL_BOARD_CATEGORIES = ['OVERALL', 'POLITICS', 'SPORTS', 'ESPORTS', 'CRYPTO', 'CULTURE', 'MENTIONS', 'WEATHER', 'ECONOMICS', 'TECH', 'FINANCE', 'COMBOS'] as const;
export const TIME_PERIODS = ['DAY', 'WEEK', 'MONTH', 'ALL'] as const;
export const BOARD_ORDERS = ['PNL', 'VOL'] as const;

/** World seconds between two refreshes of the boards' values (live worlds). */
export const BOARD_REFRESH_SEC = 300;

export interface Board {
  category: string;
  timePeriod: string;
  orderBy: string;
  key: number;
  /** Factor on the generated rows' values at the time the board was asked for (1 in epoch 0). */
  drift: number;
  size: number;
  a: number;
  b: number;
  aInverse: number;
  fixtureRows: FixtureBoardRow[];
}

export interface BoardRow {
  /** 0-based position. */
  rank: number;
  /** Rank shown by routes that give tied rows one rank (1-based). */
  tiedRank: number;
  wallet: string;
  walletIndex: number;
  userName: string;
  xUsername: string;
  verifiedBadge: boolean;
  vol: number;
  pnl: number;
  profileImage: string;
  fixtureText: string | null;
}

const PERIOD_SCALE: Record<string, number> = { DAY: 0.05, WEEK: 0.25, MONTH: 1, ALL: 5 };

/** The board as it stands at world time `at` (simulated Unix seconds; default the clock's now). */
export function board(world: World, category: string, timePeriod: string, orderBy: string, at = world.clock.now()): Board {
  const c = ALL_BOARD_CATEGORIES.indexOf(category as (typeof ALL_BOARD_CATEGORIES)[number]);
  const key = c * 8 + TIME_PERIODS.indexOf(timePeriod as 'DAY') * 2 + BOARD_ORDERS.indexOf(orderBy as 'PNL');
  const L = world.options.leaderboardSize;
  const size = Math.min(world.P - 1, c === 0 ? L : Math.floor(L * (0.25 + 0.75 * unit(world.seed, S.boardValue, key, 0, 1))));
  const a = 1 + (hash(world.seed, S.boardWallet, key, 1) % (world.P - 1));
  const fixtureRows = world.fixtures.boardRows.filter((r) => r.category === category && r.timePeriod === timePeriod && r.orderBy === orderBy);
  const epoch = Math.max(0, Math.floor((at - world.options.worldEnd) / BOARD_REFRESH_SEC));
  // Between 1% and 3% per refresh, so two epochs never serve the same values.
  const drift = 1 + epoch * (0.01 + 0.02 * unit(world.seed, S.boardValue, key, 0, 5));
  return {
    category,
    timePeriod,
    orderBy,
    key,
    drift,
    size: Math.max(size, fixtureRows.length),
    a,
    b: hash(world.seed, S.boardWallet, key, 2) % world.P,
    aInverse: modInverse(a, world.P),
    fixtureRows,
  };
}

function baseValue(world: World, b: Board, r: number): number {
  const scale = (PERIOD_SCALE[b.timePeriod] ?? 1) * (b.category === 'OVERALL' ? 1 : 0.3);
  const head = b.orderBy === 'PNL' ? 2e5 : 5e6;
  const exp = b.orderBy === 'PNL' ? 0.85 : 0.9;
  return head * scale * (r + 1) ** -exp * (1 + 1e-7 * unit(world.seed, S.boardValue, b.key, r));
}

function isTie(world: World, b: Board, r: number): boolean {
  return r > b.fixtureRows.length && hash(world.seed, S.boardValue, b.key, r, 3) % 40 === 0;
}

/** Mixed-case rendering of an address, as auto-generated user names show it. */
function mixedCase(world: World, address: string, w: number): string {
  let out = '0x';
  for (let i = 2; i < address.length; i++) {
    const ch = address[i]!;
    out += ch >= 'a' && hash(world.seed, S.walletProfile, w, i) & 1 ? ch.toUpperCase() : ch;
  }
  return out;
}

/** Row at 0-based position r of the board (r < size). */
export function boardRow(world: World, b: Board, r: number): BoardRow {
  const fixture = b.fixtureRows.find((f) => f.rank === r);
  if (fixture) {
    return {
      rank: r,
      tiedRank: r + 1,
      wallet: fixture.proxyWallet,
      walletIndex: -1,
      userName: fixture.userName,
      xUsername: '',
      verifiedBadge: false,
      vol: fixture.vol,
      pnl: fixture.pnl,
      profileImage: '',
      fixtureText: fixture.text,
    };
  }
  let tiedRank = r + 1;
  let valueRank = r;
  while (isTie(world, b, valueRank)) {
    valueRank--;
    tiedRank = valueRank + 1;
  }
  const main = baseValue(world, b, valueRank) * b.drift;
  const u = unit(world.seed, S.boardValue, b.key, r, 4);
  const vol = b.orderBy === 'VOL' ? main : main * (4 + 30 * u);
  const pnl = b.orderBy === 'PNL' ? main : main * (u - 0.45) * 0.1;
  const w = (b.a * r + b.b) % world.P;
  const wallet = world.ids.wallet(w);
  const profile = walletProfile(world.seed, w);
  const h = hash(world.seed, S.walletProfile, w, 99);
  return {
    rank: r,
    tiedRank,
    wallet,
    walletIndex: w,
    userName: profile.name || `${mixedCase(world, wallet, w)}-${1_600_000_000_000 + (h % 180_000_000) * 1000 + (h % 997)}`,
    xUsername: h % 7 === 0 && profile.name ? `${profile.name}pm` : '',
    verifiedBadge: h % 50 === 0,
    vol,
    pnl,
    profileImage: profile.profileImage,
    fixtureText: null,
  };
}

/** Position of a wallet (address, any case) or user name on the board, or -1. */
export function boardPosition(world: World, b: Board, who: { address?: string; userName?: string }): number {
  for (const f of b.fixtureRows) {
    if ((who.address && f.proxyWallet.toLowerCase() === who.address.toLowerCase()) || (who.userName && f.userName === who.userName)) return f.rank;
  }
  let w = -1;
  if (who.address) w = world.ids.walletIndex(who.address);
  else if (who.userName) {
    // Auto-generated names embed the address; chosen names are searched among the board's rows.
    const m = /^(0x[0-9a-fA-F]{40})-\d+$/.exec(who.userName);
    if (m) w = world.ids.walletIndex(m[1]!);
    else {
      for (let r = 0; r < Math.min(b.size, 20_000); r++) if (boardRow(world, b, r).userName === who.userName) return r;
      return -1;
    }
  }
  if (w < 0) return -1;
  const r = (((w - b.b + world.P) % world.P) * b.aInverse) % world.P;
  if (r >= b.size || b.fixtureRows.some((f) => f.rank === r)) return -1;
  if (who.userName && boardRow(world, b, r).userName !== who.userName) return -1;
  return r;
}
