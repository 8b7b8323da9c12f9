/**
 * Gamma JSON: Market, Event, Tag objects with the real API's quirks (spec 3.10-3.12): numeric
 * strings beside numbers (`volume` vs `volumeNum`), JSON arrays inside strings (`outcomes`,
 * `outcomePrices`, `clobTokenIds`), mixed date dialects, keys omitted rather than null. Captured
 * samples are emitted with their original text.
 */
import { hash, S } from '../core/hash.ts';
import { bestAsk, bestBid, bookAt, bookEpoch, hasBook, lastTradeOf } from '../world/books.ts';
import { priceAt } from '../world/prices.ts';
import { SERIES, type Tag, tagCatalog } from '../world/tags.ts';
import type { World } from '../world/world.ts';
import { dateOnly, dec, isoFrac, isoZ, pgTime, q, stringArray } from './format.ts';

export const SCHEMA_BASE = 'https://gamma-api.polymarket.com/schemas/';

export interface MarketJsonOptions {
  /** Embed the parent event(s) (list routes); nested markets of an event leave it out. */
  withEvents: boolean;
  includeTag: boolean;
  /** Adds `"$schema"` first (single-market and keyset routes). */
  schema: boolean;
}

/** Prepends `"$schema"` to an object's text without touching the rest of it. */
export function withSchema(objectText: string, name: string): string {
  return `{"$schema":${q(`${SCHEMA_BASE}${name}.json`)},${objectText.slice(1)}`;
}

export function tagJson(tag: Tag, schema = false): string {
  const parts = [`"id":${q(String(tag.id))}`, `"label":${q(tag.label)}`, `"slug":${q(tag.slug)}`];
  if (tag.forceShow !== undefined) parts.push(`"forceShow":${tag.forceShow}`);
  if (tag.publishedAt) parts.push(`"publishedAt":${q(tag.publishedAt)}`);
  parts.push(`"createdAt":${q(tag.createdAt)}`, `"updatedAt":${q(tag.updatedAt)}`);
  if (tag.forceHide !== undefined) parts.push(`"forceHide":${tag.forceHide}`);
  if (tag.isCarousel !== undefined) parts.push(`"isCarousel":${tag.isCarousel}`);
  parts.push('"requiresTranslation":false');
  const text = `{${parts.join(',')}}`;
  return schema ? withSchema(text, 'Tag') : text;
}

function tagsJson(ids: readonly number[]): string {
  return `[${ids
    .map((id) => tagCatalog.byId.get(id))
    .filter((t) => t !== undefined)
    .map((t) => tagJson(t))
    .join(',')}]`;
}

/** Outcome prices as Gamma shows them: the result once closed, else the current probabilities. */
export function outcomePrices(world: World, m: number, t: number): [string, string] {
  const v = world.market(m);
  if (world.isClosed(m, t)) {
    if (v.winner === null) return ['0', '0'];
    return v.winner === 0 ? ['1', '0'] : ['0', '1'];
  }
  const p0 = Math.round(priceAt(world, m, 0, t) * 1000) / 1000;
  return [String(p0), String(Math.round((1 - p0) * 1000) / 1000)];
}

/** Top of book and last trade of outcome 0, as Gamma's numbers. */
function quote(world: World, m: number, t: number): { bestBid: number; bestAsk: number; spread: number; last: number } {
  const last = lastTradeOf(world, m, 0, t);
  if (!hasBook(world, m, t)) return { bestBid: 0, bestAsk: 1, spread: 1, last: last ? last.price : 0 };
  const book = bookAt(world, m, 0, bookEpoch(world, t));
  const bb = (bestBid(book) ?? 0) / 1000;
  const ba = (bestAsk(book) ?? 1000) / 1000;
  return { bestBid: bb, bestAsk: ba, spread: Math.round((ba - bb) * 1000) / 1000, last: last ? Math.round(last.price * 1000) / 1000 : 0 };
}

/**
 * The fields an event object opens with, in Gamma's order, both in a market's `events[]` and in
 * /events; the full object (`full`) also has `resolutionSource` and `new`. Each form draws the
 * fractional seconds of its timestamps from its own seeds, so a world serialises as it always did.
 */
function eventHead(world: World, e: number, t: number, volume: number, full: boolean): string[] {
  const ev = world.event(e);
  const closed = world.isEventClosed(e, t);
  const seed = world.seed + e + (full ? 3 : 0);
  return [
    `"id":${q(ev.id)}`,
    `"ticker":${q(ev.ticker)}`,
    `"slug":${q(ev.slug)}`,
    `"title":${q(ev.title)}`,
    `"description":${q(ev.description)}`,
    ...(full ? [`"resolutionSource":${q(ev.resolutionSource)}`] : []),
    `"startDate":${q(isoZ(ev.startDate))}`,
    `"creationDate":${q(isoZ(ev.createdAt))}`,
    `"endDate":${q(isoZ(ev.endDate))}`,
    `"image":${q(ev.image)}`,
    `"icon":${q(ev.icon)}`,
    '"active":true',
    `"closed":${closed}`,
    '"archived":false',
    ...(full ? ['"new":false'] : []),
    '"featured":false',
    '"restricted":true',
    `"liquidity":${closed ? 0 : dec(volume * 0.05, 4)}`,
    `"volume":${volume}`,
    `"openInterest":${closed ? 0 : dec(volume * 0.1, 4)}`,
    '"sortBy":"ascending"',
    `"category":${q(ev.category.charAt(0) + ev.category.slice(1).toLowerCase())}`,
    `"published_at":${q(pgTime(ev.createdAt))}`,
    `"createdAt":${q(isoFrac(ev.createdAt, seed))}`,
    `"updatedAt":${q(isoFrac(Math.min(t, ev.endDate + 86_400), seed + 1))}`,
  ];
}

/** Event summary as embedded in a market's `events[]`. */
function eventSummaryJson(world: World, e: number, t: number): string {
  const ev = world.event(e);
  const closed = world.isEventClosed(e, t);
  const volume = Math.round(world.eventVolume(e) * 100) / 100;
  const parts = [
    ...eventHead(world, e, t, volume, false),
    '"competitive":0',
    '"volume24hr":0',
    '"volume1wk":0',
    '"volume1mo":0',
    '"volume1yr":0',
    '"liquidityAmm":0',
    `"liquidityClob":${closed ? 0 : dec(volume * 0.05, 4)}`,
    '"commentCount":0',
    '"cyom":false',
  ];
  if (closed) parts.push(`"closedTime":${q(isoFrac(world.closeTime(ev.firstMarket), world.seed + e + 2))}`);
  parts.push('"showAllOutcomes":true', `"showMarketImages":${ev.marketCount > 1}`, `"enableNegRisk":${ev.negRisk}`, '"negRiskAugmented":false', '"pendingDeployment":false', '"deploying":false');
  if (ev.seriesSlug) {
    const s = SERIES.find((x) => x.slug === ev.seriesSlug)!;
    parts.push(
      `"series":[{"id":${q(String(s.id))},"ticker":${q(s.slug)},"slug":${q(s.slug)},"title":${q(s.title)},"seriesType":"single","recurrence":${q(s.recurrence)},"active":true,"closed":false,"archived":false}]`,
    );
  }
  return `{${parts.join(',')}}`;
}

/** Gamma Market object of market m at time t. */
export function marketJson(world: World, m: number, t: number, opts: MarketJsonOptions): string {
  const v = world.market(m);
  if (v.fixture?.gammaText && opts.withEvents) return opts.schema ? withSchema(v.fixture.gammaText, 'Market') : v.fixture.gammaText;
  const closed = world.isClosed(m, t);
  const h = hash(world.seed, S.marketMisc, m, 7);
  const prices = outcomePrices(world, m, t);
  const qt = quote(world, m, t);
  const volumeNum = Math.round(v.volume * 100) / 100;
  const liquidity = closed ? 0 : v.liquidity;
  const open = !closed;
  const recent = open ? Math.round(v.volume * (0.01 + (h % 100) / 1000) * 1e6) / 1e6 : 0;
  const p: string[] = [
    `"id":${q(v.id)}`,
    `"question":${q(v.question)}`,
    `"conditionId":${q(v.conditionId)}`,
    `"slug":${q(v.slug)}`,
    `"resolutionSource":${q(v.resolutionSource)}`,
    `"endDate":${q(isoZ(v.endDate))}`,
    `"liquidity":${q(String(liquidity))}`,
    `"startDate":${q(isoFrac(v.startDate, world.seed + m))}`,
    `"image":${q(v.image)}`,
    `"icon":${q(v.icon)}`,
    `"description":${q(v.description)}`,
    `"outcomes":${stringArray(v.outcomes)}`,
    `"outcomePrices":${stringArray(prices)}`,
    `"volume":${q(String(v.volume))}`,
    '"active":true',
    `"closed":${closed}`,
    `"marketMakerAddress":""`,
    `"createdAt":${q(isoFrac(v.createdAt, world.seed + m + 1))}`,
    `"updatedAt":${q(isoFrac(Math.min(t, closed ? v.closeTime + 3_600 : t), world.seed + m + 2))}`,
  ];
  if (closed) p.push(`"closedTime":${q(pgTime(v.closeTime))}`);
  p.push('"new":false', '"featured":false', '"archived":false', '"restricted":true');
  if (v.groupItem) p.push(`"groupItemTitle":${q(v.groupItem)}`, `"groupItemThreshold":${q(String(v.index - world.eventMarkets(v.event)[0]))}`);
  p.push(`"questionID":${q(v.questionId)}`, `"enableOrderBook":${v.enableOrderBook}`, `"orderPriceMinTickSize":${v.baseTick}`, `"orderMinSize":${v.minOrderSize}`);
  if (closed) p.push('"umaResolutionStatus":"resolved"');
  p.push(
    `"volumeNum":${volumeNum}`,
    `"liquidityNum":${liquidity}`,
    `"endDateIso":${q(dateOnly(v.endDate))}`,
    `"startDateIso":${q(dateOnly(v.startDate))}`,
    '"hasReviewedDates":true',
    `"volume24hr":${recent}`,
    `"volume1wk":${recent * 3}`,
    `"volume1mo":${recent * 5}`,
    `"volume1yr":${open ? volumeNum : 0}`,
  );
  if (v.gameStartTime !== null) p.push(`"gameStartTime":${q(pgTime(v.gameStartTime))}`, '"secondsDelay":3');
  p.push(
    `"clobTokenIds":${stringArray(v.tokens)}`,
    '"umaBond":"500"',
    '"umaReward":"5"',
    `"volume24hrClob":${recent}`,
    `"volume1wkClob":${recent * 3}`,
    `"volume1moClob":${recent * 5}`,
    `"volume1yrClob":${open ? volumeNum : 0}`,
    `"volumeClob":${volumeNum}`,
    `"liquidityClob":${liquidity}`,
    '"makerBaseFee":0',
    '"takerBaseFee":0',
    '"customLiveness":0',
    `"acceptingOrders":${open && v.enableOrderBook}`,
    `"negRisk":${v.negRisk}`,
  );
  if (v.negRisk) p.push(`"negRiskMarketID":${q(`0x${v.conditionId.slice(2, 58)}${'0'.repeat(8)}`)}`, `"negRiskRequestID":${q(v.questionId)}`);
  if (opts.withEvents) p.push(`"events":[${eventSummaryJson(world, v.event, t)}]`);
  p.push(
    '"ready":false',
    '"funded":false',
    `"acceptingOrdersTimestamp":${q(isoZ(v.createdAt + 60))}`,
    '"cyom":false',
    `"competitive":${open ? dec(0.5 + (h % 500) / 1000, 6) : 0}`,
    '"pagerDutyNotificationEnabled":false',
    '"approved":true',
    `"rewardsMinSize":${open ? 50 : 0}`,
    `"rewardsMaxSpread":${open ? 3.5 : 0}`,
    `"spread":${qt.spread}`,
    `"oneDayPriceChange":${open ? dec(((h % 200) - 100) / 10_000, 4) : 0}`,
    '"oneHourPriceChange":0',
    '"oneWeekPriceChange":0',
    '"oneMonthPriceChange":0',
    `"lastTradePrice":${qt.last}`,
    `"bestBid":${qt.bestBid}`,
    `"bestAsk":${qt.bestAsk}`,
    '"automaticallyActive":true',
    '"clearBookOnStart":true',
    '"seriesColor":""',
    '"showGmpSeries":false',
    '"showGmpOutcome":false',
    '"manualActivation":false',
    '"negRiskOther":false',
    `"umaResolutionStatuses":${closed ? q('["proposed", "resolved"]') : q('[]')}`,
    '"pendingDeployment":false',
    '"deploying":false',
    '"rfqEnabled":false',
    '"holdingRewardsEnabled":false',
    '"feesEnabled":false',
    '"requiresTranslation":false',
  );
  if (opts.includeTag) p.push(`"tags":${tagsJson(v.tags)}`);
  const text = `{${p.join(',')}}`;
  return opts.schema ? withSchema(text, 'Market') : text;
}

export interface EventJsonOptions {
  includeMarkets: boolean;
  schema: boolean;
}

/** Gamma Event object of event e at time t, with its markets (minus their `events`) unless told otherwise. */
export function eventJson(world: World, e: number, t: number, opts: EventJsonOptions): string {
  const ev = world.event(e);
  const closed = world.isEventClosed(e, t);
  const volume = Math.round(world.eventVolume(e) * 1e6) / 1e6;
  const h = hash(world.seed, S.eventMisc, e, 7);
  const p: string[] = [
    ...eventHead(world, e, t, volume, true),
    `"competitive":${closed ? 0 : dec((h % 1000) / 1000, 6)}`,
    '"volume24hr":0',
    '"volume1wk":0',
    '"volume1mo":0',
    '"volume1yr":0',
    '"enableOrderBook":true',
    '"liquidityAmm":0',
    `"liquidityClob":${closed ? 0 : dec(volume * 0.05, 4)}`,
    `"negRisk":${ev.negRisk}`,
  ];
  if (ev.negRisk) p.push(`"negRiskMarketID":${q(`0x${world.conditionId(ev.firstMarket).slice(2, 58)}${'0'.repeat(8)}`)}`);
  p.push(`"commentCount":${h % 40}`);
  if (opts.includeMarkets) {
    const parts: string[] = [];
    for (let m = ev.firstMarket; m < ev.firstMarket + ev.marketCount; m++) parts.push(marketJson(world, m, t, { withEvents: false, includeTag: false, schema: false }));
    p.push(`"markets":[${parts.join(',')}]`);
  }
  if (ev.seriesSlug) {
    const s = SERIES.find((x) => x.slug === ev.seriesSlug)!;
    p.push(
      `"series":[{"id":${q(String(s.id))},"ticker":${q(s.slug)},"slug":${q(s.slug)},"title":${q(s.title)},"seriesType":"single","recurrence":${q(s.recurrence)},"layout":"default","active":true,"closed":false,"archived":false,"new":false,"featured":false,"restricted":true,"commentsEnabled":false,"competitive":"0","volume24hr":0,"volume":0,"liquidity":0}]`,
    );
  }
  p.push(`"tags":${tagsJson(ev.tags)}`, '"cyom":false');
  if (closed) p.push(`"closedTime":${q(isoZ(world.closeTime(ev.firstMarket)))}`);
  p.push('"showAllOutcomes":true', `"showMarketImages":${ev.marketCount > 1}`, '"automaticallyResolved":true', `"enableNegRisk":${ev.negRisk}`, '"automaticallyActive":true');
  if (ev.seriesSlug) p.push(`"eventDate":${q(dateOnly(ev.endDate))}`, `"startTime":${q(isoZ(ev.endDate - 3 * 3_600))}`, `"seriesSlug":${q(ev.seriesSlug)}`, `"live":false`, `"ended":${closed}`);
  p.push('"gmpChartMode":"default"', '"negRiskAugmented":false', '"pendingDeployment":false', '"deploying":false', '"requiresTranslation":false');
  const text = `{${p.join(',')}}`;
  return opts.schema ? withSchema(text, 'Event') : text;
}
