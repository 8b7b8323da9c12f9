/**
 * Gamma `/public-search` (spec 3.9): events whose title holds every word of `q` (a page of
 * `limit_per_type` per `page`, newest first), tags whose label or slug holds it, with their event
 * counts, and `pagination`. `q` is required. Profiles are the wallets whose name or pseudonym holds
 * `q`, looked for among the first wallets of the pool (a search over millions would stall the
 * server, and every request must stay cheap).
 */
import { gammaError, type Handler, json, type Route } from '../http/types.ts';
import { q as quote } from '../serialize/format.ts';
import { eventJson } from '../serialize/gamma.ts';
import { tagCatalog } from '../world/tags.ts';
import { walletProfile } from '../world/text.ts';
import { boolParam, firstBad, intParam, listParam } from './params.ts';

const LIMIT_DEFAULT = 5;
const LIMIT_MAX = 50;
/** Wallets of the pool searched for profiles. */
const PROFILE_SCAN = 5_000;

export function searchRoutes(): Route[] {
  const search: Handler = (req) => {
    const { world } = req.ctx;
    const query = req.query;
    const text = query.get('q')?.trim().toLowerCase() ?? '';
    if (text === '') return gammaError(422, 'validation error', 'q is required');
    const limit = intParam(query, 'limit_per_type');
    const pageNo = intParam(query, 'page', 1);
    const searchTags = boolParam(query, 'search_tags');
    const searchProfiles = boolParam(query, 'search_profiles');
    const bad = firstBad(limit, pageNo, searchTags, searchProfiles);
    if (bad) return gammaError(422, 'validation error', bad.message);
    const status = query.get('events_status');
    if (status !== null && !['active', 'closed', 'all'].includes(status)) return gammaError(422, 'validation error', 'invalid events_status');
    const take = Math.min((limit as number | undefined) ?? LIMIT_DEFAULT, LIMIT_MAX);
    const skip = (((pageNo as number | undefined) ?? 1) - 1) * take;
    const wantTags = listParam(query, 'events_tag').map(Number);
    const excludeTags = listParam(query, 'exclude_tag_id').map(Number);
    const words = text.split(/\s+/);

    const matched: number[] = [];
    const n = world.eventCount(req.now);
    for (let e = n - 1; e >= 0; e--) {
      if (world.createdAt(world.eventMarkets(e)[0]) > req.now) continue;
      if (status === 'active' || status === 'closed') {
        if (world.isEventClosed(e, req.now) !== (status === 'closed')) continue;
      }
      const tags = world.eventTags(e);
      if (wantTags.length > 0 && !tags.some((id) => wantTags.includes(id))) continue;
      if (excludeTags.some((id) => tags.includes(id))) continue;
      const title = world.event(e).title.toLowerCase();
      if (words.every((w) => title.includes(w))) matched.push(e);
    }
    const shown = matched.slice(skip, skip + take);
    const events = shown.map((e) => eventJson(world, e, req.now, { includeMarkets: true, schema: false }));

    const tags: string[] = [];
    if (searchTags !== false) {
      for (const tag of tagCatalog.tags) {
        if (!tag.label.toLowerCase().includes(text) && !tag.slug.includes(text)) continue;
        let count = 0;
        for (let e = 0; e < n; e++) if (world.eventTags(e).includes(tag.id)) count++;
        tags.push(`{"id":${quote(String(tag.id))},"label":${quote(tag.label)},"slug":${quote(tag.slug)},"event_count":${count}}`);
        if (tags.length >= take) break;
      }
    }

    const profiles: string[] = [];
    if (searchProfiles !== false) {
      for (let w = 0; w < Math.min(world.P, PROFILE_SCAN) && profiles.length < take; w++) {
        const p = walletProfile(world.seed, w);
        if (!p.pseudonym.includes(text) && !p.name.includes(text)) continue;
        profiles.push(
          `{"name":${quote(p.name || p.pseudonym)},"pseudonym":${quote(p.pseudonym)},"displayUsernamePublic":${p.name !== ''},"proxyWallet":"${world.ids.wallet(w).toLowerCase()}","profileImage":${quote(p.profileImage)}}`,
        );
      }
    }

    const hasMore = matched.length > skip + take;
    const body = `{"events":[${events.join(',')}],"tags":[${tags.join(',')}],"profiles":[${profiles.join(',')}],"pagination":{"hasMore":${hasMore},"totalResults":${matched.length}}}`;
    return json(200, body);
  };

  return [{ api: 'gamma', method: 'GET', template: '/public-search', handler: search }];
}
