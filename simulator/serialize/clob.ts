/**
 * CLOB JSON: market listings (numbers as JSON numbers, dates ISO or null, tokens with price and
 * winner), order books (decimal strings, worst level first, `timestamp` as a string of ms) and
 * the WebSocket event shapes of spec section 6.
 */
import { createHash } from 'node:crypto';
import { type Book, bookAt, bookEpoch, formatPrice, formatSize, hasBook, lastTradeOf } from '../world/books.ts';
import type { World } from '../world/world.ts';
import { isoZ, q } from './format.ts';
import { outcomePrices } from './gamma.ts';

function tokensJson(world: World, m: number, t: number): string {
  const v = world.market(m);
  const closed = world.isClosed(m, t);
  const prices = outcomePrices(world, m, t);
  const token = (o: 0 | 1) => {
    const price = Number(prices[o]);
    const winner = closed && v.winner === o;
    return `{"token_id":${q(v.tokens[o])},"outcome":${q(v.outcomes[o])},"price":${price},"winner":${winner}}`;
  };
  return `[${token(0)},${token(1)}]`;
}

function rewardsJson(world: World, m: number, t: number): string {
  const open = !world.isClosed(m, t) && world.market(m).enableOrderBook;
  if (!open) return '{"rates":null,"min_size":0,"max_spread":0}';
  return '{"rates":[{"asset_address":"0x2791Bca1f2de4661ED88A30C99A7a9449Aa84174","rewards_daily_rate":1}],"min_size":50,"max_spread":3.5}';
}

/** Markets that are in the liquidity-rewards program (the sampling listings). */
export function isSampling(world: World, m: number, t: number): boolean {
  return !world.isClosed(m, t) && world.market(m).enableOrderBook && world.createdAt(m) <= t;
}

/** CLOB market object of market m at time t; captured markets keep their original text. */
export function clobMarketJson(world: World, m: number, t: number): string {
  const v = world.market(m);
  if (v.fixture?.clobText) return v.fixture.clobText;
  const closed = world.isClosed(m, t);
  const accepting = !closed && v.enableOrderBook;
  return `{"enable_order_book":${v.enableOrderBook},"active":true,"closed":${closed},"archived":false,"accepting_orders":${accepting},"accepting_order_timestamp":${
    v.enableOrderBook ? q(isoZ(v.createdAt + 60)) : 'null'
  },"minimum_order_size":${v.minOrderSize},"minimum_tick_size":${v.baseTick},"condition_id":${q(v.conditionId)},"question_id":${q(v.questionId)},"question":${q(v.question)},"description":${q(v.description)},"market_slug":${q(v.slug)},"end_date_iso":${q(isoZ(v.endDate))},"game_start_time":${
    v.gameStartTime !== null ? q(isoZ(v.gameStartTime)) : 'null'
  },"seconds_delay":${v.sports ? 3 : 0},"fpmm":"","maker_base_fee":0,"taker_base_fee":0,"notifications_enabled":true,"neg_risk":${v.negRisk},"neg_risk_market_id":${
    v.negRisk ? q(`0x${v.conditionId.slice(2, 58)}${'0'.repeat(8)}`) : '""'
  },"neg_risk_request_id":${v.negRisk ? q(v.questionId) : '""'},"icon":${q(v.icon)},"image":${q(v.image)},"rewards":${rewardsJson(world, m, t)},"is_50_50_outcome":false,"tokens":${tokensJson(
    world,
    m,
    t,
  )},"tags":${JSON.stringify(['All', v.category.charAt(0) + v.category.slice(1).toLowerCase()])}}`;
}

export function simplifiedMarketJson(world: World, m: number, t: number): string {
  const closed = world.isClosed(m, t);
  const v = world.market(m);
  return `{"condition_id":${q(v.conditionId)},"rewards":${rewardsJson(world, m, t)},"tokens":${tokensJson(world, m, t)},"active":true,"closed":${closed},"archived":false,"accepting_orders":${!closed && v.enableOrderBook}}`;
}

function levelsJson(levels: Book['bids']): string {
  return `[${levels.map(([p, s]) => `{"price":"${formatPrice(p)}","size":"${formatSize(s)}"}`).join(',')}]`;
}

/** Last trade price of token o as a string, "" if it never traded. */
export function lastTradeString(world: World, m: number, o: number, t: number): string {
  const last = lastTradeOf(world, m, o, t);
  return last ? String(Math.round(last.price * 1000) / 1000) : '';
}

/**
 * REST `/book` body (with the 2025-07 extras when `extras`). Its `hash` is the CLOB's: the SHA-1
 * of this very body, compact, with `hash` empty (the real fixture's hash recomputes that way,
 * and clients such as py-clob-client verify books by it).
 */
export function bookJson(world: World, book: Book, tMs: number, extras: boolean): string {
  const v = world.market(book.m);
  const before = `{"market":${q(v.conditionId)},"asset_id":${q(v.tokens[book.o]!)},"timestamp":"${tMs}","hash":"`;
  let after = `","bids":${levelsJson(book.bids)},"asks":${levelsJson(book.asks)}`;
  if (extras)
    after += `,"min_order_size":"${v.minOrderSize}","tick_size":"${formatPrice(book.tick)}","neg_risk":${v.negRisk},"last_trade_price":${q(lastTradeString(world, book.m, book.o, tMs / 1000))}`;
  after += '}';
  return `${before}${createHash('sha1').update(before).update(after).digest('hex')}${after}`;
}

/** WebSocket `book` event. */
export function wsBookJson(world: World, book: Book, tMs: number): string {
  const v = world.market(book.m);
  return `{"market":${q(v.conditionId)},"asset_id":${q(v.tokens[book.o]!)},"timestamp":"${tMs}","hash":"${book.hash}","bids":${levelsJson(book.bids)},"asks":${levelsJson(book.asks)},"tick_size":"${formatPrice(book.tick)}","last_trade_price":${q(lastTradeString(world, book.m, book.o, tMs / 1000))},"event_type":"book"}`;
}

/** The current book of a token, or null when it has none (closed, AMM era, not yet created). */
export function currentBook(world: World, m: number, o: number, t: number): Book | null {
  if (!hasBook(world, m, t)) return null;
  return bookAt(world, m, o, bookEpoch(world, t));
}
