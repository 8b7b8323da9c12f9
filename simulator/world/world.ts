/**
 * The simulated Polymarket: markets, events, fills, prices, books and boards, all computed from
 * the seed. Only a few numbers per market and per event are kept in typed arrays (creation and
 * close times, fill counts, event membership), a few megabytes for 200,000 markets; every row
 * served (a fill, a price point, a book level) is computed on demand from counters.
 *
 * Index spaces: markets are numbered 0..F-1 for the fixture markets (real samples, kept as
 * records) then F.. for synthetic ones; synthetic market s has index F + s. In live mode new
 * markets are appended (s >= options.markets), each with an event of its own. Events likewise:
 * fixture events first, then synthetic, then live ones.
 */
import { hash, normal, S, unit } from '../core/hash.ts';
import { IdCodec } from '../core/ids.ts';
import type { SimOptions } from '../options.ts';
import type { Profile } from '../profiles.ts';
import { SimClock } from './clock.ts';
import type { FixtureWorld } from './fixtures.ts';
import { tagCatalog } from './tags.ts';
import { type Category, categoryOf, type EventText, eventText, slugify } from './text.ts';
import type { EventView, MarketView } from './views.ts';

export const MARKET_ID_BASE = 100_000;
export const EVENT_ID_BASE = 10_000;
const HOUR = 3_600;
const DAY = 86_400;
/** Fills per match are at most this many (a match starts at every multiple of it). */
export const MAX_MATCH = 8;

/** Growable Float64/Int32 column. */
class Column<T extends Float64Array | Int32Array> {
  data: T;
  constructor(data: T) {
    this.data = data;
  }
  ensure(n: number, make: (n: number) => T): void {
    if (n <= this.data.length) return;
    const next = make(Math.max(n, this.data.length * 2 + 16));
    next.set(this.data);
    this.data = next;
  }
}

export class World {
  readonly options: SimOptions;
  readonly profile: Profile;
  readonly seed: number;
  readonly ids: IdCodec;
  readonly clock: SimClock;
  readonly fixtures: FixtureWorld;
  /** Fixture markets (F). */
  readonly F: number;
  /** Fixture events. */
  readonly FE: number;
  /** Synthetic markets and events at the world end (live ones come on top). */
  readonly M: number;
  readonly E: number;
  /** Wallet pool size (a prime, so crowd strides are invertible). */
  readonly P: number;

  /** Per market (fixture + synthetic + live): creation, end, close times (s); historical fill count; event; trade weight. */
  readonly #createdAtC = new Column(new Float64Array(0));
  readonly #endDateC = new Column(new Float64Array(0));
  readonly #closeTimeC = new Column(new Float64Array(0));
  readonly #histCountC = new Column(new Int32Array(0));
  readonly #eventOfC = new Column(new Int32Array(0));
  readonly #weightC = new Column(new Float64Array(0));
  /** Per synthetic event: index of its first market, creation time, end time. */
  readonly #eventStart: Int32Array;
  readonly #eventCreated: Float64Array;
  readonly #eventEnd: Float64Array;
  /** Markets materialised so far (grows in live mode). */
  #known = 0;
  /** Live fills per second per unit of weight. */
  readonly #liveRatePerWeight: number;
  readonly #viewCache = new Map<number, MarketView>();
  readonly #eventCache = new Map<number, EventView>();
  readonly #textCache = new Map<number, EventText & { titleSlug: string }>();

  constructor(options: SimOptions, profile: Profile, fixtures: FixtureWorld, clock?: SimClock) {
    this.options = options;
    this.profile = profile;
    this.seed = options.seed;
    this.ids = new IdCodec(options.seed);
    this.clock = clock ?? new SimClock(options.worldEnd, options.live, options.liveSpeed);
    this.fixtures = fixtures;
    this.F = fixtures.markets.length;
    this.FE = fixtures.events.length;
    this.M = options.markets;
    this.E = Math.max(options.markets > 0 ? 1 : 0, Math.min(options.events, options.markets));
    this.P = nextPrime(options.wallets);

    const { eventStart, eventCreated, eventEnd } = this.#layoutEvents();
    this.#eventStart = eventStart;
    this.#eventCreated = eventCreated;
    this.#eventEnd = eventEnd;

    const n = this.F + this.M;
    this.#createdAtC.data = new Float64Array(n);
    this.#endDateC.data = new Float64Array(n);
    this.#closeTimeC.data = new Float64Array(n);
    this.#histCountC.data = new Int32Array(n);
    this.#eventOfC.data = new Int32Array(n);
    this.#weightC.data = new Float64Array(n);
    for (let i = 0; i < this.F; i++) {
      const f = fixtures.markets[i]!;
      this.#createdAtC.data[i] = f.createdAt;
      this.#endDateC.data[i] = f.endDate;
      this.#closeTimeC.data[i] = f.closeTime;
      this.#histCountC.data[i] = f.fills.length;
      this.#eventOfC.data[i] = f.event;
    }
    let e = 0;
    for (let s = 0; s < this.M; s++) {
      while (e + 1 < this.E && this.#eventStart[e + 1]! <= s) e++;
      this.#initSynthetic(s, e);
    }
    this.#known = n;
    const mean = options.tradesPerMarket;
    let weightSum = 0;
    for (let s = 0; s < this.M; s++) weightSum += this.#weightC.data[this.F + s]!;
    const norm = this.M > 0 && weightSum > 0 ? this.M / weightSum : 1;
    let openWeight = 0;
    for (let s = 0; s < this.M; s++) {
      const i = this.F + s;
      const w = this.#weightC.data[i]! * norm;
      this.#weightC.data[i] = w;
      const active = Math.min(this.#closeTimeC.data[i]!, options.worldEnd) - this.#createdAtC.data[i]!;
      this.#histCountC.data[i] = active > 0 ? Math.min(Math.round(mean * w), 2_000_000_000) : 0;
      if (this.#closeTimeC.data[i]! > options.worldEnd) openWeight += w;
    }
    this.#liveRatePerWeight = openWeight > 0 ? options.liveTradeRate / openWeight : options.liveTradeRate;
  }

  /** Splits the synthetic markets into events: every event gets one, the rest go by heavy-tailed weights. */
  #layoutEvents() {
    const E = this.E;
    const M = this.M;
    const eventStart = new Int32Array(E + 1);
    const eventCreated = new Float64Array(E);
    const eventEnd = new Float64Array(E);
    if (E === 0) return { eventStart, eventCreated, eventEnd };
    const weights = new Float64Array(E);
    let total = 0;
    for (let e = 0; e < E; e++) {
      const u = unit(this.seed, S.eventSize, e);
      // Pareto(alpha 1.3): most events hold one market, a few hold dozens.
      const w = Math.min(60, (1 - u) ** (-1 / 1.3) - 1);
      weights[e] = w;
      total += w;
    }
    const extra = M - E;
    let acc = 0;
    let placed = 0;
    for (let e = 0; e < E; e++) {
      eventStart[e] = e + placed;
      acc += total > 0 ? (weights[e]! / total) * extra : 0;
      const upto = e === E - 1 ? extra : Math.min(extra, Math.round(acc));
      placed = Math.max(placed, upto);
    }
    eventStart[E] = M;
    const { worldStart, worldEnd } = this.options;
    const span = worldEnd - worldStart;
    for (let e = 0; e < E; e++) {
      // Polymarket grows: creation times bunch towards the end (density ∝ t², about a tenth open at the end).
      const created = worldStart + Math.floor(span * Math.cbrt((e + unit(this.seed, S.eventCreated, e)) / E) * 0.995);
      eventCreated[e] = created;
      // Durations: log-normal around ~3 weeks, from an hour to two years.
      const d = Math.exp(Math.log(21 * DAY) + 1.3 * normal(this.seed, S.marketDuration, e));
      eventEnd[e] = created + Math.floor(Math.min(2 * 365 * DAY, Math.max(HOUR, d)));
    }
    return { eventStart, eventCreated, eventEnd };
  }

  #initSynthetic(s: number, e: number): void {
    const i = this.F + s;
    const created = this.#syntheticCreated(s, e);
    const end = e < this.E ? this.#eventEnd[e]! : created + Math.floor(Math.max(HOUR, Math.exp(Math.log(7 * DAY) + normal(this.seed, S.marketDuration, s, 1))));
    const delay = Math.floor(unit(this.seed, S.marketResolveDelay, s) * 2 * DAY);
    let close = Math.max(created + HOUR, end + delay);
    const { worldEnd } = this.options;
    if (close > worldEnd && this.options.live && this.options.liveResolveRate > 0) {
      // Early resolutions in live mode: an exponential clock per open market.
      const openGuess = Math.max(1, this.M * 0.2);
      const ratePerSec = this.options.liveResolveRate / HOUR / openGuess;
      const early = Math.max(worldEnd, created) + Math.floor(-Math.log(1 - unit(this.seed, S.marketEarlyResolve, s)) / ratePerSec);
      close = Math.min(close, early);
    }
    this.#createdAtC.data[i] = created;
    this.#endDateC.data[i] = end;
    this.#closeTimeC.data[i] = close;
    this.#eventOfC.data[i] = this.FE + e;
    // Trades per market: log-normal weight (sigma 1.6), mean 1 after normalisation.
    this.#weightC.data[i] = Math.exp(1.6 * normal(this.seed, S.marketTradeWeight, s) - 1.28);
  }

  #syntheticCreated(s: number, e: number): number {
    if (e < this.E) {
      const first = this.#eventStart[e]!;
      return this.#eventCreated[e]! + (s - first) * 600 + Math.floor(unit(this.seed, S.marketMisc, s, 1) * 300);
    }
    return this.#liveMarketCreated(s - this.M);
  }

  /** Creation time of the k-th market born in live mode. */
  #liveMarketCreated(k: number): number {
    const perSec = this.options.liveNewMarketRate / HOUR;
    return this.options.worldEnd + Math.floor((k + unit(this.seed, S.liveMarket, k)) / perSec);
  }

  /** Number of markets (all kinds) that exist at time `t`. */
  marketCount(t = this.clock.now()): number {
    if (!this.options.live || this.options.liveNewMarketRate <= 0 || t <= this.options.worldEnd) return this.F + this.M;
    const perSec = this.options.liveNewMarketRate / HOUR;
    let k = Math.max(0, Math.floor((t - this.options.worldEnd) * perSec) - 1);
    while (this.#liveMarketCreated(k) <= t) k++;
    this.#materialise(this.F + this.M + k);
    return this.F + this.M + k;
  }

  /** Number of events (all kinds) that exist at time `t`. */
  eventCount(t = this.clock.now()): number {
    return this.FE + this.E + (this.marketCount(t) - this.F - this.M);
  }

  #materialise(n: number): void {
    if (n <= this.#known) return;
    const f64 = (k: number) => new Float64Array(k);
    const i32 = (k: number) => new Int32Array(k);
    this.#createdAtC.ensure(n, f64);
    this.#endDateC.ensure(n, f64);
    this.#closeTimeC.ensure(n, f64);
    this.#histCountC.ensure(n, i32);
    this.#eventOfC.ensure(n, i32);
    this.#weightC.ensure(n, f64);
    for (let i = this.#known; i < n; i++) {
      const s = i - this.F;
      this.#initSynthetic(s, this.E + (s - this.M));
      this.#histCountC.data[i] = 0;
    }
    this.#known = n;
  }

  // ---- per-market numbers -------------------------------------------------------------------

  createdAt(m: number): number {
    return this.#createdAtC.data[m]!;
  }
  endDate(m: number): number {
    return this.#endDateC.data[m]!;
  }
  closeTime(m: number): number {
    return this.#closeTimeC.data[m]!;
  }
  isClosed(m: number, t = this.clock.now()): boolean {
    return this.#closeTimeC.data[m]! <= t;
  }
  /** Fills made up to the world end (live fills come after). */
  histCount(m: number): number {
    return this.#histCountC.data[m]!;
  }
  eventOf(m: number): number {
    return this.#eventOfC.data[m]!;
  }
  isFixture(m: number): boolean {
    return m < this.F;
  }
  /** Live fills per simulated second for market m. */
  liveRate(m: number): number {
    if (m < this.F) return 0;
    return this.#weightC.data[m]! * this.#liveRatePerWeight;
  }

  /** Markets of event `e`: [first, first + count). */
  eventMarkets(e: number): [number, number] {
    if (e < this.FE) {
      const f = this.fixtures.events[e]!;
      return [f.firstMarket, f.marketCount];
    }
    const se = e - this.FE;
    if (se < this.E) return [this.F + this.#eventStart[se]!, this.#eventStart[se + 1]! - this.#eventStart[se]!];
    return [this.F + this.M + (se - this.E), 1];
  }

  // ---- ids ----------------------------------------------------------------------------------

  marketId(m: number): number {
    if (m < this.F) return this.fixtures.markets[m]!.gammaId;
    const s = m - this.F;
    return MARKET_ID_BASE + s * 3 + (hash(this.seed, S.marketMisc, s, 9) % 3);
  }

  /** Market index of a Gamma id, or -1. */
  marketOfId(id: number): number {
    if (!Number.isSafeInteger(id)) return -1;
    if (id < MARKET_ID_BASE) return this.fixtures.byGammaId.get(id) ?? -1;
    const s = Math.floor((id - MARKET_ID_BASE) / 3);
    const m = this.F + s;
    if (m >= this.marketCount() || this.marketId(m) !== id) return -1;
    return m;
  }

  eventId(e: number): number {
    if (e < this.FE) return this.fixtures.events[e]!.id;
    const s = e - this.FE;
    return EVENT_ID_BASE + s * 2 + (hash(this.seed, S.eventMisc, s, 9) % 2);
  }

  eventOfId(id: number): number {
    if (!Number.isSafeInteger(id)) return -1;
    if (id < EVENT_ID_BASE) return this.fixtures.eventsById.get(id) ?? -1;
    const s = Math.floor((id - EVENT_ID_BASE) / 2);
    const e = this.FE + s;
    if (e >= this.eventCount() || this.eventId(e) !== id) return -1;
    return e;
  }

  conditionId(m: number): string {
    if (m < this.F) return this.fixtures.markets[m]!.conditionId;
    return this.ids.conditionId(m - this.F);
  }

  marketOfCondition(id: string): number {
    const f = this.fixtures.byCondition.get(id.toLowerCase());
    if (f !== undefined) return f;
    const s = this.ids.marketOfCondition(id);
    if (s < 0) return -1;
    const m = this.F + s;
    return m < this.marketCount() ? m : -1;
  }

  tokenId(m: number, o: number): string {
    if (m < this.F) return this.fixtures.markets[m]!.tokens[o]!;
    return this.ids.tokenId(m - this.F, o);
  }

  /** [market, outcome] of a token id, or null. */
  tokenOf(id: string): [number, number] | null {
    const f = this.fixtures.byToken.get(id);
    if (f) return f;
    const r = this.ids.tokenOf(id);
    if (!r) return null;
    const m = this.F + r[0];
    return m < this.marketCount() ? [m, r[1]] : null;
  }

  /** Market index from a slug we issued (`…-<gamma id>`), or -1. */
  marketOfQuestion(id: string): number {
    const f = this.fixtures.markets.findIndex((x) => x.view.questionId === id.toLowerCase());
    if (f >= 0) return f;
    const s = this.ids.marketOfQuestion(id);
    if (s < 0) return -1;
    const m = this.F + s;
    return m < this.marketCount() ? m : -1;
  }

  marketOfSlug(slug: string): number {
    const f = this.fixtures.bySlug.get(slug);
    if (f !== undefined) return f;
    const dash = slug.lastIndexOf('-');
    const m = this.marketOfId(Number(slug.slice(dash + 1)));
    return m >= 0 && this.market(m).slug === slug ? m : -1;
  }

  eventOfSlug(slug: string): number {
    const f = this.fixtures.eventsBySlug.get(slug);
    if (f !== undefined) return f;
    const dash = slug.lastIndexOf('-');
    const e = this.eventOfId(Number(slug.slice(dash + 1)));
    return e >= 0 && this.event(e).slug === slug ? e : -1;
  }

  // ---- views --------------------------------------------------------------------------------

  #text(e: number): EventText & { titleSlug: string } {
    let t = this.#textCache.get(e);
    if (!t) {
      const se = e - this.FE;
      const [, count] = this.eventMarkets(e);
      const base = eventText(this.seed, se, this.categoryOfEvent(e), this.#eventEndOf(e), count);
      t = { ...base, titleSlug: slugify(base.title) };
      if (this.#textCache.size > 4096) this.#textCache.clear();
      this.#textCache.set(e, t);
    }
    return t;
  }

  categoryOfEvent(e: number): Category {
    if (e < this.FE) return this.fixtures.events[e]!.category;
    return categoryOf(this.seed, e - this.FE);
  }

  #eventEndOf(e: number): number {
    const se = e - this.FE;
    if (se < this.E) return this.#eventEnd[se]!;
    const [first] = this.eventMarkets(e);
    return this.endDate(first);
  }

  market(m: number): MarketView {
    const cached = this.#viewCache.get(m);
    if (cached) return cached;
    const view = m < this.F ? this.#fixtureMarket(m) : this.#syntheticMarket(m);
    if (this.#viewCache.size >= 4096) this.#viewCache.delete(this.#viewCache.keys().next().value!);
    this.#viewCache.set(m, view);
    return view;
  }

  #fixtureMarket(m: number): MarketView {
    const f = this.fixtures.markets[m]!;
    return { ...f.view, index: m, fixture: f };
  }

  #syntheticMarket(m: number): MarketView {
    const s = m - this.F;
    const e = this.eventOf(m);
    const [first, count] = this.eventMarkets(e);
    const j = m - first;
    const text = this.#text(e);
    const id = this.marketId(m);
    const question = text.question(j);
    const cat = this.categoryOfEvent(e);
    const h = hash(this.seed, S.marketMisc, s, 2);
    const negRisk = count > 2;
    const winner = this.winnerOf(m);
    const image = `https://polymarket-upload.s3.us-east-2.amazonaws.com/${text.titleSlug.slice(0, 40)}-${(h >>> 8).toString(16)}.png`;
    return {
      index: m,
      id: String(id),
      conditionId: this.conditionId(m),
      questionId: this.ids.questionId(s),
      tokens: [this.tokenId(m, 0), this.tokenId(m, 1)],
      outcomes: text.outcomes(j),
      question,
      slug: `${slugify(question)}-${id}`,
      description: text.description,
      resolutionSource: text.resolutionSource,
      image,
      icon: image,
      groupItem: count > 1 ? text.groupItem(j) : '',
      event: e,
      category: cat,
      createdAt: this.createdAt(m),
      startDate: this.startDateOf(m),
      endDate: this.endDate(m),
      closeTime: this.closeTime(m),
      winner,
      enableOrderBook: this.enableOrderBookOf(m),
      negRisk,
      baseTick: this.baseTickOf(m),
      minOrderSize: h % 4 === 0 ? 15 : 5,
      sports: text.sports,
      gameStartTime: text.sports ? this.endDate(m) - 3 * HOUR : null,
      volume: this.volumeOf(m),
      liquidity: this.liquidityOf(m),
      tags: this.eventTags(e),
      fixture: null,
    };
  }

  /** Total traded volume (USDC) as Gamma reports it; cheap, for filters and sorting. */
  volumeOf(m: number): number {
    if (m < this.F) return this.fixtures.markets[m]!.view.volume;
    const s = m - this.F;
    const avgSize = 20 + (hash(this.seed, S.marketMisc, s, 2) % 200);
    const v = this.histCount(m) * avgSize * (0.3 + unit(this.seed, S.marketMisc, s, 3) * 0.4);
    return Math.round(v * 1e6) / 1e6;
  }

  /** Liquidity of an open market (Gamma shows 0 once closed). */
  liquidityOf(m: number): number {
    if (m < this.F) return this.fixtures.markets[m]!.view.liquidity;
    return Math.round(unit(this.seed, S.marketMisc, m - this.F, 4) * 50_000 * 1e4) / 1e4;
  }

  startDateOf(m: number): number {
    if (m < this.F) return this.fixtures.markets[m]!.view.startDate;
    return this.createdAt(m) + (hash(this.seed, S.marketMisc, m - this.F, 2) % 120);
  }

  /** Winning outcome (known from the start; shown once closed). In a neg-risk event exactly one market resolves Yes. */
  winnerOf(m: number): 0 | 1 | null {
    if (m < this.F) return this.fixtures.markets[m]!.view.winner;
    const e = this.eventOf(m);
    const [first, count] = this.eventMarkets(e);
    if (count > 2) return m - first === hash(this.seed, S.marketWinner, e) % count ? 0 : 1;
    return (hash(this.seed, S.marketWinner, m - this.F, 1) & 1) as 0 | 1;
  }

  enableOrderBookOf(m: number): boolean {
    if (m < this.F) return this.fixtures.markets[m]!.view.enableOrderBook;
    return this.createdAt(m) >= CLOB_ERA;
  }

  /** Tick size of the market as listed (0.01 or 0.001). */
  baseTickOf(m: number): number {
    if (m < this.F) return this.fixtures.markets[m]!.view.baseTick;
    return hash(this.seed, S.marketTick, m - this.F) % 10 === 0 ? 0.001 : 0.01;
  }

  tagsOf(m: number): readonly number[] {
    return m < this.F ? this.fixtures.markets[m]!.view.tags : this.eventTags(this.eventOf(m));
  }

  eventTags(e: number): readonly number[] {
    if (e < this.FE) return this.fixtures.events[e]!.tags;
    const cat = this.categoryOfEvent(e);
    const tags = tagCatalog.categoryTags[cat];
    const sub = tagCatalog.subTags[cat];
    const extra = sub.length > 0 ? [sub[hash(this.seed, S.eventMisc, e, 3) % sub.length]!] : [];
    return [...tags, ...extra];
  }

  event(e: number): EventView {
    const cached = this.#eventCache.get(e);
    if (cached) return cached;
    const view = e < this.FE ? { ...this.fixtures.events[e]!.view, index: e } : this.#syntheticEvent(e);
    if (this.#eventCache.size >= 4096) this.#eventCache.delete(this.#eventCache.keys().next().value!);
    this.#eventCache.set(e, view);
    return view;
  }

  #syntheticEvent(e: number): EventView {
    const [first, count] = this.eventMarkets(e);
    const text = this.#text(e);
    const id = this.eventId(e);
    const slug = `${text.titleSlug}-${id}`;
    const cat = this.categoryOfEvent(e);
    const m0 = this.market(first);
    const se = e - this.FE;
    return {
      index: e,
      id: String(id),
      slug,
      ticker: slug,
      title: text.title,
      description: text.description,
      resolutionSource: text.resolutionSource,
      category: cat,
      createdAt: se < this.E ? this.#eventCreated[se]! : this.createdAt(first),
      startDate: m0.startDate,
      endDate: this.#eventEndOf(e),
      firstMarket: first,
      marketCount: count,
      negRisk: count > 2,
      image: m0.image,
      icon: m0.icon,
      tags: this.eventTags(e),
      seriesSlug: this.seriesSlugOf(e),
      fixtureText: null,
    };
  }

  /** Slug of the series event e belongs to (sports events), without building the event's view. */
  seriesSlugOf(e: number): string | null {
    if (e < this.FE) return this.fixtures.events[e]!.view.seriesSlug;
    return tagCatalog.seriesFor(this.categoryOfEvent(e), hash(this.seed, S.eventMisc, e, 5))?.slug ?? null;
  }

  /** Event closed when all of its markets are. */
  isEventClosed(e: number, t = this.clock.now()): boolean {
    const [first, count] = this.eventMarkets(e);
    for (let m = first; m < first + count; m++) if (!this.isClosed(m, t)) return false;
    return true;
  }

  /** Sum of the event's market volumes. */
  eventVolume(e: number): number {
    const [first, count] = this.eventMarkets(e);
    let v = 0;
    for (let m = first; m < first + count; m++) v += this.volumeOf(m);
    return v;
  }
}

/** The CLOB went live in late 2022; earlier markets were AMM markets without a book. */
export const CLOB_ERA = Date.UTC(2022, 10, 1) / 1000;

function nextPrime(n: number): number {
  let p = Math.max(11, Math.floor(n));
  const isPrime = (x: number) => {
    if (x % 2 === 0) return false;
    for (let d = 3; d * d <= x; d += 2) if (x % d === 0) return false;
    return true;
  };
  while (!isPrime(p)) p++;
  return p;
}
