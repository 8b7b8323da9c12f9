/**
 * The three upstream APIs the producers read, and how a request to one of them is named.
 * `endpoint` is the route template (e.g. "/markets/keyset"): rate limits, metrics, cursors and
 * error context all key on it, while `path` may carry ids (e.g. "/markets/12").
 */

export const API_NAMES = ['gamma', 'data', 'clob'] as const;
export type ApiName = (typeof API_NAMES)[number];

/** Base URLs of the APIs; a base may carry a path prefix (the simulator serves /gamma, /data, /clob). */
export type ApiBaseUrls = Record<ApiName, string>;

export const LIVE_BASE_URLS: ApiBaseUrls = {
  gamma: 'https://gamma-api.polymarket.com',
  data: 'https://data-api.polymarket.com',
  clob: 'https://clob.polymarket.com',
};

export const LIVE_WS_URL = 'wss://ws-subscriptions-clob.polymarket.com/ws/market';

export type ParamValue = string | number | boolean | readonly string[] | undefined;
export type Params = Readonly<Record<string, ParamValue>>;

export interface ApiRequest {
  api: ApiName;
  /** Route template, e.g. "/trades" or "/markets/{id}". */
  endpoint: string;
  /** Concrete path when it differs from the template. */
  path?: string;
  params?: Params;
  method?: 'GET' | 'POST';
  /** JSON body for POST batch reads. */
  body?: unknown;
}

/** "data:/trades": how logs, metrics and cursors name an endpoint. */
export function endpointId(api: ApiName, endpoint: string): string {
  return `${api}:${endpoint}`;
}

/** Query string with array values as repeated keys, undefined values left out, keys in given order. */
export function encodeQuery(params: Params | undefined): string {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) search.append(k, item);
    else search.append(k, String(v));
  }
  const s = search.toString();
  return s ? `?${s}` : '';
}

/** Params as a stable JSON text, for record headers, failure records and logs. */
export function paramsText(params: Params | undefined): string {
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined) clean[k] = v;
  return JSON.stringify(clean);
}
