/**
 * What route handlers see and return. A handler is synchronous and pure over the world at the
 * request's time (`now`), so the same request at the same world time gives the same bytes.
 */
import type { Profile } from '../profiles.ts';
import type { CrowdInverse, NewestIndex } from '../query/trades.ts';
import type { World } from '../world/world.ts';
import type { FaultInjector } from './faults.ts';

export type ApiName = 'gamma' | 'data' | 'clob';

export interface SimContext {
  world: World;
  profile: Profile;
  newest: NewestIndex;
  crowd: CrowdInverse;
  faults: FaultInjector;
}

export interface SimRequest {
  api: ApiName;
  method: string;
  /** Path inside the API (without /gamma, /data, /clob). */
  path: string;
  /** Route template, e.g. "/markets/{id}". */
  template: string;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** Parsed JSON body of a POST (undefined when absent or unparseable: `bodyError` says why). */
  body: unknown;
  bodyError: string | null;
  /** World time of the request, simulated seconds. */
  now: number;
  ctx: SimContext;
  /** A record-level fault (unknown/missing field) will rewrite the records: answer with `page()` records, not bytes. */
  recordFaults: boolean;
  /** Fault decisions for this request that handlers act on (duplicated rows across pages). */
  fault: (kind: 'duplicate') => { rows: number } | null;
}

export interface SimResponse {
  status: number;
  /**
   * Body text, or null for a list made of `records` (build those with `page()`): the server writes
   * them one by one without ever joining them into one large string, unless a fault rewrites them.
   */
  body: string | Buffer | null;
  contentType?: string;
  headers?: Record<string, string>;
  records?: string[];
  /** Records rendered only as the server writes them (see `lazyPage`). */
  lazy?: LazyRecords;
  wrap?: (inner: string) => string;
  /** Called once the response is written (or abandoned): gives a pooled body buffer back. */
  release?: () => void;
}

/** `count` records, the i-th rendered by `render(i)` (pure over the world at the request's time). */
export interface LazyRecords {
  count: number;
  render(i: number): string;
}

export type Handler = (req: SimRequest) => SimResponse;

export interface Route {
  api: ApiName;
  method: 'GET' | 'POST';
  template: string;
  handler: Handler;
}

export const JSON_TYPE = 'application/json; charset=utf-8';

export function json(status: number, body: string, headers?: Record<string, string>): SimResponse {
  return { status, body, contentType: JSON_TYPE, ...(headers ? { headers } : {}) };
}

/** A list response made of records, `[a,b,c]` unless `wrap` builds an envelope around them. */
export function page(records: string[], wrap?: (inner: string) => string, status = 200): SimResponse {
  return { status, body: null, contentType: JSON_TYPE, records, ...(wrap ? { wrap } : {}) };
}

/**
 * A list response whose records are rendered while the server writes them, a slice at a time,
 * so a large page (a thousand CLOB markets, a hundred events with their markets) never holds the
 * event loop for more than a slice and small requests are answered in between.
 */
export function lazyPage<T>(items: readonly T[], render: (item: T) => string, wrap?: (inner: string) => string, status = 200): SimResponse {
  return { status, body: null, contentType: JSON_TYPE, lazy: { count: items.length, render: (i) => render(items[i]!) }, ...(wrap ? { wrap } : {}) };
}

/** The records of a list response, rendering lazy ones now; undefined for a plain body. */
export function recordsOf(r: SimResponse): string[] | undefined {
  if (r.records) return r.records;
  if (!r.lazy) return undefined;
  const { count, render } = r.lazy;
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = render(i);
  return out;
}

/** Response headers: its content type (JSON unless it says otherwise), the length when known, then its own headers. */
export function headersOf(r: SimResponse, contentLength?: number): Record<string, string | number> {
  return { 'content-type': r.contentType ?? JSON_TYPE, ...(contentLength === undefined ? {} : { 'content-length': contentLength }), ...r.headers };
}

/** The whole body of a response as one string or buffer (joins the records of a page). */
export function bodyOf(r: SimResponse, records: readonly string[] | undefined = recordsOf(r)): string | Buffer {
  if (r.body !== null) return r.body;
  const inner = (records ?? []).join(',');
  return r.wrap ? r.wrap(inner) : `[${inner}]`;
}

const SPLIT = '\u0000records\u0000';

/** [prefix, suffix] around the records of a page. */
export function envelopeOf(r: SimResponse): [string, string] {
  if (!r.wrap) return ['[', ']'];
  const [a, b] = r.wrap(SPLIT).split(SPLIT);
  return [a!, b!];
}

export function text(status: number, body: string, contentType = 'text/plain; charset=utf-8', headers?: Record<string, string>): SimResponse {
  return { status, body, contentType, ...(headers ? { headers } : {}) };
}

/** Gamma error body `{"type", "error"}`. */
export function gammaError(status: number, type: string, message: string): SimResponse {
  return json(status, JSON.stringify({ type, error: message }));
}

/** Data API v1 and CLOB error body `{"error"}`. */
export function plainError(status: number, message: string): SimResponse {
  return json(status, JSON.stringify({ error: message }));
}

/** Data API v2 error envelope. */
export function v2Error(status: number, code: string, message: string, parameter?: string, headers?: Record<string, string>): SimResponse {
  const traceId = `sim-${Math.floor(performance.now() * 1000).toString(36)}`;
  const body: Record<string, unknown> = { error: message, code, retryable: status === 429 || status >= 500, trace_id: traceId };
  if (parameter) body.parameter = parameter;
  return json(status, JSON.stringify(body), headers);
}
