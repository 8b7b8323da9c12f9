/**
 * The market and event listings: the CLOB market list (cursor paging to the `LTE=` end marker)
 * and Gamma's markets and events (keyset routes where served, offset routes otherwise), each
 * once for open and once for closed ones since Gamma hides closed markets by default. Every page
 * is published (when its mode is selected), feeds the discovery of trade and price units, and
 * moves the listing's cursor, in that order.
 */
import { createHash } from 'node:crypto';
import { toRawClobMarket, toRawGammaEvent, toRawGammaMarket } from '../../../schemas/raw/index.ts';
import type { IngestContext, RawTopic } from '../../context.ts';
import { type ApiRequest, endpointId, paramsText } from '../../http/apis.ts';
import { clobMarketKey, gammaEventKey, gammaMarketKey } from '../../keys.ts';
import type { FetcherName } from '../../metrics.ts';
import { type Cursor, cursorKey } from '../../records/cursors.ts';
import type { ControlRecord, PageItem } from '../../records/publisher.ts';
import { CLOB_END_CURSOR, type CursorPageResult, type CursorState, initialOffsetState, type OffsetKnowledge, type OffsetPageResult, walkCursor, walkOffset } from '../paging.ts';
import { type ClobMarketJson, clobMarketsPage, type GammaMarketJson, gammaEventsKeysetPage, gammaEventsPage, gammaMarketsKeysetPage, gammaMarketsPage } from '../shapes.ts';
import { readDetail, refusal, unitStatus } from '../units.ts';
import { fromClob, fromGamma, type MarketInfo } from './catalog.ts';
import type { Discovered, Discovery } from './discovery.ts';

export const CLOB_MARKETS_ENDPOINT = 'clob:/markets';
export const GAMMA_MARKETS_ENDPOINT = 'gamma:/markets';
export const GAMMA_EVENTS_ENDPOINT = 'gamma:/events';

type Route = 'keyset' | 'offset';

interface ListingSpec {
  fetcher: FetcherName;
  endpoint: string;
  scope: string;
  topic: RawTopic;
  toRaw: (api: unknown) => unknown;
  key: (row: Record<string, unknown>) => string;
  /** Whether pages are published (the mode is selected) or only used for discovery. */
  publish: boolean;
  discover?: (rows: Record<string, unknown>[]) => MarketInfo[];
  /** What of a page is published (all of it when absent). */
  narrow?: (rows: Record<string, unknown>[]) => Record<string, unknown>[];
}

interface Page {
  rows: Record<string, unknown>[];
  request: ApiRequest;
  fetchedAt: number;
}

export interface ListingsOptions {
  /** Walk from the start even where this generation already finished (follow-mode relists). */
  force?: boolean;
  /** Publish only records whose content changed since this process last published them. */
  onlyChanged?: boolean;
  /** Digests of what was published already (shared with an earlier Listings of the same process). */
  digests?: Map<string, string>;
}

export class Listings {
  readonly #ctx: IngestContext;
  readonly #discovery: Discovery | undefined;
  readonly #options: ListingsOptions;
  /** Digest of the last published content per record, for `onlyChanged`. */
  readonly digests: Map<string, string>;
  readonly #gammaRoute = new Map<string, Route>();
  readonly #offsetKnowledge = new Map<string, OffsetKnowledge>();
  /** Per listing cursor: rows read by this run but left out (--limit), so its count says what was taken. */
  readonly #leftOut = new Map<string, number>();

  constructor(ctx: IngestContext, discovery: Discovery | undefined, options: ListingsOptions = {}) {
    this.#ctx = ctx;
    this.#discovery = discovery;
    this.#options = options;
    this.digests = options.digests ?? new Map();
  }

  #status(endpoint: string, scope: string) {
    return this.#options.force ? 'new' : unitStatus(this.#ctx.cursors.get(endpoint, scope), this.#ctx.generation);
  }

  /** The CLOB market list, to its end marker. */
  clobMarkets(publish: boolean): Promise<void> {
    const spec: ListingSpec = {
      fetcher: 'markets',
      endpoint: CLOB_MARKETS_ENDPOINT,
      scope: '',
      topic: 'rawClobMarkets',
      toRaw: toRawClobMarket,
      key: (r) => clobMarketKey(r as ClobMarketJson),
      publish,
      discover: (rows) => rows.map((r) => fromClob(r as ClobMarketJson)),
    };
    return this.#unit(spec, () => this.#walkClob(spec));
  }

  /** Gamma markets, open or closed ones. */
  gammaMarkets(closed: boolean, publish: boolean): Promise<void> {
    const spec: ListingSpec = {
      fetcher: 'markets',
      endpoint: GAMMA_MARKETS_ENDPOINT,
      scope: `closed=${closed}`,
      topic: 'rawGammaMarkets',
      toRaw: toRawGammaMarket,
      key: (r) => gammaMarketKey(r as { id: string }),
      publish,
      discover: (rows) => rows.map((r) => fromGamma(r as GammaMarketJson)).filter((m): m is MarketInfo => m !== undefined),
    };
    return this.#unit(spec, () => this.#walkGamma(spec, '/markets', closed));
  }

  /** Gamma events, open or closed ones; with `taken`, only the events of those markets (see eventsOf). */
  gammaEvents(closed: boolean, taken?: (conditionId: string) => boolean): Promise<void> {
    const spec: ListingSpec = {
      fetcher: 'events',
      endpoint: GAMMA_EVENTS_ENDPOINT,
      scope: `closed=${closed}`,
      topic: 'rawGammaEvents',
      toRaw: toRawGammaEvent,
      key: (r) => gammaEventKey(r as { id: string }),
      publish: true,
      narrow: taken ? (rows) => eventsOf(rows, taken) : undefined,
    };
    return this.#unit(spec, () => this.#walkGamma(spec, '/events', closed));
  }

  async #unit(spec: ListingSpec, walk: () => Promise<void>): Promise<void> {
    this.#ctx.metrics.task(spec.fetcher, 'pages');
    await this.#ctx.runUnit({ fetcher: spec.fetcher, endpoint: spec.endpoint, scope: spec.scope }, walk);
  }

  async #walkClob(spec: ListingSpec): Promise<void> {
    const ctx = this.#ctx;
    const stored = ctx.cursors.get(spec.endpoint, spec.scope);
    const status = this.#status(spec.endpoint, spec.scope);
    if (status === 'done') return;
    const state: CursorState =
      status === 'resume' && stored ? { cursor: stored.cursor ?? undefined, pages: stored.page ?? 0, records: stored.records, complete: false } : { pages: 0, records: 0, complete: false };
    let page: Page | undefined;
    const fetchPage = async (cursor: string | undefined): Promise<CursorPageResult<Record<string, unknown>>> => {
      const request: ApiRequest = { api: 'clob', endpoint: '/markets', params: cursor === undefined ? {} : { next_cursor: cursor } };
      try {
        const res = await ctx.caller.call(request, clobMarketsPage);
        page = { rows: res.value.data, request, fetchedAt: res.fetchedAt };
        return { kind: 'page', page: { rows: res.value.data, next: res.value.next_cursor } };
      } catch (err) {
        const r = refusal(err);
        if (r?.status === 400 && /greater than or equal to 0/i.test(r.message)) return { kind: 'past-end' };
        throw err;
      }
    };
    for await (const step of walkCursor(state, fetchPage, CLOB_END_CURSOR)) {
      const limited = this.#discovery?.full ?? false;
      const s = { ...step.state, complete: step.state.complete || limited };
      const cursor = ctx.cursorRecord({
        ...ctx.cursorOf(spec.endpoint, spec.scope),
        cursor: s.cursor ?? null,
        page: s.pages,
        records: s.records,
        complete: s.complete,
        detail: JSON.stringify({ gen: ctx.generation }),
      });
      await this.#publish(spec, step.rows.length > 0 ? page : undefined, cursor);
      if (limited) return;
    }
  }

  async #walkGamma(spec: ListingSpec, route: '/markets' | '/events', closed: boolean): Promise<void> {
    const ctx = this.#ctx;
    const stored = ctx.cursors.get(spec.endpoint, spec.scope);
    const status = this.#status(spec.endpoint, spec.scope);
    if (status === 'done') return;
    const resumeRoute = status === 'resume' ? (readDetail(stored).route as Route | undefined) : undefined;
    let how: Route = resumeRoute ?? this.#gammaRoute.get(route) ?? 'keyset';
    if (how === 'keyset') {
      const served = await this.#walkGammaKeyset(spec, route, closed, status === 'resume' && resumeRoute === 'keyset');
      if (served) return;
      how = 'offset';
    }
    await this.#walkGammaOffset(spec, route, closed, status === 'resume' && resumeRoute === 'offset');
  }

  /** Returns false when the keyset route is not served (404), so the caller falls back to offsets. */
  async #walkGammaKeyset(spec: ListingSpec, route: '/markets' | '/events', closed: boolean, resume: boolean): Promise<boolean> {
    const ctx = this.#ctx;
    const stored = ctx.cursors.get(spec.endpoint, spec.scope);
    const state: CursorState = resume && stored ? { cursor: stored.cursor ?? undefined, pages: stored.page ?? 0, records: stored.records, complete: false } : { pages: 0, records: 0, complete: false };
    const endpoint = `${route}/keyset`;
    const shape = route === '/markets' ? gammaMarketsKeysetPage : gammaEventsKeysetPage;
    let page: Page | undefined;
    let notServed = false;
    const fetchPage = async (cursor: string | undefined): Promise<CursorPageResult<Record<string, unknown>>> => {
      const params = { limit: ctx.settings.listPageSize, closed, ...(route === '/markets' ? { include_tag: true } : {}), after_cursor: cursor };
      const request: ApiRequest = { api: 'gamma', endpoint, params };
      try {
        const res = await ctx.caller.call(request, shape);
        const v = res.value as { markets?: Record<string, unknown>[]; events?: Record<string, unknown>[]; next_cursor?: string | null };
        const rows = (route === '/markets' ? v.markets : v.events) ?? [];
        page = { rows, request, fetchedAt: res.fetchedAt };
        return { kind: 'page', page: { rows, next: v.next_cursor } };
      } catch (err) {
        const r = refusal(err);
        if (r?.status === 404 && state.pages === 0) {
          notServed = true;
          return { kind: 'past-end' };
        }
        throw err;
      }
    };
    for await (const step of walkCursor(state, fetchPage)) {
      if (notServed) {
        this.#gammaRoute.set(route, 'offset');
        ctx.logger.info('Gamma keyset route not served; paging by offset', { endpoint: endpointId('gamma', endpoint) });
        return false;
      }
      this.#gammaRoute.set(route, 'keyset');
      const limited = spec.discover !== undefined && (this.#discovery?.full ?? false);
      const complete = step.state.complete || limited;
      const cursor = ctx.cursorRecord({
        ...ctx.cursorOf(spec.endpoint, spec.scope),
        cursor: step.state.cursor ?? null,
        offset: null,
        page: step.state.pages,
        records: step.state.records,
        complete,
        detail: JSON.stringify({ gen: ctx.generation, route: 'keyset' }),
      });
      await this.#publish(spec, step.rows.length > 0 ? page : undefined, cursor);
      if (limited) return true;
    }
    return true;
  }

  async #walkGammaOffset(spec: ListingSpec, route: '/markets' | '/events', closed: boolean, resume: boolean): Promise<void> {
    const ctx = this.#ctx;
    const stored = ctx.cursors.get(spec.endpoint, spec.scope);
    const state = resume && stored ? { offset: stored.offset ?? 0, pages: stored.page ?? 0, records: stored.records, complete: false, capped: false } : initialOffsetState();
    const knowledge = this.#offsetKnowledge.get(route) ?? { honouredLimit: 0 };
    this.#offsetKnowledge.set(route, knowledge);
    const shape = route === '/markets' ? gammaMarketsPage : gammaEventsPage;
    let page: Page | undefined;
    const fetchPage = async (offset: number, limit: number): Promise<OffsetPageResult<Record<string, unknown>>> => {
      const params = { limit, offset, closed, ...(route === '/markets' ? { include_tag: true } : {}) };
      const request: ApiRequest = { api: 'gamma', endpoint: route, params };
      try {
        const res = await ctx.caller.call(request, shape);
        page = { rows: res.value as Record<string, unknown>[], request, fetchedAt: res.fetchedAt };
        return { kind: 'rows', rows: page.rows };
      } catch (err) {
        const r = refusal(err);
        if (r && (r.status === 422 || r.status === 400) && /offset/i.test(r.message)) return { kind: 'offset-refused', message: r.message };
        throw err;
      }
    };
    for await (const step of walkOffset(state, fetchPage, knowledge, ctx.settings.listPageSize, (row) => spec.key(row))) {
      const limited = spec.discover !== undefined && (this.#discovery?.full ?? false);
      const control: ControlRecord[] = [
        ctx.cursorRecord({
          ...ctx.cursorOf(spec.endpoint, spec.scope),
          cursor: null,
          offset: step.state.offset,
          page: step.state.pages,
          records: step.state.records,
          complete: step.state.complete || limited,
          detail: JSON.stringify({ gen: ctx.generation, route: 'offset' }),
        }),
      ];
      if (step.state.capped) {
        control.push(
          ctx.gapRecord(spec.fetcher, {
            endpoint: spec.endpoint,
            market: null,
            token: null,
            start: null,
            end: null,
            reason: 'offset-cap',
            detail: `${spec.scope} listing stops at offset ${step.offset} (${step.capMessage ?? 'refused'}) and no keyset route is served`,
          }),
        );
      }
      await this.#publish(spec, step.rows.length > 0 ? page : undefined, ...control);
      if (limited) return;
    }
  }

  /** Publishes a listing page (if selected), the cursors of units it revealed, then the listing cursor. */
  async #publish(spec: ListingSpec, page: Page | undefined, ...control: ControlRecord[]): Promise<void> {
    const ctx = this.#ctx;
    const discovery = this.#discovery;
    let rows = page?.rows ?? [];
    const read = rows.length;
    let found: Discovered = { accepted: new Set(), control: [], trades: [], prices: [] };
    if (spec.discover && discovery && rows.length > 0) {
      found = discovery.add(spec.discover(rows));
      const accepted = found.accepted;
      // Under --limit, records of markets past the limit are not published either.
      rows = rows.filter((r) => {
        const id = (r as { condition_id?: string; conditionId?: string }).condition_id ?? (r as { conditionId?: string }).conditionId;
        return id === undefined || accepted.has(id);
      });
    }
    if (spec.narrow) rows = spec.narrow(rows);
    const own = cursorKey(spec.endpoint, spec.scope);
    const leftOut = (this.#leftOut.get(own) ?? 0) + read - rows.length;
    this.#leftOut.set(own, leftOut);
    if (leftOut > 0) {
      // The walk counts every row it reads; the cursor keeps that count less the rows left out.
      control = control.map((c) => (c.key === own ? ctx.cursorRecord({ ...(c.value as Cursor), records: (c.value as Cursor).records - leftOut }) : c));
    }
    let items: PageItem[] = spec.publish ? rows.map((r) => ({ key: spec.key(r), api: r })) : [];
    items = items.filter((item) => {
      const digest = createHash('md5').update(JSON.stringify(item.api)).digest('base64');
      const id = `${spec.topic}|${item.key}`;
      const unchanged = this.digests.get(id) === digest;
      this.digests.set(id, digest);
      return !(unchanged && this.#options.onlyChanged);
    });
    const res = await ctx.publisher.page({
      encoder: ctx.enc[spec.topic],
      toRaw: spec.toRaw,
      items,
      source: page
        ? { endpoint: endpointId(page.request.api, page.request.endpoint), params: paramsText(page.request.params), fetchedAt: page.fetchedAt }
        : { endpoint: spec.endpoint, params: '{}', fetchedAt: Date.now() },
      control: [...found.control, ...control],
    });
    ctx.metrics.published(spec.fetcher, ctx.enc[spec.topic].topic, res.published);
    if (res.deadLettered) ctx.metrics.deadLettered(spec.fetcher, 'schema-mismatch', res.deadLettered);
    ctx.metrics.task(spec.fetcher, 'pages')?.advance();
    if (discovery) discovery.enqueue(found);
  }
}

/**
 * Under --limit: the events holding a market taken, each listing only the markets taken. An event
 * comes whole from the API, and every market it lists would reach Silver as a bridge row and a
 * MarketDim row with nothing but its key; the run is meant to hold the markets it took and no other.
 */
export function eventsOf(rows: Record<string, unknown>[], taken: (conditionId: string) => boolean): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const event of rows) {
    const markets = Array.isArray(event.markets) ? (event.markets as unknown[]) : [];
    const kept = markets.filter((m) => {
      const id = typeof m === 'object' && m !== null ? (m as { conditionId?: unknown }).conditionId : undefined;
      return typeof id === 'string' && taken(id);
    });
    if (kept.length > 0) out.push({ ...event, markets: kept });
  }
  return out;
}
