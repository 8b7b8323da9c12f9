/**
 * Polymarket's published request limits (requests per 10 s, per IP), from the API spec §2.1,
 * as named groups. A request counts against the global group, its API's general group and every
 * endpoint group that lists its route. Two profiles: the current table and the 2025 one the
 * original was sized against.
 */
import type { ApiName } from '../http/apis.ts';

export const LIMIT_WINDOW_MS = 10_000;

export type LimitProfile = 'current' | '2025-12';

/** Which endpoint groups each route belongs to, beyond its API's general group. */
const ROUTE_GROUPS: Record<ApiName, Record<string, readonly string[]>> = {
  gamma: {
    '/markets': ['gamma:/markets', 'gamma:listing'],
    '/markets/keyset': ['gamma:/markets', 'gamma:listing'],
    '/events': ['gamma:/events', 'gamma:listing'],
    '/events/keyset': ['gamma:/events', 'gamma:listing'],
    '/tags': ['gamma:/tags'],
  },
  data: {
    '/trades': ['data:/trades'],
    '/v2/trades': ['data:/trades'],
  },
  clob: {
    '/prices-history': ['clob:/prices-history'],
    '/book': ['clob:/book'],
    '/markets': ['clob:/markets'],
  },
};

const CURRENT: Record<string, number> = {
  global: 15_000,
  gamma: 4_000,
  'gamma:/markets': 300,
  'gamma:/events': 500,
  'gamma:listing': 900,
  'gamma:/tags': 200,
  data: 1_000,
  'data:/trades': 200,
  clob: 9_000,
  'clob:/prices-history': 1_000,
  'clob:/book': 1_500,
};

const SEED_ERA: Record<string, number> = {
  global: 5_000,
  gamma: 750,
  'gamma:/markets': 125,
  'gamma:/events': 100,
  'gamma:listing': 100,
  'gamma:/tags': 100,
  data: 200,
  'data:/trades': 75,
  clob: 5_000,
  'clob:/prices-history': 100,
  'clob:/book': 200,
  'clob:/markets': 100,
};

export function publishedLimits(profile: LimitProfile): Record<string, number> {
  return { ...(profile === 'current' ? CURRENT : SEED_ERA) };
}

/** Group names a request to `api` `endpoint` counts against, most specific first. */
export function groupsFor(api: ApiName, endpoint: string): string[] {
  return [...(ROUTE_GROUPS[api][endpoint] ?? []), api, 'global'];
}
