/**
 * Gamma JSON of the catalogue routes (spec 3.7-3.9, 3.12): Series with their events, `/sports`
 * rows (tags as a comma-separated string, series id as a string), `/teams` rows (integer ids),
 * related-tag relations.
 */
import type { League, Team } from '../world/sports.ts';
import type { Series, Tag } from '../world/tags.ts';
import type { World } from '../world/world.ts';
import { isoFrac, isoZ, pgTime, q } from './format.ts';
import { eventJson, tagJson, withSchema } from './gamma.ts';

const SERIES_CREATED = Date.parse('2024-03-01T12:00:00Z') / 1000;

/** Series s with the given events (Gamma nests them without their markets). */
export function seriesJson(world: World, s: Series, events: readonly number[], t: number, schema: boolean): string {
  let volume = 0;
  let open = false;
  for (const e of events) {
    volume += world.eventVolume(e);
    if (!world.isEventClosed(e, t)) open = true;
  }
  const image = `https://polymarket-upload.s3.us-east-2.amazonaws.com/${s.slug}-series.png`;
  const parts = [
    `"id":${q(String(s.id))}`,
    `"ticker":${q(s.slug)}`,
    `"slug":${q(s.slug)}`,
    `"title":${q(s.title)}`,
    '"seriesType":"single"',
    `"recurrence":${q(s.recurrence)}`,
    `"image":${q(image)}`,
    `"icon":${q(image)}`,
    '"layout":"default"',
    '"active":true',
    `"closed":${!open && events.length > 0}`,
    '"archived":false',
    '"new":false',
    '"featured":false',
    '"restricted":true',
    `"publishedAt":${q(pgTime(SERIES_CREATED))}`,
    '"createdBy":"15"',
    '"updatedBy":"15"',
    `"createdAt":${q(isoFrac(SERIES_CREATED, s.id))}`,
    `"updatedAt":${q(isoFrac(t, s.id + 1))}`,
    '"commentsEnabled":false',
    '"competitive":"0"',
    '"volume24hr":0',
    `"volume":${Math.round(volume * 1e6) / 1e6}`,
    `"liquidity":${open ? Math.round(volume * 0.05 * 1e4) / 1e4 : 0}`,
    `"startDate":${q(isoZ(SERIES_CREATED))}`,
    `"commentCount":${s.id % 7}`,
    '"requiresTranslation":false',
  ];
  if (events.length > 0) parts.push(`"events":[${events.map((e) => eventJson(world, e, t, { includeMarkets: false, schema: false })).join(',')}]`);
  const text = `{${parts.join(',')}}`;
  return schema ? withSchema(text, 'Series') : text;
}

export function sportJson(league: League): string {
  const s = league.series;
  return `{"id":${league.id},"sport":${q(s.slug)},"image":${q(`https://polymarket-upload.s3.us-east-2.amazonaws.com/${s.slug}.png`)},"resolution":${q(`https://www.${s.slug}.com/`)},"ordering":${q(league.ordering)},"tags":${q(league.tags.join(','))},"series":${q(String(s.id))},"createdAt":${q(league.createdAt)}}`;
}

export function teamJson(team: Team): string {
  return `{"id":${team.id},"name":${q(team.name)},"league":${q(team.league)},"record":${q(team.record)},"logo":${q(`https://polymarket-upload.s3.us-east-2.amazonaws.com/team-${team.league}-${team.abbreviation.toLowerCase()}.png`)},"abbreviation":${q(team.abbreviation)},"alias":${q(team.name)},"color":${q(team.color)},"providerId":${team.providerId},"createdAt":${q(team.createdAt)},"updatedAt":${q(team.updatedAt)}}`;
}

/** A related tag as `/tags/{id}/related-tags/tags` lists it: the Tag with its count of open events. */
export function relatedTagJson(tag: Tag, activeEvents: number): string {
  return `${tagJson(tag).slice(0, -1)},"activeEventsCount":${activeEvents}}`;
}

/** A relation as `/tags/{id}/related-tags` lists it. */
export function tagRelationJson(id: number, tagId: number, relatedId: number, rank: number): string {
  return `{"id":${q(String(id))},"tagID":${tagId},"relatedTagID":${relatedId},"rank":${rank}}`;
}
