/**
 * Data API account routes (spec 4.2-4.6): `/positions`, `/activity`, `/value`, `/holders`, `/oi`,
 * all derived from the world's fills (world/holdings.ts), so a wallet's positions, activity and
 * value agree with its `/trades` rows. Silent `limit` clamps, 400 past the offset caps and on a
 * missing required parameter, `{"error"}` bodies.
 */
import { type Handler, json, page, plainError, type Route, type SimRequest, type SimResponse } from '../http/types.ts';
import { listTrades, type TradeQuery } from '../query/trades.ts';
import { holderJson, type PositionFigures, positionFigures, positionJson, tradeActivityJson } from '../serialize/accounts.ts';
import { HOLDERS_LIMIT_MAX, type Holding, openInterest, round, topHolders, walletHoldings, walletMarkets } from '../world/holdings.ts';
import { CONDITION_RE, resolveScope, sideParam } from './data.ts';
import { Bad, boolParam, firstBad, intParam, numParam } from './params.ts';

const ACTIVITY_TYPES = ['TRADE', 'SPLIT', 'MERGE', 'REDEEM', 'REWARD', 'CONVERSION', 'DEPOSIT', 'WITHDRAWAL', 'YIELD', 'MAKER_REBATE', 'TAKER_REBATE', 'REFERRAL_REWARD'];
const POSITION_SORTS = ['CURRENT', 'INITIAL', 'TOKENS', 'CASHPNL', 'PERCENTPNL', 'TITLE', 'RESOLVING', 'PRICE', 'AVGPRICE'] as const;

const required = (name: string) => plainError(400, `required query param '${name}' not provided`);

function direction(q: URLSearchParams): 1 | -1 | Bad {
  const raw = (q.get('sortDirection') ?? 'DESC').toUpperCase();
  if (raw !== 'ASC' && raw !== 'DESC') return new Bad('sortDirection', 'invalid sortDirection parameter');
  return raw === 'ASC' ? 1 : -1;
}

/** limit and offset of a Data API list: the limit clamped, an offset past the cap refused. */
function paging(q: URLSearchParams, limitDefault: number, limitMax: number, maxOffset: number, what: string): { limit: number; offset: number } | SimResponse {
  const limit = intParam(q, 'limit');
  const offset = intParam(q, 'offset');
  const bad = firstBad(limit, offset);
  if (bad) return plainError(400, bad.message);
  const off = (offset as number | undefined) ?? 0;
  if (off > maxOffset) return plainError(400, `max historical ${what} offset of ${maxOffset} exceeded`);
  return { limit: Math.min((limit as number | undefined) ?? limitDefault, limitMax), offset: off };
}

/** The user's scope (required user, optional market / eventId), as market indices and an address. */
function userScope(req: SimRequest): { user: number | null; address: string; markets: number[] } | SimResponse {
  const { world } = req.ctx;
  if (!req.query.get('user')) return required('user');
  const scope = resolveScope(world, req, { market: 'market', event: 'eventId', user: 'user' }, null);
  if (scope instanceof Bad) return plainError(400, scope.message);
  const address = scope.userAddress!;
  const markets = scope.markets ?? walletMarkets(world, address, req.now, req.ctx.crowd.inverse(world));
  return { user: scope.user, address, markets: markets.filter((m) => world.createdAt(m) <= req.now) };
}

/** A wallet's positions with their figures, the opposite token's holding at hand for `mergeable`. */
function positionsOf(req: SimRequest, address: string, markets: readonly number[]): Array<{ h: Holding; f: PositionFigures }> {
  const { world } = req.ctx;
  const held = walletHoldings(world, address, markets, req.now);
  const byToken = new Map(held.map((h) => [`${h.m}|${h.outcome}`, h]));
  return held.map((h) => ({ h, f: positionFigures(world, h, byToken.get(`${h.m}|${1 - h.outcome}`), req.now) }));
}

export function accountRoutes(): Route[] {
  const r = (template: string, handler: Handler): Route => ({ api: 'data', method: 'GET', template, handler });

  const positions: Handler = (req) => {
    const { world, profile } = req.ctx;
    const q = req.query;
    const scope = userScope(req);
    if ('status' in scope) return scope;
    const p = paging(q, 100, profile.data.positionsLimitMax, profile.data.positionsMaxOffset, 'positions');
    if ('status' in p) return p;
    const threshold = numParam(q, 'sizeThreshold');
    const redeemable = boolParam(q, 'redeemable');
    const mergeable = boolParam(q, 'mergeable');
    const dir = direction(q);
    const bad = firstBad(threshold, redeemable, mergeable, dir);
    if (bad) return plainError(400, bad.message);
    const sortBy = (q.get('sortBy') ?? 'TOKENS').toUpperCase();
    if (!(POSITION_SORTS as readonly string[]).includes(sortBy)) return plainError(400, 'invalid sortBy parameter');
    const title = q.get('title')?.toLowerCase() ?? null;
    if (title !== null && title.length > 100) return plainError(400, 'title must be at most 100 characters');
    const min = (threshold as number | undefined) ?? 1;
    const rows = positionsOf(req, scope.address, scope.markets).filter(
      ({ h, f }) =>
        f.size > 0 && f.size >= min && (redeemable !== true || f.redeemable) && (mergeable !== true || f.mergeable) && (title === null || world.market(h.m).question.toLowerCase().includes(title)),
    );
    const key = (x: { h: Holding; f: PositionFigures }): number | string => {
      switch (sortBy) {
        case 'CURRENT':
          return x.f.currentValue;
        case 'INITIAL':
          return x.f.initialValue;
        case 'CASHPNL':
          return x.f.cashPnl;
        case 'PERCENTPNL':
          return x.f.percentPnl;
        case 'TITLE':
          return world.market(x.h.m).question;
        case 'RESOLVING':
          return world.endDate(x.h.m);
        case 'PRICE':
          return x.f.curPrice;
        case 'AVGPRICE':
          return x.f.avgPrice;
        default:
          return x.f.size;
      }
    };
    const d = dir as number;
    rows.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      const c = typeof ka === 'string' ? ka.localeCompare(kb as string) : ka - (kb as number);
      return c * d || a.h.m - b.h.m || a.h.outcome - b.h.outcome;
    });
    return page(rows.slice(p.offset, p.offset + p.limit).map(({ h, f }) => positionJson(world, h, f)));
  };

  const activity: Handler = (req) => {
    const { world, profile } = req.ctx;
    const q = req.query;
    const scope = userScope(req);
    if ('status' in scope) return scope;
    const p = paging(q, 100, profile.data.activityLimitMax, profile.data.activityMaxOffset, 'activity');
    if ('status' in p) return p;
    const start = intParam(q, 'start');
    const end = intParam(q, 'end');
    const side = sideParam(q, 'side');
    const dir = direction(q);
    const bad = firstBad(start, end, side, dir);
    if (bad) return plainError(400, bad.message);
    const types = (q.get('type') ?? '')
      .split(',')
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean);
    if (types.some((t) => !ACTIVITY_TYPES.includes(t))) return plainError(400, 'invalid type parameter');
    const sortBy = (q.get('sortBy') ?? 'TIMESTAMP').toUpperCase();
    if (!['TIMESTAMP', 'TOKENS', 'CASH'].includes(sortBy)) return plainError(400, 'invalid sortBy parameter');
    // Trades are the only activity this world has (no splits, merges, redemptions or rewards).
    if (types.length > 0 && !types.includes('TRADE')) return page([]);
    const query: TradeQuery = {
      markets: scope.markets,
      user: scope.user ?? -1,
      userAddress: scope.address,
      side: side as 'BUY' | 'SELL' | null,
      takerOnly: false,
      filter: null,
      start: (start as number | undefined) ?? null,
      end: (end as number | undefined) ?? null,
      now: req.now,
      after: null,
    };
    if (sortBy === 'TIMESTAMP' && dir === -1) return page(listTrades(world, query, p.offset, p.limit, req.ctx).map((row) => tradeActivityJson(world, row)));
    const all = listTrades(world, query, 0, profile.data.activityMaxOffset + profile.data.activityLimitMax, req.ctx);
    const key = (row: (typeof all)[number]) => (sortBy === 'TOKENS' ? row.fill.size : sortBy === 'CASH' ? row.fill.size * row.fill.price : row.fill.ts);
    // The listing is newest first; a stable sort keeps that order among equal keys.
    const sorted = sortBy === 'TIMESTAMP' ? all.reverse() : all.sort((a, b) => (key(a) - key(b)) * (dir as number));
    return page(sorted.slice(p.offset, p.offset + p.limit).map((row) => tradeActivityJson(world, row)));
  };

  const value: Handler = (req) => {
    const scope = userScope(req);
    if ('status' in scope) return scope;
    const total = positionsOf(req, scope.address, scope.markets).reduce((sum, { f }) => sum + f.currentValue, 0);
    return json(200, JSON.stringify([{ user: scope.address, value: round(total) }]));
  };

  /** Condition ids of a comma list, as market indices in the order given (unknown ones left out). */
  const marketList = (req: SimRequest): number[] | Bad | null => {
    const raw = req.query.get('market');
    if (!raw) return null;
    const ids = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.some((id) => !CONDITION_RE.test(id))) return new Bad('market', 'invalid market parameter');
    const ms = [...new Set(ids.map((id) => req.ctx.world.marketOfCondition(id)))];
    return ms.filter((m) => m >= 0 && req.ctx.world.createdAt(m) <= req.now);
  };

  const holders: Handler = (req) => {
    const { world } = req.ctx;
    const q = req.query;
    const markets = marketList(req);
    if (markets === null) return required('market');
    const limit = intParam(q, 'limit');
    const minBalance = intParam(q, 'minBalance');
    const bad = firstBad(markets, limit, minBalance);
    if (bad) return plainError(400, bad.message);
    const lim = Math.min((limit as number | undefined) ?? HOLDERS_LIMIT_MAX, HOLDERS_LIMIT_MAX);
    const min = (minBalance as number | undefined) ?? 1;
    if (min > 999_999) return plainError(400, 'invalid minBalance parameter');
    const out: string[] = [];
    for (const m of markets as number[]) {
      const tops = topHolders(world, m, req.now, lim, min);
      for (const o of [0, 1] as const) out.push(`{"token":${JSON.stringify(world.tokenId(m, o))},"holders":[${tops[o].map((h) => holderJson(world, h)).join(',')}]}`);
    }
    return page(out);
  };

  const oi: Handler = (req) => {
    const { world } = req.ctx;
    const markets = marketList(req);
    if (markets instanceof Bad) return plainError(400, markets.message);
    if (markets === null) {
      let total = 0;
      for (let m = 0; m < world.marketCount(req.now); m++) if (world.createdAt(m) <= req.now) total += openInterest(world, m, req.now);
      return json(200, JSON.stringify([{ market: 'GLOBAL', value: round(total, 4) }]));
    }
    return json(200, JSON.stringify(markets.map((m) => ({ market: world.conditionId(m), value: openInterest(world, m, req.now) }))));
  };

  return [r('/positions', positions), r('/activity', activity), r('/value', value), r('/holders', holders), r('/oi', oi)];
}
