/**
 * Data API routes (spec section 4): `/trades` (every filter, silent limit clamp, the profile's
 * offset cap refused with 400 or repeating, `takerOnly`, `start`/`end` per profile),
 * `/v1/leaderboard` (upper-case enums, string ranks, `user`/`userName`), and where the profile
 * has them the `/v2` routes (envelope, cursor-only paging, snake_case, JSON errors).
 */
import { type Handler, json, page, plainError, type Route, type SimRequest, type SimResponse, v2Error } from '../http/types.ts';
import { listTrades, type RowPosition, type TradeQuery, type TradeRow } from '../query/trades.ts';
import { boardRowJson, boardRowJsonV2, tradeRowJson, tradeRowJsonV2 } from '../serialize/data.ts';
import { TradePageWriter } from '../serialize/trade-bytes.ts';
import { board, boardPosition, boardRow, TIME_PERIODS } from '../world/leaderboard.ts';
import type { World } from '../world/world.ts';
import { Bad, base64Decode, base64Encode, boolParam, firstBad, intParam, numParam } from './params.ts';
import { historyPoints } from './prices.ts';

export const CONDITION_RE = /^0x[0-9a-fA-F]{64}$/;
export const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

interface ParsedTradeFilters {
  markets: number[] | null;
  user: number | null;
  userAddress: string | null;
}

/** Resolves market / eventId / user into market indices and a wallet; a Bad on malformed input. */
export function resolveScope(world: World, req: SimRequest, names: { market: string; event: string; user: string }, maxMarkets: number | null): ParsedTradeFilters | Bad {
  const q = req.query;
  const marketRaw = q.get(names.market);
  const eventRaw = q.get(names.event);
  if (marketRaw && eventRaw) return new Bad(names.market, `${names.market} and ${names.event} are mutually exclusive`);
  let markets: number[] | null = null;
  if (marketRaw) {
    const ids = marketRaw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.some((id) => !CONDITION_RE.test(id))) return new Bad(names.market, `invalid ${names.market} parameter`);
    if (maxMarkets !== null && ids.length > maxMarkets) return new Bad(names.market, `at most ${maxMarkets} condition ids are allowed`);
    markets = [...new Set(ids.map((id) => world.marketOfCondition(id)).filter((m) => m >= 0))];
  } else if (eventRaw) {
    const ids = eventRaw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.some((id) => !/^\d+$/.test(id))) return new Bad(names.event, `invalid ${names.event} parameter`);
    markets = [];
    for (const id of ids) {
      const e = world.eventOfId(Number(id));
      if (e < 0) continue;
      const [first, count] = world.eventMarkets(e);
      for (let m = first; m < first + count; m++) markets.push(m);
    }
  }
  const userRaw = q.get(names.user);
  let user: number | null = null;
  let userAddress: string | null = null;
  if (userRaw) {
    if (!ADDRESS_RE.test(userRaw)) return new Bad(names.user, `invalid ${names.user} parameter`);
    userAddress = userRaw.toLowerCase();
    user = world.ids.walletIndex(userRaw);
    // A wallet outside the pool can only be a captured taker: only fixture markets can hold it.
    if (user < 0 && markets === null) markets = world.fixtures.markets.map((_, i) => i);
  }
  return { markets, user, userAddress };
}

export function sideParam(q: URLSearchParams, name: string): 'BUY' | 'SELL' | null | Bad {
  const raw = q.get(name);
  if (!raw) return null;
  const s = raw.toUpperCase();
  return s === 'BUY' || s === 'SELL' ? s : new Bad(name, `invalid ${name} parameter`);
}

function encodeRowCursor(p: RowPosition): string {
  return base64Encode(`${p.ts}:${p.m}:${p.k}:${p.role}`).replace(/=+$/, '');
}

function decodeRowCursor(text: string): RowPosition | null {
  const raw = base64Decode(text);
  const m = raw ? /^(\d+):(\d+):(\d+):([01])$/.exec(raw) : null;
  return m ? { ts: Number(m[1]), m: Number(m[2]), k: Number(m[3]), role: Number(m[4]) as 0 | 1 } : null;
}

const positionOf = (r: TradeRow): RowPosition => ({ ts: r.fill.ts, m: r.fill.m, k: r.fill.k, role: r.role });

export function dataRoutes(v2: boolean): Route[] {
  const r = (method: 'GET' | 'POST', template: string, handler: Handler): Route => ({ api: 'data', method, template, handler });
  /** Markets whose hidden head rows (fault `shift`) have arrived. */
  const arrived = new Set<number>();
  let writer: TradePageWriter | undefined;

  const trades: Handler = (req) => {
    const { world, profile } = req.ctx;
    const p = profile.data;
    const q = req.query;
    const limit = intParam(q, 'limit');
    const offset = intParam(q, 'offset');
    const takerOnly = boolParam(q, 'takerOnly');
    const filterAmount = numParam(q, 'filterAmount');
    const side = sideParam(q, 'side');
    const start = intParam(q, 'start');
    const end = intParam(q, 'end');
    const bad = firstBad(limit, offset, takerOnly, filterAmount, side, start, end);
    if (bad) return plainError(400, bad.message);
    const filterType = q.get('filterType');
    if (filterType !== null && filterType !== 'CASH' && filterType !== 'TOKENS') return plainError(400, 'invalid filterType parameter');
    if ((filterType === null) !== (filterAmount === undefined)) return plainError(400, 'filterType and filterAmount must be provided together');
    if (filterAmount !== undefined && (filterAmount as number) < 0) return plainError(400, 'invalid filterAmount parameter');
    const scope = resolveScope(world, req, { market: 'market', event: 'eventId', user: 'user' }, null);
    if (scope instanceof Bad) return plainError(400, scope.message);
    let off = (offset as number | undefined) ?? 0;
    if (off > p.tradesMaxOffset) {
      if (p.tradesBeyondOffset === 'reject') return plainError(400, p.tradesOffsetError);
      off = p.tradesMaxOffset;
    }
    const lim = Math.min((limit as number | undefined) ?? p.tradesLimitDefault, p.tradesLimitMax);
    const windowed = p.tradesTimeWindow === 'honoured' || (p.tradesTimeWindow === 'user-only' && scope.user !== null);
    let from = windowed ? ((start as number | undefined) ?? null) : null;
    const userOnly = scope.user !== null && scope.markets === null;
    if (windowed && userOnly && p.tradesDefaultWindowSec !== null && (from === null || from === 0)) from = req.now - p.tradesDefaultWindowSec;
    const query: TradeQuery = {
      markets: scope.markets,
      user: scope.user,
      userAddress: scope.userAddress,
      side: side as 'BUY' | 'SELL' | null,
      takerOnly: (takerOnly as boolean | undefined) ?? p.takerOnlyDefault,
      filter: filterType ? { type: filterType as 'CASH' | 'TOKENS', amount: filterAmount as number } : null,
      start: from,
      end: windowed ? ((end as number | undefined) ?? null) : null,
      now: req.now,
      after: null,
    };
    if (scope.markets !== null) {
      // Fault `shift`: a selected market's newest fills stay hidden until someone pages past its
      // first page; then they arrive at the head and every later page shifts by that many rows.
      const faults = req.ctx.faults;
      const hidden = (m: number) => (arrived.has(m) ? 0 : faults.shiftRows(m, 'data:/trades'));
      if (off > 0) {
        for (const m of scope.markets) {
          if (!arrived.has(m) && hidden(m) > 0) {
            arrived.add(m);
            faults.noteShift();
          }
        }
      }
      query.hiddenHead = hidden;
    }
    const dup = req.fault('duplicate');
    const extra = dup && off > 0 ? Math.min(dup.rows, off) : 0;
    const rows = listTrades(world, query, off - extra, lim + extra, req.ctx);
    if (!req.recordFaults) {
      writer ??= new TradePageWriter(world);
      const w = writer;
      const body = w.render(rows);
      return { status: 200, body, contentType: 'application/json; charset=utf-8', release: () => w.release(body) };
    }
    return page(rows.map((row) => tradeRowJson(world, row)));
  };

  const leaderboard: Handler = (req) => {
    const { world, profile } = req.ctx;
    const p = profile.data;
    const q = req.query;
    const category = q.get('category') ?? 'OVERALL';
    if (!p.leaderboardCategories.includes(category)) return plainError(400, 'invalid category parameter');
    const timePeriod = q.get('timePeriod') ?? 'DAY';
    if (!(TIME_PERIODS as readonly string[]).includes(timePeriod)) return plainError(400, 'invalid timePeriod parameter');
    const orderBy = q.get('orderBy') ?? 'PNL';
    if (orderBy !== 'PNL' && orderBy !== 'VOL') return plainError(400, 'invalid orderBy parameter');
    const limit = intParam(q, 'limit');
    const offset = intParam(q, 'offset');
    const bad = firstBad(limit, offset);
    if (bad) return plainError(400, bad.message);
    const off = (offset as number | undefined) ?? 0;
    if (off > p.leaderboardMaxOffset) return plainError(400, `max offset of ${p.leaderboardMaxOffset} exceeded`);
    const lim = Math.max(1, Math.min((limit as number | undefined) ?? p.leaderboardLimitDefault, p.leaderboardLimitMax));
    const b = board(world, category, timePeriod, orderBy);
    const user = q.get('user');
    const userName = q.get('userName');
    if (user || userName) {
      if (user && !ADDRESS_RE.test(user)) return plainError(400, 'invalid user parameter');
      const pos = boardPosition(world, b, { ...(user ? { address: user } : {}), ...(userName ? { userName } : {}) });
      return page(pos < 0 ? [] : [boardRowJson(boardRow(world, b, pos))]);
    }
    const dup = req.fault('duplicate');
    const extra = dup && off > 0 ? Math.min(dup.rows, off) : 0;
    const rows: string[] = [];
    for (let r = off - extra; r < Math.min(b.size, off + lim); r++) rows.push(boardRowJson(boardRow(world, b, r)));
    return page(rows);
  };

  const v2Trades: Handler = (req) => {
    const { world, profile } = req.ctx;
    const q = req.query;
    const bad = (b: Bad): SimResponse => v2Error(400, 'invalid_request', b.message, b.parameter);
    if (q.has('offset')) return v2Error(400, 'invalid_request', 'offset pagination is not supported, use cursor', 'offset');
    const limit = intParam(q, 'limit', 1);
    const takerOnly = boolParam(q, 'taker_only');
    const side = sideParam(q, 'side');
    const start = intParam(q, 'start');
    const end = intParam(q, 'end');
    const b = firstBad(limit, takerOnly, side, start, end);
    if (b) return bad(b);
    const lim = (limit as number | undefined) ?? 100;
    if (lim > profile.data.v2TradesLimitMax) return v2Error(400, 'invalid_request', `limit must be at most ${profile.data.v2TradesLimitMax}`, 'limit');
    const scope = resolveScope(world, req, { market: 'market', event: 'event_id', user: 'user' }, profile.data.v2TradesMaxMarkets);
    if (scope instanceof Bad) return bad(scope);
    let after: RowPosition | null = null;
    const cursor = q.get('cursor');
    if (cursor) {
      after = decodeRowCursor(cursor);
      if (!after) return v2Error(400, 'invalid_request', 'invalid cursor', 'cursor');
    }
    const query: TradeQuery = {
      ...scope,
      side: side as 'BUY' | 'SELL' | null,
      takerOnly: (takerOnly as boolean | undefined) ?? true,
      filter: null,
      start: (start as number | undefined) ?? null,
      end: (end as number | undefined) ?? null,
      now: req.now,
      after,
    };
    const rows = listTrades(world, query, 0, lim + 1, req.ctx);
    const more = rows.length > lim;
    const shown = rows.slice(0, lim);
    const last = shown[shown.length - 1];
    const next = more && last ? encodeRowCursor(positionOf(last)) : null;
    return page(
      shown.map((row) => tradeRowJsonV2(world, row)),
      (inner) => `{"data":[${inner}],"pagination":{"limit":${lim},"offset":0,"has_more":${more},"next_cursor":${next ? `"${next}"` : 'null'}}}`,
    );
  };

  const v2Leaderboard: Handler = (req) => {
    const { world, profile } = req.ctx;
    const q = req.query;
    if (q.has('offset')) return v2Error(400, 'invalid_request', 'offset pagination is not supported, use cursor', 'offset');
    const period = (q.get('time_period') ?? 'day').toUpperCase();
    if (!(TIME_PERIODS as readonly string[]).includes(period)) return v2Error(400, 'invalid_request', 'invalid time_period', 'time_period');
    const category = (q.get('category') ?? 'overall').toUpperCase();
    if (![...profile.data.leaderboardCategories, 'ESPORTS', 'COMBOS'].includes(category)) return v2Error(400, 'invalid_request', 'invalid category', 'category');
    const sortBy = q.get('sort_by') ?? 'PNL';
    if (sortBy !== 'PNL' && sortBy !== 'VOLUME') return v2Error(400, 'invalid_request', 'invalid sort_by', 'sort_by');
    const limit = intParam(q, 'limit', 1);
    if (limit instanceof Bad) return v2Error(400, 'invalid_request', limit.message, 'limit');
    const lim = (limit as number | undefined) ?? 25;
    if (lim > profile.data.v2LeaderboardLimitMax) return v2Error(400, 'invalid_request', `limit must be at most ${profile.data.v2LeaderboardLimitMax}`, 'limit');
    let from = 0;
    let boardKey = `${category}/${period}/${sortBy}`;
    const cursor = q.get('cursor');
    if (cursor) {
      // The cursor pins the board it was issued for.
      const raw = base64Decode(cursor);
      const m = raw ? /^([A-Z]+\/[A-Z]+\/[A-Z]+)@(\d+)$/.exec(raw) : null;
      if (!m) return v2Error(400, 'invalid_request', 'invalid cursor', 'cursor');
      boardKey = m[1]!;
      from = Number(m[2]);
    }
    const [c, tp, sb] = boardKey.split('/') as [string, string, string];
    const b = board(world, c, tp, sb === 'VOLUME' ? 'VOL' : 'PNL');
    const rows: string[] = [];
    for (let r = from; r < Math.min(b.size, from + lim); r++) rows.push(boardRowJsonV2(boardRow(world, b, r)));
    const more = from + lim < b.size;
    const next = more ? base64Encode(`${boardKey}@${from + lim}`) : null;
    return page(rows, (inner) => `{"data":[${inner}],"pagination":{"limit":${lim},"offset":0,"has_more":${more},"next_cursor":${next ? `"${next}"` : 'null'}}}`);
  };

  const v2PricesHistory: Handler = (req) => {
    const { world, profile } = req.ctx;
    const q = req.query;
    const token = q.get('token_id');
    if (!token) return v2Error(400, 'invalid_request', 'token_id is required', 'token_id');
    const start = intParam(q, 'start_ts');
    const end = intParam(q, 'end_ts');
    const fidelity = intParam(q, 'fidelity', 1);
    const b = firstBad(start, end, fidelity);
    if (b) return v2Error(400, 'invalid_request', b.message, b.parameter);
    const to = (end as number | undefined) ?? Math.floor(req.now);
    const fromTs = (start as number | undefined) ?? to - 86_400;
    if (to - fromTs > profile.clob.pricesHistoryMaxWindowSec) return v2Error(400, 'invalid_request', 'window between start_ts and end_ts is longer than 15 days', 'start_ts');
    const tok = world.tokenOf(token);
    const points = tok ? historyPoints(world, tok[0], tok[1], fromTs, to, (fidelity as number | undefined) ?? 1, req.now, false) : [];
    return page(
      points.map(([t, p]) => `{"t":${t},"p":${p}}`),
      (inner) => `{"data":[${inner}],"pagination":{"limit":${points.length},"offset":0,"has_more":false,"next_cursor":null}}`,
    );
  };

  const routes: Route[] = [r('GET', '/', () => json(200, '{"data":"OK"}')), r('GET', '/ok', () => json(200, '{"data":"OK"}')), r('GET', '/trades', trades), r('GET', '/v1/leaderboard', leaderboard)];
  if (v2) routes.push(r('GET', '/v2/trades', v2Trades), r('GET', '/v2/leaderboard', v2Leaderboard), r('GET', '/v2/prices-history', v2PricesHistory));
  return routes;
}
