/**
 * Gamma catalogue routes (spec 3.7-3.9): `/series` (limit clamped to 50, events nested unless
 * `exclude_events`), `/series/{id}`, `/sports`, `/teams` (limit clamped to 100, league / name /
 * abbreviation filters), and the tags related to a tag: those its events carry beside it, ranked by
 * how many events share them, with `omit_empty` and `status`.
 */
import { gammaError, type Handler, json, page, type Route, type SimRequest, type SimResponse } from '../http/types.ts';
import { relatedTagJson, seriesJson, sportJson, tagRelationJson, teamJson } from '../serialize/catalog.ts';
import { LEAGUES, teams } from '../world/sports.ts';
import { type Series, type Tag, tagCatalog } from '../world/tags.ts';
import type { World } from '../world/world.ts';
import { Bad, boolParam, firstBad, intParam, listParam } from './params.ts';

const SERIES_LIMIT_MAX = 50;
const TEAMS_LIMIT_MAX = 100;
const validation = (message: string) => gammaError(422, 'validation error', message);
const notFound = () => gammaError(404, 'not found error', 'record not found');

function paging(req: SimRequest, limitMax: number): { limit: number; offset: number; ascending: boolean } | SimResponse {
  const limit = intParam(req.query, 'limit');
  const offset = intParam(req.query, 'offset');
  const ascending = boolParam(req.query, 'ascending');
  const bad = firstBad(limit, offset, ascending);
  if (bad) return validation(bad.message);
  return { limit: Math.min((limit as number | undefined) ?? limitMax, limitMax), offset: (offset as number | undefined) ?? 0, ascending: (ascending as boolean | undefined) ?? true };
}

/** Events of each series that exist at t, ids ascending (one pass over the events). */
function seriesEvents(world: World, t: number): Map<string, number[]> {
  const out = new Map<string, number[]>(tagCatalog.series.map((s) => [s.slug, []]));
  const n = world.eventCount(t);
  for (let e = 0; e < n; e++) {
    const slug = world.seriesSlugOf(e);
    if (slug === null) continue;
    if (world.createdAt(world.eventMarkets(e)[0]) > t) continue;
    out.get(slug)?.push(e);
  }
  return out;
}

/** Open (or closed, or all) events per tag id, for related-tag counts. */
function eventsPerTag(world: World, t: number, status: 'active' | 'closed' | 'all'): Map<number, number> {
  const out = new Map<number, number>();
  const n = world.eventCount(t);
  for (let e = 0; e < n; e++) {
    if (world.createdAt(world.eventMarkets(e)[0]) > t) continue;
    if (status !== 'all' && world.isEventClosed(e, t) !== (status === 'closed')) continue;
    for (const id of world.eventTags(e)) out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

/** Tags that events carry together with `tag`, most shared first. */
function relatedTags(world: World, tag: Tag, t: number): Array<{ tag: Tag; shared: number }> {
  const shared = new Map<number, number>();
  const n = world.eventCount(t);
  for (let e = 0; e < n; e++) {
    const tags = world.eventTags(e);
    if (!tags.includes(tag.id) || world.createdAt(world.eventMarkets(e)[0]) > t) continue;
    for (const id of tags) if (id !== tag.id) shared.set(id, (shared.get(id) ?? 0) + 1);
  }
  return [...shared]
    .map(([id, count]) => ({ tag: tagCatalog.byId.get(id)!, shared: count }))
    .filter((x) => x.tag !== undefined)
    .sort((a, b) => b.shared - a.shared || a.tag.id - b.tag.id);
}

export function catalogRoutes(): Route[] {
  const r = (template: string, handler: Handler): Route => ({ api: 'gamma', method: 'GET', template, handler });

  const series: Handler = (req) => {
    const { world } = req.ctx;
    const q = req.query;
    const p = paging(req, SERIES_LIMIT_MAX);
    if ('status' in p) return p;
    const closed = boolParam(q, 'closed');
    const exclude = boolParam(q, 'exclude_events');
    const bad = firstBad(closed, exclude);
    if (bad) return validation(bad.message);
    const order = q.get('order');
    if (order !== null && !['id', 'volume', 'startDate', 'createdAt', 'updatedAt', 'title', 'slug'].includes(order)) return validation('order fields are not valid');
    const slugs = listParam(q, 'slug');
    const recurrence = q.get('recurrence');
    const events = seriesEvents(world, req.now);
    const closedOf = (s: Series) => {
      const es = events.get(s.slug)!;
      return es.length > 0 && es.every((e) => world.isEventClosed(e, req.now));
    };
    let list = [...tagCatalog.series].filter(
      (s) => (slugs.length === 0 || slugs.includes(s.slug)) && (recurrence === null || s.recurrence === recurrence) && (closed === undefined || closedOf(s) === closed),
    );
    const key = (s: Series): number | string => (order === 'volume' ? events.get(s.slug)!.reduce((v, e) => v + world.eventVolume(e), 0) : order === 'title' || order === 'slug' ? s[order] : s.id);
    list = list.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      const c = typeof ka === 'string' ? ka.localeCompare(kb as string) : ka - (kb as number);
      return (p.ascending ? c : -c) || a.id - b.id;
    });
    return page(list.slice(p.offset, p.offset + p.limit).map((s) => seriesJson(world, s, exclude === true ? [] : events.get(s.slug)!, req.now, false)));
  };

  const seriesById: Handler = (req) => {
    const s = tagCatalog.series.find((x) => String(x.id) === req.params.id);
    if (!s) return notFound();
    return json(200, seriesJson(req.ctx.world, s, seriesEvents(req.ctx.world, req.now).get(s.slug)!, req.now, true));
  };

  const sports: Handler = () => page(LEAGUES.map(sportJson));

  const teamList: Handler = (req) => {
    const q = req.query;
    const p = paging(req, TEAMS_LIMIT_MAX);
    if ('status' in p) return p;
    const order = q.get('order');
    if (order !== null && !['id', 'name', 'league', 'abbreviation', 'createdAt', 'updatedAt'].includes(order)) return validation('order fields are not valid');
    const leagues = listParam(q, 'league').map((s) => s.toLowerCase());
    const names = listParam(q, 'name').map((s) => s.toLowerCase());
    const abbreviations = listParam(q, 'abbreviation').map((s) => s.toLowerCase());
    const list = teams(req.ctx.world.seed).filter(
      (t) =>
        (leagues.length === 0 || leagues.includes(t.league)) &&
        (names.length === 0 || names.includes(t.name.toLowerCase())) &&
        (abbreviations.length === 0 || abbreviations.includes(t.abbreviation.toLowerCase())),
    );
    const field = (order ?? 'id') as 'id' | 'name' | 'league' | 'abbreviation' | 'createdAt' | 'updatedAt';
    list.sort((a, b) => {
      const ka = a[field];
      const kb = b[field];
      const c = typeof ka === 'number' ? ka - (kb as number) : ka.localeCompare(kb as string);
      return (p.ascending ? c : -c) || a.id - b.id;
    });
    return page(list.slice(p.offset, p.offset + p.limit).map(teamJson));
  };

  /** The tag named by the path (id or slug), its related tags after `omit_empty` and `status`. */
  const related = (req: SimRequest): { tag: Tag; rows: Array<{ tag: Tag; shared: number; active: number }> } | SimResponse => {
    const tag = req.params.id !== undefined ? tagCatalog.byId.get(Number(req.params.id)) : tagCatalog.bySlug.get(req.params.slug!);
    if (!tag) return notFound();
    const omitEmpty = boolParam(req.query, 'omit_empty');
    if (omitEmpty instanceof Bad) return validation(omitEmpty.message);
    const status = req.query.get('status') ?? 'all';
    if (status !== 'active' && status !== 'closed' && status !== 'all') return validation('invalid status');
    const counts = eventsPerTag(req.ctx.world, req.now, status);
    const rows = relatedTags(req.ctx.world, tag, req.now).map((x) => ({ ...x, active: counts.get(x.tag.id) ?? 0 }));
    return { tag, rows: omitEmpty === true ? rows.filter((x) => x.active > 0) : rows };
  };

  const relatedRelations: Handler = (req) => {
    const found = related(req);
    if ('status' in found) return found;
    return page(found.rows.map((x, i) => tagRelationJson(found.tag.id * 1_000 + i + 1, found.tag.id, x.tag.id, i + 1)));
  };

  const relatedTagList: Handler = (req) => {
    const found = related(req);
    if ('status' in found) return found;
    return page(found.rows.map((x) => relatedTagJson(x.tag, x.active)));
  };

  return [
    r('/series', series),
    r('/series/{id}', seriesById),
    r('/sports', sports),
    r('/teams', teamList),
    r('/tags/{id}/related-tags', relatedRelations),
    r('/tags/{id}/related-tags/tags', relatedTagList),
    r('/tags/slug/{slug}/related-tags', relatedRelations),
    r('/tags/slug/{slug}/related-tags/tags', relatedTagList),
  ];
}
