/**
 * CLOB REST routes (spec section 5): market listings with cursor paging (1,000 per page, `LTE=`
 * on the last page, 400 when a past-the-end cursor is sent back), single markets, books and the
 * price routes (decimal strings, `{"mid"}`), price history, their POST batch forms, and the
 * GET forms of the batch routes that the live service refuses.
 */

import { hash, S } from '../core/hash.ts';
import { type Handler, json, lazyPage, page, plainError, type Route, type SimRequest, type SimResponse } from '../http/types.ts';
import type { ListingIndexes } from '../query/listing.ts';
import { bookJson, clobMarketJson, currentBook, isSampling, lastTradeString, simplifiedMarketJson } from '../serialize/clob.ts';
import { type Book, bestAsk, bestBid, formatPrice, lastTradeOf } from '../world/books.ts';
import type { World } from '../world/world.ts';
import { base64Decode, base64Encode, firstBad, intParam } from './params.ts';
import { historyPoints, historyWindow } from './prices.ts';

const NO_BOOK = 'No orderbook exists for the requested token id';
const PAST_END = 'next item should be greater than or equal to 0';
export const END_CURSOR = 'LTE=';
export const FIRST_CURSOR = 'MA==';

type Token = [number, number];

function tokenParam(world: World, req: SimRequest): Token | SimResponse {
  const id = req.query.get('token_id') ?? req.params.token_id;
  if (!id || !/^\d{1,80}$/.test(id)) return plainError(400, 'Invalid token id');
  const tok = world.tokenOf(id);
  return tok ?? plainError(404, NO_BOOK);
}

function bookOf(world: World, tok: Token, now: number): Book | SimResponse {
  const book = currentBook(world, tok[0], tok[1], now);
  return book ?? plainError(404, NO_BOOK);
}

const isResponse = (x: unknown): x is SimResponse => typeof x === 'object' && x !== null && 'status' in x && 'body' in x;

function mid(book: Book): string {
  const b = bestBid(book);
  const a = bestAsk(book);
  const m = b !== null && a !== null ? (a + b) / 2 : (b ?? a ?? 500);
  return String(Math.round(m * 10) / 10_000);
}

function spread(book: Book): string {
  const b = bestBid(book);
  const a = bestAsk(book);
  return b !== null && a !== null ? formatPrice(a - b) : '0';
}

function sidePrice(book: Book, side: string): string {
  const p = side === 'BUY' ? bestBid(book) : bestAsk(book);
  return p === null ? '0' : formatPrice(p);
}

/** Token ids of a POST batch body `[{"token_id": …}, …]`, or the 400 it deserves. */
function batchTokens(req: SimRequest, max: number): Array<{ token_id: string; side?: string }> | SimResponse {
  if (req.bodyError || !Array.isArray(req.body)) return plainError(400, 'Invalid payload');
  if (req.body.length > max) return plainError(400, 'Payload exceeds the limit');
  const items = req.body as unknown[];
  if (!items.every((i) => typeof i === 'object' && i !== null && typeof (i as { token_id?: unknown }).token_id === 'string')) return plainError(400, 'Invalid payload');
  return items as Array<{ token_id: string; side?: string }>;
}

export function clobRoutes(idx: ListingIndexes): Route[] {
  const r = (method: 'GET' | 'POST', template: string, handler: Handler): Route => ({ api: 'clob', method, template, handler });

  /** A cursor-paged listing over `n` positions; `at(p)` is the market at position p. */
  const listing = (req: SimRequest, n: number, at: (p: number) => number, positionOfMarket: (m: number) => number, render: (m: number) => string): SimResponse => {
    const { world, profile } = req.ctx;
    const size = profile.clob.pageSize;
    const cursor = req.query.get('next_cursor');
    let start = 0;
    if (cursor && cursor !== FIRST_CURSOR) {
      if (cursor === END_CURSOR) return plainError(400, PAST_END);
      const raw = base64Decode(cursor);
      if (raw === null) return plainError(400, 'invalid next_cursor');
      const keyset = /^id:(\d+)$/.exec(raw);
      if (keyset) {
        const m = world.marketOfId(Number(keyset[1]));
        if (m < 0) return plainError(400, 'invalid next_cursor');
        start = positionOfMarket(m) + 1;
      } else if (/^\d+$/.test(raw)) start = Number(raw);
      else return plainError(400, 'invalid next_cursor');
      if (start >= n) return plainError(400, PAST_END);
    }
    const dup = req.fault('duplicate');
    const extra = dup && start > 0 ? Math.min(dup.rows, start) : 0;
    const end = Math.min(n, start + size);
    // Positions are resolved now, at the request's time; only the rendering waits for the writer.
    const markets = Array.from({ length: end - (start - extra) }, (_, k) => at(start - extra + k));
    let next = END_CURSOR;
    if (end < n) next = profile.clob.cursor === 'offset' ? base64Encode(String(end)) : base64Encode(`id:${world.marketId(at(end - 1))}`);
    return lazyPage(markets, render, (inner) => `{"limit":${size},"count":${markets.length},"next_cursor":"${next}","data":[${inner}]}`);
  };

  /** Every market, the captured first page first, then by id. */
  const allMarkets = (req: SimRequest, render: (m: number) => string) => {
    const { world } = req.ctx;
    const F = world.F;
    const order = world.fixtures.clobOrder;
    const inverse = new Map(order.map((m, p) => [m, p]));
    return listing(
      req,
      world.marketCount(req.now),
      (p) => (p < F ? order[p]! : p),
      (m) => (m < F ? inverse.get(m)! : m),
      render,
    );
  };

  /** Open markets in the rewards program, by id (kept per status snapshot). */
  const samplingLists = new WeakMap<Int32Array, Int32Array>();
  const sampling = (req: SimRequest, render: (m: number) => string) => {
    const { world } = req.ctx;
    const open = idx.lists(req.now).openMarkets;
    let list = samplingLists.get(open);
    if (!list) {
      list = open.filter((m) => isSampling(world, m, req.now));
      samplingLists.set(open, list);
    }
    const ids = list;
    const positionOf = (m: number) => {
      let lo = 0;
      let hi = ids.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ids[mid]! < m) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    return listing(req, ids.length, (p) => ids[p]!, positionOf, render);
  };

  const markets: Handler = (req) => allMarkets(req, (m) => clobMarketJson(req.ctx.world, m, req.now));
  const simplified: Handler = (req) => allMarkets(req, (m) => simplifiedMarketJson(req.ctx.world, m, req.now));
  const samplingMarkets: Handler = (req) => sampling(req, (m) => clobMarketJson(req.ctx.world, m, req.now));
  const samplingSimplified: Handler = (req) => sampling(req, (m) => simplifiedMarketJson(req.ctx.world, m, req.now));

  const marketById: Handler = (req) => {
    const m = req.ctx.world.marketOfCondition(req.params.condition_id!);
    if (m < 0) return plainError(404, 'market not found');
    return json(200, clobMarketJson(req.ctx.world, m, req.now));
  };

  /** The condition id and both tokens of a token's market; which token is "primary" is the market's own (not always Yes). */
  const marketByToken: Handler = (req) => {
    const { world } = req.ctx;
    const tok = world.tokenOf(req.params.token_id!);
    if (!tok || world.createdAt(tok[0]) > req.now) return plainError(404, 'market not found');
    const m = tok[0];
    const primary = hash(world.seed, S.marketMisc, m, 11) % 4 === 0 ? 1 : 0;
    return json(200, JSON.stringify({ condition_id: world.conditionId(m), primary_token_id: world.tokenId(m, primary), secondary_token_id: world.tokenId(m, 1 - primary) }));
  };

  const withBook =
    (fn: (book: Book, req: SimRequest) => SimResponse): Handler =>
    (req) => {
      const tok = tokenParam(req.ctx.world, req);
      if (isResponse(tok)) return tok;
      const book = bookOf(req.ctx.world, tok, req.now);
      if (isResponse(book)) return book;
      return fn(book, req);
    };

  const book = withBook((b, req) => json(200, bookJson(req.ctx.world, b, Math.floor(req.now * 1000), req.ctx.profile.clob.bookExtras)));
  const price = withBook((b, req) => {
    const side = (req.query.get('side') ?? '').toUpperCase();
    if (side !== 'BUY' && side !== 'SELL') return plainError(400, 'Invalid side');
    return json(200, `{"price":"${sidePrice(b, side)}"}`);
  });
  const midpoint = withBook((b) => json(200, `{"mid":"${mid(b)}"}`));
  const spreadRoute = withBook((b) => json(200, `{"spread":"${spread(b)}"}`));

  const lastTrade: Handler = (req) => {
    const tok = tokenParam(req.ctx.world, req);
    if (isResponse(tok)) return tok.status === 404 ? json(200, '{"price":"0.5","side":""}') : tok;
    const last = lastTradeOf(req.ctx.world, tok[0], tok[1], req.now);
    return json(200, last ? `{"price":"${lastTradeString(req.ctx.world, tok[0], tok[1], req.now)}","side":"${last.side}"}` : '{"price":"0.5","side":""}');
  };

  const tickSize: Handler = (req) => {
    const tok = tokenParam(req.ctx.world, req);
    if (isResponse(tok)) return tok;
    const b = currentBook(req.ctx.world, tok[0], tok[1], req.now);
    const tick = b ? b.tick / 1000 : req.ctx.world.baseTickOf(tok[0]);
    return json(200, `{"minimum_tick_size":${tick}}`);
  };

  const negRisk: Handler = (req) => {
    const tok = tokenParam(req.ctx.world, req);
    if (isResponse(tok)) return tok;
    return json(200, `{"neg_risk":${req.ctx.world.market(tok[0]).negRisk}}`);
  };

  const feeRate: Handler = (req) => {
    const tok = tokenParam(req.ctx.world, req);
    if (isResponse(tok)) return tok;
    return json(200, '{"base_fee":0}');
  };

  /**
   * Renders each token of a POST batch that the world knows (`render` may skip one with null);
   * the 400 for a bad batch body.
   */
  const eachKnownToken = (req: SimRequest, render: (item: { token_id: string; side?: string }, market: number, outcome: number) => string | null): string[] | SimResponse => {
    const items = batchTokens(req, 500);
    if (isResponse(items)) return items;
    const out: string[] = [];
    for (const item of items) {
      const tok = req.ctx.world.tokenOf(item.token_id);
      const text = tok ? render(item, tok[0], tok[1]) : null;
      if (text !== null) out.push(text);
    }
    return out;
  };

  const books: Handler = (req) => {
    const out = eachKnownToken(req, (_, m, o) => {
      const b = currentBook(req.ctx.world, m, o, req.now);
      return b ? bookJson(req.ctx.world, b, Math.floor(req.now * 1000), req.ctx.profile.clob.bookExtras) : null;
    });
    return isResponse(out) ? out : page(out);
  };

  /** POST batch returning a map token → value: a token asked twice is one key (a JSON object has no duplicate keys). */
  const batchMap =
    (value: (b: Book) => string): Handler =>
    (req) => {
      const seen = new Set<string>();
      const parts = eachKnownToken(req, (item, m, o) => {
        const b = seen.has(item.token_id) ? null : currentBook(req.ctx.world, m, o, req.now);
        seen.add(item.token_id);
        return b ? `${JSON.stringify(item.token_id)}:${value(b)}` : null;
      });
      return isResponse(parts) ? parts : json(200, `{${parts.join(',')}}`);
    };

  /** POST `/prices`: both sides of a token asked with BUY and with SELL sit under its one key. */
  const prices: Handler = (req) => {
    const sides = new Map<string, Map<string, string>>();
    const out = eachKnownToken(req, (item, m, o) => {
      const b = currentBook(req.ctx.world, m, o, req.now);
      if (!b) return null;
      const side = (item.side ?? 'SELL').toUpperCase() === 'BUY' ? 'BUY' : 'SELL';
      const of = sides.get(item.token_id) ?? new Map<string, string>();
      of.set(side, sidePrice(b, side));
      sides.set(item.token_id, of);
      return '';
    });
    if (isResponse(out)) return out;
    const parts = [...sides].map(([token, of]) => `${JSON.stringify(token)}:{${[...of].map(([side, price]) => `"${side}":"${price}"`).join(',')}}`);
    return json(200, `{${parts.join(',')}}`);
  };
  const midpoints = batchMap((b) => `"${mid(b)}"`);
  const spreads = batchMap((b) => `"${spread(b)}"`);

  const lastTradesPrices: Handler = (req) => {
    const { world } = req.ctx;
    const out = eachKnownToken(req, ({ token_id }, m, o) => {
      const last = lastTradeOf(world, m, o, req.now);
      return last ? `{"token_id":${JSON.stringify(token_id)},"price":"${lastTradeString(world, m, o, req.now)}","side":"${last.side}"}` : null;
    });
    return isResponse(out) ? out : page(out);
  };

  const pricesHistory: Handler = (req) => {
    const { world, profile } = req.ctx;
    const q = req.query;
    const token = q.get('market');
    if (!token) return plainError(400, 'invalid filters: market is required');
    const startTs = intParam(q, 'startTs');
    const endTs = intParam(q, 'endTs');
    const fidelity = intParam(q, 'fidelity', 1);
    const bad = firstBad(startTs, endTs, fidelity);
    if (bad) return plainError(400, `invalid filters: ${bad.message}`);
    const w = historyWindow(
      { startTs: startTs as number | undefined, endTs: endTs as number | undefined, interval: q.get('interval') ?? undefined, fidelity: fidelity as number | undefined },
      req.now,
      profile.clob.pricesHistoryMaxWindowSec,
      profile.clob.pricesHistoryMaxSpanSec,
    );
    if (isResponse(w)) return w;
    const tok = world.tokenOf(token);
    const points = tok ? historyPoints(world, tok[0], tok[1], w.start, w.end, w.fidelity, req.now, profile.clob.pricesHistoryNowPoint) : [];
    return page(
      points.map(([t, p]) => `{"t":${t},"p":${p}}`),
      (inner) => `{"history":[${inner}]}`,
    );
  };

  const batchPricesHistory: Handler = (req) => {
    const { world, profile } = req.ctx;
    const body = req.body as { markets?: unknown; start_ts?: unknown; end_ts?: unknown; interval?: unknown; fidelity?: unknown } | undefined;
    if (req.bodyError || !body || !Array.isArray(body.markets) || !body.markets.every((x) => typeof x === 'string')) return plainError(400, 'Invalid payload');
    if (body.markets.length > 20) return plainError(400, 'Payload exceeds the limit');
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    const w = historyWindow(
      { startTs: num(body.start_ts), endTs: num(body.end_ts), interval: typeof body.interval === 'string' ? body.interval : undefined, fidelity: num(body.fidelity) },
      req.now,
      profile.clob.pricesHistoryMaxWindowSec,
      profile.clob.pricesHistoryMaxSpanSec,
    );
    if (isResponse(w)) return w;
    const parts = (body.markets as string[]).map((token) => {
      const tok = world.tokenOf(token);
      const points = tok ? historyPoints(world, tok[0], tok[1], w.start, w.end, w.fidelity, req.now, profile.clob.pricesHistoryNowPoint) : [];
      return `${JSON.stringify(token)}:[${points.map(([t, p]) => `{"t":${t},"p":${p}}`).join(',')}]`;
    });
    return json(200, `{"history":{${parts.join(',')}}}`);
  };

  const refuse: Handler = () => plainError(400, 'Invalid payload');

  return [
    r('GET', '/', () => json(200, '"OK"')),
    r('GET', '/time', (req) => json(200, String(Math.floor(req.now)))),
    r('GET', '/markets', markets),
    r('GET', '/markets/{condition_id}', marketById),
    r('GET', '/markets-by-token/{token_id}', marketByToken),
    r('GET', '/simplified-markets', simplified),
    r('GET', '/sampling-markets', samplingMarkets),
    r('GET', '/sampling-simplified-markets', samplingSimplified),
    r('GET', '/book', book),
    r('POST', '/books', books),
    r('GET', '/books', refuse),
    r('GET', '/price', price),
    r('POST', '/prices', prices),
    r('GET', '/prices', refuse),
    r('GET', '/midpoint', midpoint),
    r('POST', '/midpoints', midpoints),
    r('GET', '/midpoints', refuse),
    r('GET', '/spread', spreadRoute),
    r('POST', '/spreads', spreads),
    r('GET', '/last-trade-price', lastTrade),
    r('POST', '/last-trades-prices', lastTradesPrices),
    r('GET', '/tick-size', tickSize),
    r('GET', '/tick-size/{token_id}', tickSize),
    r('GET', '/neg-risk', negRisk),
    r('GET', '/fee-rate', feeRate),
    r('GET', '/prices-history', pricesHistory),
    r('POST', '/batch-prices-history', batchPricesHistory),
  ];
}
