/**
 * Data API JSON: trade rows (v1 camelCase, v2 snake_case) and leaderboard rows. Trade rows carry
 * every key, with empty strings for unset profile fields; numbers are JSON floats, the timestamp
 * integer seconds; leaderboard `rank` is a string in v1.
 */
import type { TradeRow } from '../query/trades.ts';
import type { BoardRow } from '../world/leaderboard.ts';
import { profileKeysJson, walletProfile } from '../world/text.ts';
import type { World } from '../world/world.ts';
import { q } from './format.ts';

interface MarketStrings {
  conditionId: string;
  tokens: [string, string];
  outcomes: [string, string];
  title: string;
  slug: string;
  icon: string;
  eventSlug: string;
}

const cache = new WeakMap<World, Map<number, MarketStrings>>();

/** Quoted strings of a market reused by every row of it. */
function marketStrings(world: World, m: number): MarketStrings {
  let byMarket = cache.get(world);
  if (!byMarket) {
    byMarket = new Map();
    cache.set(world, byMarket);
  }
  let s = byMarket.get(m);
  if (!s) {
    const v = world.market(m);
    s = {
      conditionId: q(v.conditionId),
      tokens: [q(v.tokens[0]), q(v.tokens[1])],
      outcomes: [q(v.outcomes[0]), q(v.outcomes[1])],
      title: q(v.question),
      slug: q(v.slug),
      icon: q(v.icon),
      eventSlug: q(world.event(v.event).slug),
    };
    if (byMarket.size >= 8192) byMarket.delete(byMarket.keys().next().value!);
    byMarket.set(m, s);
  }
  return s;
}

/** What a row says about who traded: address, side and profile. */
export function rowParty(world: World, row: TradeRow): { wallet: string; side: 'BUY' | 'SELL'; index: number } {
  const f = row.fill;
  if (row.role === 0) {
    return { wallet: f.takerAddress ?? world.ids.wallet(f.taker), side: f.takerSide, index: f.taker };
  }
  return { wallet: world.ids.wallet(f.maker), side: f.takerSide === 'BUY' ? 'SELL' : 'BUY', index: f.maker };
}

const NO_PROFILE = { v1: '"name":"","pseudonym":"","bio":"","profileImage":"","profileImageOptimized":""', v2: '"name":"","pseudonym":"","profile_image":""' };

/** The quoted profile keys of a wallet's rows, v1 and v2 spellings. */
export function profileJson(world: World, index: number): { v1: string; v2: string } {
  if (index < 0) return NO_PROFILE;
  const pr = walletProfile(world.seed, index);
  return { v1: profileKeysJson(world.seed, index), v2: `"name":${q(pr.name)},"pseudonym":${q(pr.pseudonym)},"profile_image":${q(pr.profileImage)}` };
}

/** One `/trades` row (v1). */
export function tradeRowJson(world: World, row: TradeRow): string {
  const f = row.fill;
  const s = marketStrings(world, f.m);
  const party = rowParty(world, row);
  return `{"proxyWallet":"${party.wallet}","side":"${party.side}","asset":${s.tokens[f.outcome]},"conditionId":${s.conditionId},"size":${f.size},"price":${f.price},"timestamp":${f.ts},"title":${s.title},"slug":${s.slug},"icon":${s.icon},"eventSlug":${s.eventSlug},"outcome":${s.outcomes[f.outcome]},"outcomeIndex":${f.outcome},${profileJson(world, party.index).v1},"transactionHash":"${f.tx}"}`;
}

/** One `/v2/trades` row: the same facts in snake_case. */
export function tradeRowJsonV2(world: World, row: TradeRow): string {
  const f = row.fill;
  const s = marketStrings(world, f.m);
  const party = rowParty(world, row);
  return `{"proxy_wallet":"${party.wallet}","side":"${party.side}","token_id":${s.tokens[f.outcome]},"condition_id":${s.conditionId},"size":${f.size},"price":${f.price},"timestamp":${f.ts},"title":${s.title},"slug":${s.slug},"icon":${s.icon},"event_slug":${s.eventSlug},"outcome":${s.outcomes[f.outcome]},"outcome_index":${f.outcome},${profileJson(world, party.index).v2},"transaction_hash":"${f.tx}"}`;
}

/** One `/v1/leaderboard` row; captured rows keep their original text. */
export function boardRowJson(row: BoardRow): string {
  if (row.fixtureText) return row.fixtureText;
  return `{"rank":"${row.rank + 1}","proxyWallet":"${row.wallet}","userName":${q(row.userName)},"xUsername":${q(row.xUsername)},"verifiedBadge":${row.verifiedBadge},"vol":${row.vol},"pnl":${row.pnl},"profileImage":${q(row.profileImage)}}`;
}

/** One `/v2/leaderboard` row: tied rows share a rank; volume in shares. */
export function boardRowJsonV2(row: BoardRow): string {
  return `{"rank":${row.tiedRank},"proxy_wallet":"${row.wallet.toLowerCase()}","user_name":${q(row.userName)},"x_username":${q(row.xUsername)},"verified_badge":${row.verifiedBadge},"volume":${Math.round((row.vol / 0.52) * 100) / 100},"pnl":${row.pnl},"profile_image":${q(row.profileImage)}}`;
}
