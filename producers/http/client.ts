/**
 * HTTP to the upstream APIs on undici: one keep-alive connection pool per API, connect and
 * request timeouts, compressed responses accepted and decoded, a descriptive User-Agent.
 * Every status comes back as a response; only transport failures (timeouts, resets, refused
 * connections) throw, as HttpError with `retryable: true`, or AbortedError when the caller aborts.
 * A body in an encoding we cannot undo throws an HttpError that is not retryable: it would
 * come back the same.
 */
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, zstdDecompress } from 'node:zlib';
import { Pool } from 'undici';
import { AbortedError, type ErrorContext, HttpError } from '../../runtime/errors.ts';
import { type ApiBaseUrls, type ApiName, type ApiRequest, encodeQuery, endpointId, paramsText } from './apis.ts';

export interface HttpClientOptions {
  baseUrls: ApiBaseUrls;
  /** Connections per API pool. Default 8. */
  connections?: number;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** Whole request, headers and body. Default 30 s. */
  requestTimeoutMs?: number;
  userAgent?: string;
  /** Larger bodies fail the request. Default 64 MiB. */
  maxBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  text: string;
  latencyMs: number;
  url: string;
}

export const DEFAULT_USER_AGENT = 'PolyMarketAnalytics-ingest/0.1 (+pma ingest; public read APIs; rate-limited)';

interface Target {
  pool: Pool;
  prefix: string;
}

export class HttpClient {
  readonly #targets = new Map<ApiName, Target>();
  readonly #requestTimeoutMs: number;
  readonly #userAgent: string;

  constructor(options: HttpClientOptions) {
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    for (const [api, base] of Object.entries(options.baseUrls) as Array<[ApiName, string]>) {
      const url = new URL(base);
      const pool = new Pool(url.origin, {
        connections: options.connections ?? 8,
        connectTimeout: options.connectTimeoutMs ?? 10_000,
        headersTimeout: this.#requestTimeoutMs,
        bodyTimeout: this.#requestTimeoutMs,
        keepAliveTimeout: 30_000,
        maxResponseSize: options.maxBodyBytes ?? 64 * 1024 * 1024,
      });
      this.#targets.set(api, { pool, prefix: url.pathname.replace(/\/+$/, '') });
    }
  }

  async send(req: ApiRequest, signal?: AbortSignal): Promise<HttpResponse> {
    const target = this.#target(req.api);
    const path = `${target.prefix}${req.path ?? req.endpoint}${encodeQuery(req.params)}`;
    const timeout = AbortSignal.timeout(this.#requestTimeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const started = performance.now();
    const headers: Record<string, string> = {
      'user-agent': this.#userAgent,
      accept: 'application/json',
      'accept-encoding': 'gzip, deflate, br',
    };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const where = { endpoint: endpointId(req.api, req.endpoint), params: paramsText(req.params) };
    try {
      const res = await target.pool.request({
        method: req.method ?? 'GET',
        path,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: combined,
      });
      const encoding = res.headers['content-encoding'];
      const text =
        encoding === undefined || encoding === 'identity' ? await res.body.text() : (await decode(Buffer.from(await res.body.arrayBuffer()), encoding, res.statusCode, where)).toString('utf8');
      return {
        status: res.statusCode,
        headers: flattenHeaders(res.headers),
        text,
        latencyMs: performance.now() - started,
        url: path,
      };
    } catch (err) {
      if (signal?.aborted) throw new AbortedError('request aborted', { endpoint: where.endpoint });
      if (err instanceof HttpError) throw err;
      const timedOut = timeout.aborted || isTimeout(err);
      throw new HttpError(timedOut ? `request timed out after ${Math.round(performance.now() - started)} ms` : `network error: ${errorText(err)}`, where, {
        reason: timedOut ? 'timeout' : 'network',
        retryable: true,
        cause: err,
      });
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#targets.values()].map((t) => t.pool.close()));
    this.#targets.clear();
  }

  #target(api: ApiName): Target {
    const t = this.#targets.get(api);
    if (!t) throw new HttpError(`no base URL configured for API "${api}"`, { endpoint: api }, { retryable: false });
    return t;
  }
}

const DECODERS: Record<string, (b: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
  zstd: promisify(zstdDecompress),
};

/** Undoes Content-Encoding (possibly several, applied in order). */
async function decode(body: Buffer, encoding: string | string[] | undefined, status: number, where: ErrorContext): Promise<Buffer> {
  const codings = (Array.isArray(encoding) ? encoding.join(',') : (encoding ?? ''))
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c && c !== 'identity');
  let out = body;
  for (const coding of codings.reverse()) {
    const decoder = DECODERS[coding];
    if (!decoder) throw new HttpError(`unsupported content-encoding "${coding}"`, { ...where, encoding: coding }, { status, retryable: false });
    out = await decoder(out);
  }
  return out;
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function isTimeout(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  const name = (err as { name?: string })?.name ?? '';
  return name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

function errorText(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return [e?.code, e?.message].filter(Boolean).join(' ') || String(err);
}
