/**
 * The trade history of one market at a time, maker rows included (`takerOnly=false`), each row
 * labelled with the side of the fill it is (taker or maker).
 *
 * Feeds: the Data API v2 keyset feed where it is served (no offset cap), else v1 pages walked by
 * the window-splitting walk (walk.ts). Which one is learned from the API (a 404 on /v2/trades).
 * After a v1 walk of several pages, one more pass over its newest second onwards picks up rows
 * that arrived at the head while it was paging.
 *
 * Roles: the rows of a page are labelled by asking the same span once more for taker rows only
 * (start and end at the page's oldest and newest second): a row in that answer is the taker's,
 * any other row of the span the maker's. Where the API cannot answer that (it ignores time
 * windows) the label is left out and downstream reads it as unknown.
 *
 * A market's walk resumes from its cursor; a market finished in an earlier run gets an
 * incremental pass from its newest second, unless it had closed before that.
 */
import type { z } from 'zod';
import { toRawTrade } from '../../../schemas/raw/index.ts';
import { rawTradeFields } from '../../../schemas/raw/types.ts';
import type { IngestContext } from '../../context.ts';
import { paramsText } from '../../http/apis.ts';
import { tradeKey } from '../../keys.ts';
import { forEachAhead } from '../../pipeline/ahead.ts';
import { type FetchTrigger, HEADERS } from '../../records/headers.ts';
import type { ControlRecord } from '../../records/publisher.ts';
import { TRADES_ENDPOINT, type TradeUnit } from '../markets/discovery.ts';
import { type TradeRowJson, tradesPage, type V2TradeRowJson, v2TradesPage } from '../shapes.ts';
import { capFromMessage, type Detail, readDetail, refusal, unitStatus } from '../units.ts';
import { type Role, TakerListing, type TakerPage } from './takers.ts';
import { initialV2State, type V2Page, type V2PageRequest, type V2WalkState, walkTradesV2 } from './v2-walk.ts';
import { type EndpointKnowledge, initialWalkState, newKnowledge, type TradeGap, type TradePageRequest, type TradePageResult, type TradeRow, type TradeWalkState, walkTrades } from './walk.ts';

const ROLE_HEADERS: Record<Role, Record<string, string>> = { taker: { [HEADERS.fillRole]: 'taker' }, maker: { [HEADERS.fillRole]: 'maker' } };

/** Rows of a closed market can still appear this long after its close (indexing lag). */
const CLOSED_SLACK_MS = 86_400_000;

/** Keys kept per list in a stored cursor (a hot second beyond this only risks a duplicate). */
const MAX_STORED_KEYS = 5_000;

type Feed = 'v1' | 'v2';

interface TradeDetail extends Detail {
  feed?: Feed;
  /** v1 only: "head" is the pass over the newest second after a multi-page walk. */
  phase?: 'main' | 'head';
  walk?: TradeWalkState | V2WalkState;
  newestKeys?: string[];
  /** Newest second read over all walks of this market; `newestKeys` are the rows of that second. */
  newestTs?: number;
  /** Unix seconds: every row up to here has been read (the end of the last completed walk). */
  readUpTo?: number;
  closedMs?: number | null;
  /** Unix ms the market started trading (as listed), where known: no trade is older. */
  startMs?: number | null;
}

interface Step {
  /** The feed that served this step (a v2 walk falls back to v1 where v2 is not served). */
  feed: Feed;
  rows: TradeRow[];
  gap?: TradeGap;
  /** The cursor fields and detail after this step. */
  cursor: { offset: number | null; cursor: string | null; windowStart: number; windowEnd: number; newest?: number; oldest?: number; complete: boolean; records: number; pages: number };
  walk: TradeWalkState | V2WalkState;
  params: string;
  fetchedAt: number;
}

export class TradesFetcher {
  readonly #ctx: IngestContext;
  readonly knowledge: EndpointKnowledge = newKnowledge();
  #feed: Feed | undefined;
  readonly #takerListings = new Map<string, TakerListing>();

  constructor(ctx: IngestContext) {
    this.#ctx = ctx;
    if (ctx.settings.tradesFeed === 'v1') this.#feed = 'v1';
  }

  /** The feed in use, once known. */
  get feed(): Feed | undefined {
    return this.#feed;
  }

  /** Backfills (or resumes, or incrementally extends to `until`) one market's trades. */
  run(unit: TradeUnit, until?: number): Promise<'complete' | 'stopped' | 'failed'> {
    return this.#ctx.runUnit({ fetcher: 'trades', endpoint: TRADES_ENDPOINT, scope: unit.conditionId }, async () => {
      try {
        await this.#market(unit.conditionId, until, unit.trigger);
      } finally {
        this.#takerListings.delete(unit.conditionId);
      }
    });
  }

  /** The market's taker-only listing (where windows are ignored), read as far as labels need. */
  #takerListing(conditionId: string): TakerListing {
    let listing = this.#takerListings.get(conditionId);
    if (!listing) {
      const fetch = async (offset: number, limit: number): Promise<TakerPage> => {
        const params = { market: conditionId, takerOnly: true, limit, offset };
        try {
          const page = (await this.#ctx.caller.call({ api: 'data', endpoint: '/trades', params }, tradesPage)).value;
          return { kind: 'rows', rows: page.map((row) => ({ key: tradeKey(row), ts: row.timestamp })) };
        } catch (err) {
          const r = refusal(err);
          if (r && r.status === 400 && /offset/i.test(r.message)) return { kind: 'offset-refused' };
          throw err;
        }
      };
      listing = new TakerListing(fetch, this.knowledge, this.#ctx.settings.tradesPageSize);
      this.#takerListings.set(conditionId, listing);
    }
    return listing;
  }

  /**
   * The gap record of history the walk could not reach. Where windows are ignored the taker-only
   * listing, which reaches twice as deep, tells when the market's first trade was and how many
   * rows are missing; else the gap starts where the market started trading, as far as known.
   */
  async #gap(conditionId: string, gap: TradeGap, feed: Feed, walk: TradeWalkState | V2WalkState, detail: TradeDetail): Promise<ControlRecord> {
    let start: number | null = gap.start > 1 ? gap.start * 1000 : null;
    let recordsMissing: number | null = null;
    const known = typeof detail.startMs === 'number' ? detail.startMs : undefined;
    if (known !== undefined) start = Math.max(start ?? 0, Math.floor(known / 1000) * 1000);
    if (gap.reason === 'offset-cap' && feed === 'v1' && this.knowledge.windows === 'ignored') {
      const w = walk as TradeWalkState;
      const readAtEnd = w.oldest === gap.end ? w.oldestKeys.length : 0;
      const history = await this.#takerListing(conditionId).history(gap.end, readAtEnd);
      if (history) {
        start = Math.max(gap.start, history.firstTrade) * 1000;
        recordsMissing = history.rowsBefore;
      }
    }
    return this.#ctx.gapRecord('trades', {
      endpoint: TRADES_ENDPOINT,
      market: conditionId,
      token: null,
      start,
      end: gap.end * 1000 + 999,
      reason: gap.reason,
      detail: gap.detail,
      recordsMissing,
    });
  }

  async #market(conditionId: string, until?: number, trigger?: FetchTrigger): Promise<void> {
    const ctx = this.#ctx;
    const stored = ctx.cursors.get(TRADES_ENDPOINT, conditionId);
    const status = unitStatus(stored, ctx.generation);
    let detail = readDetail(stored) as TradeDetail;
    if (status === 'done' && until === undefined) return;
    const end = Math.floor(until ?? Math.min(ctx.settings.until ?? Number.POSITIVE_INFINITY, ctx.horizon));

    if (status === 'resume' && detail.walk) {
      detail = await this.#walk(conditionId, detail.feed ?? 'v1', detail.walk, detail, trigger);
    } else {
      let start = ctx.settings.since ?? 1;
      let skip: string[] = [];
      if (stored?.complete) {
        const hwm = stored.lastTimestamp === null ? undefined : Math.floor(stored.lastTimestamp / 1000);
        const closedMs = typeof detail.closedMs === 'number' ? detail.closedMs : undefined;
        const readUpTo = (detail.readUpTo ?? 0) * 1000;
        // A market that had closed (a day's slack for late rows) before the last walk's end has no newer trades.
        if ((closedMs !== undefined && closedMs + CLOSED_SLACK_MS <= readUpTo) || (hwm !== undefined && hwm >= end)) {
          await ctx.publisher.control([ctx.cursorRecord({ ...stored, detail: JSON.stringify({ ...detail, gen: ctx.generation }) })]);
          return;
        }
        if (hwm !== undefined) {
          start = hwm;
          skip = detail.newestKeys ?? [];
        }
      }
      const feed = this.#feed ?? 'v2';
      const walk = feed === 'v2' ? initialV2State(start, end, skip) : initialWalkState(start, end, skip);
      detail = await this.#walk(conditionId, feed, walk, { ...detail, phase: 'main' }, trigger);
    }
    const last = detail.walk as TradeWalkState | undefined;
    if (detail.feed === 'v1' && detail.phase !== 'head' && last?.complete && last.pages > 1 && last.newest !== undefined && !ctx.stop.aborted) {
      const head = initialWalkState(last.newest, last.initialEnd, detail.newestKeys ?? []);
      await this.#walk(conditionId, 'v1', head, { ...detail, phase: 'head' }, trigger);
    }
  }

  /** Runs one walk to its end, publishing each page with its cursor; returns the final detail (with the last walk state). */
  async #walk(conditionId: string, feed: Feed, walk: TradeWalkState | V2WalkState, detail: TradeDetail, trigger?: FetchTrigger): Promise<TradeDetail> {
    const ctx = this.#ctx;
    let current: TradeDetail = { ...detail, feed };
    let last: TradeWalkState | V2WalkState = walk;
    let steps: AsyncGenerator<Step>;
    if (feed === 'v2') {
      steps = this.#v2Steps(conditionId, walk as V2WalkState);
    } else {
      steps = this.#v1Steps(conditionId, walk as TradeWalkState);
    }
    // The next page is fetched while this one is labelled and published.
    await forEachAhead(steps, async (step) => {
      const control: ControlRecord[] = [];
      if (step.gap) control.push(await this.#gap(conditionId, step.gap, step.feed, step.walk, current));
      const roles = step.rows.length > 0 && ctx.settings.fillRoles ? await this.#roles(conditionId, step.rows, step.feed, step.fetchedAt) : undefined;
      current = nextDetail({ ...current, feed: step.feed }, step.walk, ctx.generation);
      last = step.walk;
      const stored = ctx.cursorOf(TRADES_ENDPOINT, conditionId);
      control.push(
        ctx.cursorRecord({
          ...stored,
          offset: step.cursor.offset,
          cursor: step.cursor.cursor,
          page: step.cursor.pages,
          windowStart: step.cursor.windowStart * 1000,
          windowEnd: step.cursor.windowEnd * 1000,
          lastTimestamp: step.cursor.newest !== undefined ? Math.max(step.cursor.newest * 1000, stored.lastTimestamp ?? 0) : stored.lastTimestamp,
          oldestTimestamp: step.cursor.oldest !== undefined ? Math.min(step.cursor.oldest * 1000, stored.oldestTimestamp ?? Number.POSITIVE_INFINITY) : stored.oldestTimestamp,
          complete: step.cursor.complete,
          records: stored.records + step.rows.length,
          detail: JSON.stringify(current),
        }),
      );
      const res = await ctx.publisher.page({
        encoder: ctx.enc.rawTrades,
        toRaw: toRawTrade,
        items: step.rows.map((r) => ({ key: r.key, api: r.raw, headers: withTrigger(roleHeaders(roles?.get(r.key)), trigger) })),
        source: { endpoint: TRADES_ENDPOINT, params: step.params, fetchedAt: step.fetchedAt },
        control,
      });
      ctx.metrics.published('trades', ctx.enc.rawTrades.topic, res.published);
      if (res.deadLettered) ctx.metrics.deadLettered('trades', 'schema-mismatch', res.deadLettered);
    });
    return { ...current, walk: last as TradeWalkState };
  }

  async *#v1Steps(conditionId: string, walk: TradeWalkState): AsyncGenerator<Step> {
    const ctx = this.#ctx;
    let params = '';
    let fetchedAt = Date.now();
    const fetchPage = async (req: TradePageRequest): Promise<TradePageResult> => {
      const query = { market: conditionId, takerOnly: false, limit: req.limit, offset: req.offset, start: req.start, end: req.end };
      params = paramsText(query);
      try {
        const res = await ctx.caller.call({ api: 'data', endpoint: '/trades', params: query }, tradesPage);
        fetchedAt = res.fetchedAt;
        return { kind: 'rows', rows: res.value.map(v1Row) };
      } catch (err) {
        const r = refusal(err);
        if (r && r.status === 400 && /offset/i.test(r.message)) return { kind: 'offset-refused', maxOffset: capFromMessage(r.message), message: r.message };
        throw err;
      }
    };
    for await (const step of walkTrades({ ...walk, lastPageKeys: [] }, fetchPage, this.knowledge, ctx.settings.tradesPageSize)) {
      const s = step.state;
      yield {
        feed: 'v1',
        rows: step.rows,
        gap: step.gap,
        walk: s,
        params,
        fetchedAt,
        cursor: { offset: s.offset, cursor: null, windowStart: s.start, windowEnd: s.end, newest: s.newest, oldest: s.oldest, complete: s.complete, records: s.records, pages: s.pages },
      };
    }
  }

  async *#v2Steps(conditionId: string, walk: V2WalkState): AsyncGenerator<Step> {
    const ctx = this.#ctx;
    let params = '';
    let fetchedAt = Date.now();
    let notServed = false;
    const fetchPage = async (req: V2PageRequest): Promise<V2Page> => {
      const query = { market: conditionId, taker_only: false, limit: req.limit, start: req.start, end: req.end, cursor: req.cursor };
      params = paramsText(query);
      try {
        const res = await ctx.caller.call({ api: 'data', endpoint: '/v2/trades', params: query }, v2TradesPage);
        fetchedAt = res.fetchedAt;
        this.#feed = 'v2';
        return { rows: res.value.data.map(v2Row), next: res.value.pagination.next_cursor ?? null, hasMore: res.value.pagination.has_more ?? Boolean(res.value.pagination.next_cursor) };
      } catch (err) {
        const r = refusal(err);
        if (r?.status === 404 && this.#feed !== 'v2') {
          notServed = true;
          return { rows: [], next: null, hasMore: false };
        }
        throw err;
      }
    };
    for await (const step of walkTradesV2(walk, fetchPage, ctx.settings.tradesV2PageSize)) {
      if (notServed) {
        this.#feed = 'v1';
        ctx.logger.info('the v2 trade feed is not served; walking v1 pages by time window', { market: conditionId });
        yield* this.#v1Steps(conditionId, initialWalkState(walk.start, walk.end, walk.skipKeys));
        return;
      }
      const s = step.state;
      yield {
        feed: 'v2',
        rows: step.rows,
        walk: s,
        params,
        fetchedAt,
        cursor: { offset: null, cursor: s.cursor ?? null, windowStart: s.start, windowEnd: s.end, newest: s.newest, oldest: s.oldest, complete: s.complete, records: s.records, pages: s.pages },
      };
    }
  }

  /** Keys of the v2 taker rows in [lo, hi], or undefined when /v2/trades is not served. */
  async #v2TakerKeys(conditionId: string, lo: number, hi: number): Promise<Set<string> | undefined> {
    const keys = new Set<string>();
    let cursor: string | undefined;
    for (;;) {
      const params = { market: conditionId, taker_only: true, limit: this.#ctx.settings.tradesV2PageSize, start: lo, end: hi, cursor };
      let res: z.infer<typeof v2TradesPage>;
      try {
        res = (await this.#ctx.caller.call({ api: 'data', endpoint: '/v2/trades', params }, v2TradesPage)).value;
      } catch (err) {
        if (refusal(err)?.status === 404) {
          this.#feed = 'v1';
          return undefined;
        }
        throw err;
      }
      for (const row of res.data) keys.add(v2Key(row));
      const next = res.pagination.next_cursor;
      if (!res.pagination.has_more || !next || res.data.length === 0) return keys;
      cursor = next;
    }
  }

  /**
   * The role of each row of a page that can be told: where windows are honoured, by asking the
   * page's span once more for taker rows only; where they are ignored, from the market's taker-only
   * listing. Rows absent from the answer are read downstream as of unknown role.
   */
  async #roles(conditionId: string, rows: TradeRow[], feed: Feed, fetchedAt: number): Promise<Map<string, Role> | undefined> {
    if (feed === 'v1' && this.knowledge.windows === 'ignored') return this.#takerListing(conditionId).roles(rows, fetchedAt);
    const takers = await this.#takerKeys(conditionId, rows, feed);
    if (takers === 'windows-ignored') return this.#takerListing(conditionId).roles(rows, fetchedAt);
    if (!takers) return undefined;
    return new Map(rows.map((r) => [r.key, takers.has(r.key) ? 'taker' : 'maker']));
  }

  /**
   * Keys of the taker rows in the span of `rows` (asked with takerOnly), `windows-ignored` when the
   * answer shows the API ignores the span, or undefined when the span is deeper than its offset cap.
   */
  async #takerKeys(conditionId: string, rows: TradeRow[], feed: Feed): Promise<Set<string> | 'windows-ignored' | undefined> {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const r of rows) {
      if (r.ts < lo) lo = r.ts;
      if (r.ts > hi) hi = r.ts;
    }
    const keys = new Set<string>();
    const caller = this.#ctx.caller;
    if (feed === 'v2') {
      const v2 = await this.#v2TakerKeys(conditionId, lo, hi);
      if (v2) return v2;
      // The v2 feed served the rows but no longer answers (404): the v1 listing labels them.
    }
    const limit = this.#ctx.settings.tradesPageSize;
    let previous = new Set<string>();
    for (let offset = 0; ; ) {
      if (this.knowledge.maxOffset !== undefined && offset > this.knowledge.maxOffset) return undefined;
      const params = { market: conditionId, takerOnly: true, limit, offset, start: lo, end: hi + (this.knowledge.endExclusive ? 1 : 0) };
      let page: TradeRowJson[];
      try {
        page = (await caller.call({ api: 'data', endpoint: '/trades', params }, tradesPage)).value;
      } catch (err) {
        const r = refusal(err);
        if (r && r.status === 400 && /offset/i.test(r.message)) return undefined;
        throw err;
      }
      const pageKeys = new Set<string>();
      let repeats = 0;
      for (const row of page) {
        if (row.timestamp < lo || row.timestamp > hi) {
          this.knowledge.windows = 'ignored';
          return 'windows-ignored';
        }
        const key = tradeKey(row);
        if (previous.has(key)) repeats++;
        pageKeys.add(key);
        keys.add(key);
      }
      if (page.length === 0 || page.length < Math.min(limit, this.knowledge.honouredLimit || limit)) return keys;
      if (repeats === page.length) return undefined;
      offset += page.length - repeats;
      previous = pageKeys;
    }
  }
}

function v1Row(raw: TradeRowJson): TradeRow {
  return { key: tradeKey(raw), ts: raw.timestamp, raw };
}

/**
 * v2 names of the v1 fields of the raw trade schema: snake_case, and `asset` is `token_id`. Other
 * v2 keys keep their names (and go to `extra`).
 */
const V2_KNOWN = new Set(rawTradeFields.filter((f) => f !== 'extra').map((f) => (f === 'asset' ? 'token_id' : f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))));

/** The fill key of a v2 row (the same as its v1 row's), without building the v1 object. */
function v2Key(r: V2TradeRowJson): string {
  return tradeKey({ transactionHash: r.transaction_hash, proxyWallet: r.proxy_wallet, asset: r.token_id, side: r.side, price: r.price, size: r.size, timestamp: r.timestamp });
}

/** A v2 row under the v1 names of the raw trade schema (one object of a fixed shape per row). */
function v2Row(r: V2TradeRowJson): TradeRow {
  const v1: Record<string, unknown> = {
    proxyWallet: r.proxy_wallet,
    side: r.side,
    asset: r.token_id,
    conditionId: r.condition_id,
    size: r.size,
    price: r.price,
    timestamp: r.timestamp,
    title: r.title,
    slug: r.slug,
    icon: r.icon,
    eventSlug: r.event_slug,
    outcome: r.outcome,
    outcomeIndex: r.outcome_index,
    name: r.name,
    pseudonym: r.pseudonym,
    bio: r.bio,
    profileImage: r.profile_image,
    profileImageOptimized: r.profile_image_optimized,
    transactionHash: r.transaction_hash,
  };
  for (const k in r) if (!V2_KNOWN.has(k)) v1[k] = r[k];
  return { key: tradeKey(v1 as unknown as TradeRowJson), ts: r.timestamp, raw: v1 };
}

function trim(keys: string[] | undefined): string[] {
  return keys && keys.length > MAX_STORED_KEYS ? keys.slice(0, MAX_STORED_KEYS) : (keys ?? []);
}

/** The cursor detail after a step: generation, the walk (minus what a restart need not keep), the newest keys. */
function nextDetail(prev: TradeDetail, walk: TradeWalkState | V2WalkState, gen: number): TradeDetail {
  let newestKeys = prev.newestKeys ?? [];
  let newestTs = prev.newestTs;
  if (walk.newest !== undefined) {
    if (newestTs === undefined || walk.newest > newestTs) {
      newestTs = walk.newest;
      newestKeys = walk.newestKeys;
    } else if (walk.newest === newestTs) {
      newestKeys = [...new Set([...newestKeys, ...walk.newestKeys])];
    }
  }
  const slim = { ...walk, newestKeys: trim(walk.newestKeys), skipKeys: trim(walk.skipKeys) } as Record<string, unknown>;
  if ('lastPageKeys' in walk) {
    slim.lastPageKeys = [];
    slim.oldestKeys = trim(walk.oldestKeys);
    slim.boundaryKeys = trim(walk.boundaryKeys);
  }
  const readUpTo = walk.complete ? Math.max(prev.readUpTo ?? 0, 'initialEnd' in walk ? walk.initialEnd : walk.end) : prev.readUpTo;
  // A finished walk is not kept: what the next pass needs is newestTs, newestKeys and readUpTo.
  return { ...prev, gen, walk: walk.complete ? undefined : (slim as unknown as TradeWalkState), newestKeys: trim(newestKeys), newestTs, readUpTo };
}

function roleHeaders(role: Role | undefined): Record<string, string> | undefined {
  return role ? ROLE_HEADERS[role] : undefined;
}

function withTrigger(headers: Record<string, string> | undefined, trigger: FetchTrigger | undefined): Record<string, string> | undefined {
  return trigger ? { ...headers, [HEADERS.fetchTrigger]: trigger } : headers;
}
