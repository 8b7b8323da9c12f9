/**
 * Gamma API routes (spec section 3): `/markets` and `/events` with offset paging (silent limit
 * clamp, 422 past the offset cap, the profile's `closed` default), their keyset twins, single
 * records by id and slug (with `$schema`), tags, and `/status`.
 */

import { gammaError, type Handler, json, lazyPage, page, type Route, type SimRequest, type SimResponse, text } from '../http/types.ts';
import { EVENT_ORDER_FIELDS, type ListingIndexes, MARKET_ORDER_FIELDS, type Order, positionIn, walk } from '../query/listing.ts';
import { eventJson, marketJson, tagJson } from '../serialize/gamma.ts';
import { tagCatalog } from '../world/tags.ts';
import type { World } from '../world/world.ts';
import { Bad, base64Decode, base64Encode, boolParam, dateParam, firstBad, intParam, listParam, numParam } from './params.ts';

const validation = (message: string) => gammaError(422, 'validation error', message);
const notFound = () => gammaError(404, 'not found error', 'record not found');

/** The tags of a market or event, as /markets/{id}/tags and /events/{id}/tags list them. */
const tagsPage = (ids: readonly number[]): SimResponse =>
  page(
    ids
      .map((id) => tagCatalog.byId.get(id))
      .filter((t) => t !== undefined)
      .map((t) => tagJson(t)),
  );
const OFFSET_TOO_LARGE = 'offset too large, use /markets/keyset for deeper pagination';

interface OrderSpec {
  field: string;
  ascending: boolean;
}

function parseOrder(req: SimRequest, fields: readonly string[], keyset: boolean): OrderSpec | SimResponse {
  const raw = req.query.get('order');
  const asc = boolParam(req.query, 'ascending');
  if (asc instanceof Bad) return validation(asc.message);
  if (!raw) return { field: 'id', ascending: true };
  // Several fields may be listed; the first one decides the order here.
  const list = raw.split(',').map((s) => s.trim());
  if (list.some((f) => !fields.includes(f))) return validation('order fields are not valid');
  return { field: list[0]!, ascending: asc ?? keyset };
}

interface Paging {
  limit: number;
  offset: number;
}

function parsePaging(req: SimRequest, limitMax: number, limitDefault: number, maxOffset: number | null): Paging | SimResponse {
  const limit = intParam(req.query, 'limit');
  const offset = intParam(req.query, 'offset');
  const bad = firstBad(limit, offset);
  if (bad) return validation(bad.message);
  const o = (offset as number | undefined) ?? 0;
  if (maxOffset !== null && o > maxOffset) return validation(OFFSET_TOO_LARGE);
  return { limit: Math.min((limit as number | undefined) ?? limitDefault, limitMax), offset: o };
}

/** Market filter from the query; null set = no explicit ids. */
/** `closed`: the status filter when it is the only one (null = both), undefined when other filters apply. */
interface Filter {
  keep: (i: number) => boolean;
  only: number[] | null;
  closed: boolean | null | undefined;
}

function marketFilter(world: World, req: SimRequest, keyset: boolean): Filter | SimResponse {
  const q = req.query;
  const t = req.now;
  const closedParam = boolParam(q, 'closed');
  const active = boolParam(q, 'active');
  const archived = boolParam(q, 'archived');
  const cyom = boolParam(q, 'cyom');
  const decimalized = keyset ? boolParam(q, 'decimalized') : undefined;
  const volMin = numParam(q, 'volume_num_min');
  const volMax = numParam(q, 'volume_num_max');
  const liqMin = numParam(q, 'liquidity_num_min');
  const liqMax = numParam(q, 'liquidity_num_max');
  const startMin = dateParam(q, 'start_date_min');
  const startMax = dateParam(q, 'start_date_max');
  const endMin = dateParam(q, 'end_date_min');
  const endMax = dateParam(q, 'end_date_max');
  const tagIds = listParam(q, 'tag_id').map(Number);
  const bad = firstBad(closedParam, active, archived, cyom, decimalized, volMin, volMax, liqMin, liqMax, startMin, startMax, endMin, endMax);
  if (bad) return validation(bad.message);
  if (tagIds.some((n) => !Number.isInteger(n))) return validation('invalid tag_id');
  const closed = (closedParam as boolean | undefined) ?? req.ctx.profile.gamma.marketsClosedDefault;
  const uma = q.get('uma_resolution_status');

  let only: number[] | null = null;
  const addAll = (ms: number[]) => {
    only = [...(only ?? []), ...ms.filter((m) => m >= 0)];
  };
  if (q.has('id')) addAll(listParam(q, 'id').map((s) => world.marketOfId(Number(s))));
  if (q.has('slug')) addAll(listParam(q, 'slug').map((s) => world.marketOfSlug(s)));
  if (q.has('condition_ids')) addAll(listParam(q, 'condition_ids').map((s) => world.marketOfCondition(s)));
  if (q.has('clob_token_ids')) addAll(listParam(q, 'clob_token_ids').map((s) => world.tokenOf(s)?.[0] ?? -1));
  if (q.has('question_ids')) addAll(listParam(q, 'question_ids').map((s) => world.marketOfQuestion(s)));
  if (only !== null) only = [...new Set<number>(only)].sort((a, b) => a - b);

  const nothing = active === false || archived === true || cyom === true;
  const keep = (m: number) => {
    if (nothing) return false;
    if (closed !== null && world.isClosed(m, t) !== closed) return false;
    if (uma === 'resolved' && !world.isClosed(m, t)) return false;
    if (world.createdAt(m) > t) return false;
    if (decimalized !== undefined && (world.baseTickOf(m) === 0.001) !== decimalized) return false;
    if (volMin !== undefined || volMax !== undefined) {
      const v = world.volumeOf(m);
      if ((volMin !== undefined && v < (volMin as number)) || (volMax !== undefined && v > (volMax as number))) return false;
    }
    if (liqMin !== undefined || liqMax !== undefined) {
      const l = world.isClosed(m, t) ? 0 : world.liquidityOf(m);
      if ((liqMin !== undefined && l < (liqMin as number)) || (liqMax !== undefined && l > (liqMax as number))) return false;
    }
    if (startMin !== undefined && world.startDateOf(m) < (startMin as number)) return false;
    if (startMax !== undefined && world.startDateOf(m) > (startMax as number)) return false;
    if (endMin !== undefined && world.endDate(m) < (endMin as number)) return false;
    if (endMax !== undefined && world.endDate(m) > (endMax as number)) return false;
    if (tagIds.length > 0 && !world.tagsOf(m).some((id) => tagIds.includes(id))) return false;
    return true;
  };
  const simple = !nothing && uma === null && decimalized === undefined && [volMin, volMax, liqMin, liqMax, startMin, startMax, endMin, endMax].every((v) => v === undefined) && tagIds.length === 0;
  return { keep, only, closed: simple ? closed : undefined };
}

/** Items of a filtered, ordered listing after item `after` (or from the start), skipping `skip`, up to `take`. */
function select(
  n: number,
  order: Order | null,
  spec: OrderSpec,
  f: Filter,
  statusList: (closed: boolean | null) => Int32Array | null,
  after: number | null,
  skip: number,
  take: number,
): { items: number[]; more: boolean } {
  if (f.only !== null) {
    const list = f.only.filter(f.keep);
    if (order) list.sort((x, y) => order.key[x]! - order.key[y]! || x - y);
    if (!spec.ascending) list.reverse();
    const start = after === null ? 0 : list.indexOf(after) + 1;
    return { items: list.slice(start + skip, start + skip + take), more: list.length > start + skip + take };
  }
  if (order === null && f.closed !== undefined && after === null) {
    const arr = statusList(f.closed);
    const size = arr ? arr.length : n;
    const out: number[] = [];
    for (let p = skip; p < Math.min(size, skip + take); p++) {
      const q = spec.ascending ? p : size - 1 - p;
      out.push(arr ? arr[q]! : q);
    }
    return { items: out, more: size > skip + take };
  }
  const start = after === null ? (spec.ascending ? 0 : n - 1) : resumeAfter(after, order, spec.ascending);
  return walk(n, order, spec.ascending, start, f.keep, skip, take);
}

interface KeysetCursor {
  o: string;
  a: boolean;
  /** Last id served. */
  id: number;
}

function encodeCursor(c: KeysetCursor): string {
  return base64Encode(JSON.stringify(c));
}

function decodeCursor(text: string): KeysetCursor | null {
  const raw = base64Decode(text);
  if (!raw) return null;
  try {
    const c = JSON.parse(raw) as KeysetCursor;
    return typeof c.o === 'string' && typeof c.a === 'boolean' && typeof c.id === 'number' ? c : null;
  } catch {
    return null;
  }
}

interface KeysetPaging {
  take: number;
  order: OrderSpec;
  filter: Filter;
  /** Index of the row the page starts after; null: from the first. */
  from: number | null;
}

/**
 * The query of /markets/keyset or /events/keyset, checked in this order: offset refused, limit,
 * order, the list's filters, then the cursor, which must name a row of this world under the same order.
 */
function parseKeyset(req: SimRequest, limitMax: number, fields: readonly string[], filter: () => Filter | SimResponse, indexOfId: (id: number) => number): KeysetPaging | SimResponse {
  if (req.query.has('offset')) return validation('offset is not supported, use after_cursor');
  const limit = intParam(req.query, 'limit', 1);
  if (limit instanceof Bad) return validation(limit.message);
  const take = Math.min((limit as number | undefined) ?? req.ctx.profile.gamma.keysetLimitDefault, limitMax);
  const order = parseOrder(req, fields, true);
  if ('status' in order) return order;
  const f = filter();
  if ('status' in f) return f;
  let from: number | null = null;
  const after = req.query.get('after_cursor');
  if (after) {
    const c = decodeCursor(after);
    const i = c ? indexOfId(c.id) : -1;
    if (!c || i < 0 || c.o !== order.field || c.a !== order.ascending) return validation('invalid cursor');
    from = i;
  }
  return { take, order, filter: f, from };
}

/** Position just after the item with gamma id `id` in the order, or null if unknown. */
function resumeAfter(index: number, order: Order | null, ascending: boolean): number {
  const p = order ? positionIn(order, index) : index;
  return ascending ? p + 1 : p - 1;
}

/** Gamma routes; the keyset routes only where the profile has them. */
export function gammaRoutes(idx: ListingIndexes, keyset: boolean): Route[] {
  const r = (method: 'GET' | 'POST', template: string, handler: Handler): Route => ({ api: 'gamma', method, template, handler });
  const includeTag = (req: SimRequest) => req.query.get('include_tag') === 'true';

  const selectMarkets = (req: SimRequest, f: Filter, order: OrderSpec, after: number | null, skip: number, take: number) => {
    const lists = idx.lists(req.now);
    return select(req.ctx.world.marketCount(req.now), idx.marketOrder(order.field, req.now), order, f, (c) => (c === null ? null : c ? lists.closedMarkets : lists.openMarkets), after, skip, take);
  };

  const markets: Handler = (req) => {
    const { world, profile } = req.ctx;
    const paging = parsePaging(req, profile.gamma.listLimitMax, profile.gamma.listLimitDefault, profile.gamma.listMaxOffset);
    if ('status' in paging) return paging;
    const order = parseOrder(req, MARKET_ORDER_FIELDS, false);
    if ('status' in order) return order;
    const f = marketFilter(world, req, false);
    if ('status' in f) return f;
    let { offset } = paging;
    const dup = req.fault('duplicate');
    const extra = dup && offset > 0 ? Math.min(dup.rows, offset) : 0;
    offset -= extra;
    const { items } = selectMarkets(req, f, order, null, offset, paging.limit + extra);
    const it = includeTag(req);
    return lazyPage(items, (m) => marketJson(world, m, req.now, { withEvents: true, includeTag: it, schema: false }));
  };

  const marketsKeyset: Handler = (req) => {
    const { world, profile } = req.ctx;
    const keyset = parseKeyset(
      req,
      profile.gamma.marketsKeysetLimitMax,
      MARKET_ORDER_FIELDS,
      () => marketFilter(world, req, true),
      (id) => world.marketOfId(id),
    );
    if ('status' in keyset) return keyset;
    const { take, order, filter: f, from } = keyset;
    const { items, more } = selectMarkets(req, f, order, from, 0, take);
    const it = includeTag(req);
    const last = items[items.length - 1];
    const next = more && last !== undefined ? encodeCursor({ o: order.field, a: order.ascending, id: world.marketId(last) }) : null;
    return lazyPage(
      items,
      (m) => marketJson(world, m, req.now, { withEvents: true, includeTag: it, schema: false }),
      (inner) => `{"markets":[${inner}]${next ? `,"next_cursor":"${next}"` : ''}}`,
    );
  };

  /** One market looked up by id or slug (-1 when unknown); one not created yet is not found either. */
  const oneMarket = (req: SimRequest, m: number): SimResponse =>
    m < 0 || req.ctx.world.createdAt(m) > req.now ? notFound() : json(200, marketJson(req.ctx.world, m, req.now, { withEvents: true, includeTag: includeTag(req), schema: true }));
  const marketById: Handler = (req) => oneMarket(req, req.ctx.world.marketOfId(Number(req.params.id)));
  const marketBySlug: Handler = (req) => oneMarket(req, req.ctx.world.marketOfSlug(req.params.slug!));

  const marketTags: Handler = (req) => {
    const m = req.ctx.world.marketOfId(Number(req.params.id));
    return m < 0 ? notFound() : tagsPage(req.ctx.world.tagsOf(m));
  };

  const eventFilter = (req: SimRequest, keyset: boolean): Filter | SimResponse => {
    const { world } = req.ctx;
    const q = req.query;
    const t = req.now;
    const closed = boolParam(q, 'closed');
    const active = boolParam(q, 'active');
    const archived = boolParam(q, 'archived');
    const featured = boolParam(q, 'featured');
    const cyom = boolParam(q, 'cyom');
    const volMin = numParam(q, 'volume_min');
    const volMax = numParam(q, 'volume_max');
    const startMin = dateParam(q, 'start_date_min');
    const startMax = dateParam(q, 'start_date_max');
    const endMin = dateParam(q, 'end_date_min');
    const endMax = dateParam(q, 'end_date_max');
    const bad = firstBad(closed, active, archived, featured, cyom, volMin, volMax, startMin, startMax, endMin, endMax);
    if (bad) return validation(bad.message);
    const tagIds = listParam(q, 'tag_id').map(Number);
    const tagSlug = q.get('tag_slug');
    const slugTag = tagSlug ? (tagCatalog.bySlug.get(tagSlug)?.id ?? -1) : null;
    const exclude = listParam(q, 'exclude_tag_id').map(Number);
    if (keyset && exclude.some((x) => tagIds.includes(x))) return validation('exclude_tag_id must not overlap tag_id');
    const recurrence = q.get('recurrence');
    if (keyset && recurrence !== null && !['daily', 'weekly', 'monthly', 'hourly', 'annual'].includes(recurrence)) return validation('invalid recurrence');
    const titleSearch = q.get('title_search')?.toLowerCase() ?? null;
    let only: number[] | null = null;
    if (q.has('id'))
      only = listParam(q, 'id')
        .map((s) => world.eventOfId(Number(s)))
        .filter((e) => e >= 0);
    if (q.has('slug'))
      only = [
        ...(only ?? []),
        ...listParam(q, 'slug')
          .map((s) => world.eventOfSlug(s))
          .filter((e) => e >= 0),
      ];
    if (only !== null) only = [...new Set(only)].sort((a, b) => a - b);
    const nothing = active === false || archived === true || featured === true || cyom === true;
    const keep = (e: number) => {
      if (nothing) return false;
      const [first] = world.eventMarkets(e);
      if (world.createdAt(first) > t) return false;
      if (closed !== undefined && world.isEventClosed(e, t) !== closed) return false;
      const tags = world.eventTags(e);
      if (tagIds.length > 0 && !tags.some((id) => tagIds.includes(id))) return false;
      if (slugTag !== null && !tags.includes(slugTag)) return false;
      if (exclude.length > 0 && tags.some((id) => exclude.includes(id))) return false;
      if (volMin !== undefined || volMax !== undefined) {
        const v = world.eventVolume(e);
        if ((volMin !== undefined && v < (volMin as number)) || (volMax !== undefined && v > (volMax as number))) return false;
      }
      if (startMin !== undefined && world.startDateOf(first) < (startMin as number)) return false;
      if (startMax !== undefined && world.startDateOf(first) > (startMax as number)) return false;
      if (endMin !== undefined && world.endDate(first) < (endMin as number)) return false;
      if (endMax !== undefined && world.endDate(first) > (endMax as number)) return false;
      if (recurrence !== null && world.event(e).seriesSlug === null) return false;
      if (titleSearch !== null && !world.event(e).title.toLowerCase().includes(titleSearch)) return false;
      return true;
    };
    const simple =
      !nothing &&
      tagIds.length === 0 &&
      slugTag === null &&
      exclude.length === 0 &&
      recurrence === null &&
      titleSearch === null &&
      [volMin, volMax, startMin, startMax, endMin, endMax].every((v) => v === undefined);
    return { keep, only, closed: simple ? ((closed as boolean | undefined) ?? null) : undefined };
  };

  const selectEvents = (req: SimRequest, f: Filter, order: OrderSpec, after: number | null, skip: number, take: number) => {
    const lists = idx.lists(req.now);
    return select(req.ctx.world.eventCount(req.now), idx.eventOrder(order.field, req.now), order, f, (c) => (c === null ? null : c ? lists.closedEvents : lists.openEvents), after, skip, take);
  };

  const events: Handler = (req) => {
    const { world, profile } = req.ctx;
    const paging = parsePaging(req, profile.gamma.listLimitMax, profile.gamma.listLimitDefault, profile.gamma.listMaxOffset);
    if ('status' in paging) return paging;
    const order = parseOrder(req, EVENT_ORDER_FIELDS, false);
    if ('status' in order) return order;
    if (order.field === 'competitive') return gammaError(500, 'internal error', 'cannot get the information');
    const f = eventFilter(req, false);
    if ('status' in f) return f;
    let { offset } = paging;
    const dup = req.fault('duplicate');
    const extra = dup && offset > 0 ? Math.min(dup.rows, offset) : 0;
    offset -= extra;
    const { items } = selectEvents(req, f, order, null, offset, paging.limit + extra);
    const includeMarkets = req.query.get('include_markets') !== 'false';
    const res = lazyPage(items, (e) => eventJson(world, e, req.now, { includeMarkets, schema: false }));
    // Announced for deprecation with the keyset routes (headers as recorded by a 2026 replay).
    if (profile.gamma.keysetRoutes) res.headers = { deprecation: 'true', sunset: 'Fri, 01 May 2026 00:00:00 GMT', warning: '299 - "use /events/keyset"' };
    return res;
  };

  const eventsKeyset: Handler = (req) => {
    const { world, profile } = req.ctx;
    const keyset = parseKeyset(
      req,
      profile.gamma.eventsKeysetLimitMax,
      EVENT_ORDER_FIELDS,
      () => eventFilter(req, true),
      (id) => world.eventOfId(id),
    );
    if ('status' in keyset) return keyset;
    const { take, order, filter: f, from } = keyset;
    const { items, more } = selectEvents(req, f, order, from, 0, take);
    const includeMarkets = req.query.get('include_markets') !== 'false';
    const last = items[items.length - 1];
    const next = more && last !== undefined ? encodeCursor({ o: order.field, a: order.ascending, id: world.eventId(last) }) : null;
    return lazyPage(
      items,
      (e) => eventJson(world, e, req.now, { includeMarkets, schema: false }),
      (inner) => `{"events":[${inner}]${next ? `,"next_cursor":"${next}"` : ''}}`,
    );
  };

  /** One event looked up by id or slug (-1 when unknown), with its markets. */
  const oneEvent = (req: SimRequest, e: number): SimResponse => (e < 0 ? notFound() : json(200, eventJson(req.ctx.world, e, req.now, { includeMarkets: true, schema: true })));
  const eventById: Handler = (req) => oneEvent(req, req.ctx.world.eventOfId(Number(req.params.id)));
  const eventBySlug: Handler = (req) => oneEvent(req, req.ctx.world.eventOfSlug(req.params.slug!));

  const eventTags: Handler = (req) => {
    const e = req.ctx.world.eventOfId(Number(req.params.id));
    return e < 0 ? notFound() : tagsPage(req.ctx.world.eventTags(e));
  };

  const tags: Handler = (req) => {
    const paging = parsePaging(req, req.ctx.profile.gamma.tagsLimitMax, req.ctx.profile.gamma.tagsLimitMax, null);
    if ('status' in paging) return paging;
    const all = [...tagCatalog.tags].sort((a, b) => a.id - b.id);
    return page(all.slice(paging.offset, paging.offset + paging.limit).map((t) => tagJson(t)));
  };

  const tagById: Handler = (req) => {
    const t = tagCatalog.byId.get(Number(req.params.id));
    return t ? json(200, tagJson(t, true)) : notFound();
  };

  const tagBySlug: Handler = (req) => {
    const t = tagCatalog.bySlug.get(req.params.slug!);
    return t ? json(200, tagJson(t, true)) : notFound();
  };

  const routes = [
    ...(keyset ? [r('GET', '/markets/keyset', marketsKeyset), r('GET', '/events/keyset', eventsKeyset)] : []),
    r('GET', '/status', () => text(200, 'OK')),
    r('GET', '/markets', markets),
    r('GET', '/markets/slug/{slug}', marketBySlug),
    r('GET', '/markets/{id}', marketById),
    r('GET', '/markets/{id}/tags', marketTags),
    r('GET', '/events', events),
    r('GET', '/events/slug/{slug}', eventBySlug),
    r('GET', '/events/{id}', eventById),
    r('GET', '/events/{id}/tags', eventTags),
    r('GET', '/tags', tags),
    r('GET', '/tags/slug/{slug}', tagBySlug),
    r('GET', '/tags/{id}', tagById),
  ];
  return routes;
}
