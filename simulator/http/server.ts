/**
 * The simulator's HTTP front: one node:http server for the three APIs under `/gamma`, `/data`
 * and `/clob`, the control endpoints under `/__sim`, and (upgrade) the market WebSocket.
 *
 * A request goes: captured-sample overlay → rate limit (hold or 429) → faults decided before the
 * handler (reset, hang, 5xx, 429) → handler (pure over the world at the request's time) → faults on
 * the records and the body (unknown/missing field, malformed, truncated) → write (slowly, if told).
 * Every request lands in the request log and the counters.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { describeError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import type { Overlay } from '../world/fixtures.ts';
import { addUnknownField, DEFAULT_MISSING_FIELD, dropField, type FiredFault } from './faults.ts';
import type { RateLimiter } from './limits.ts';
import type { RequestLog, SimStats } from './observe.ts';
import type { Router } from './router.ts';
import { type ApiName, bodyOf, envelopeOf, gammaError, headersOf, JSON_TYPE, type LazyRecords, plainError, recordsOf, type SimContext, type SimRequest, type SimResponse, text } from './types.ts';

const APIS: readonly ApiName[] = ['gamma', 'data', 'clob'];
const MAX_BODY = 1 << 20;

export interface HttpDeps {
  ctx: SimContext;
  router: Router;
  limiter: RateLimiter | null;
  log: RequestLog;
  stats: SimStats;
  overlays: readonly Overlay[];
  logger: Logger;
  /** Control endpoints (`/__sim/...`): return null when the path is not one of theirs. */
  control: (method: string, path: string, query: URLSearchParams, body: unknown) => Promise<SimResponse | null> | SimResponse | null;
}

function overlayFor(overlays: ReadonlyMap<string, readonly Overlay[]>, api: ApiName, path: string, query: URLSearchParams): Overlay | null {
  const candidates = overlays.get(`${api}${path}`);
  if (!candidates) return null;
  const keys = [...new Set(query.keys())];
  for (const o of candidates) {
    const want = Object.keys(o.query);
    if (want.length !== keys.length || !keys.every((k) => want.includes(k))) continue;
    if (want.every((k) => query.getAll(k).length === 1 && (o.query[k] === '*' || o.query[k] === query.get(k)))) return o;
  }
  return null;
}

function errorBody(api: ApiName, status: number): SimResponse {
  if (api === 'gamma') return gammaError(status, 'internal error', 'cannot get the information');
  if (status === 502 || status === 504) {
    return text(status, `<html><head><title>${status} Bad Gateway</title></head><body><center><h1>${status}</h1></center><hr><center>cloudflare</center></body></html>`, 'text/html');
  }
  return plainError(status, status === 503 ? 'service unavailable' : 'internal server error');
}

function readBody(req: IncomingMessage): Promise<{ body: unknown; error: string | null }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size === 0) return resolve({ body: undefined, error: 'empty body' });
      if (size > MAX_BODY) return resolve({ body: undefined, error: 'body too large' });
      try {
        resolve({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), error: null });
      } catch (err) {
        resolve({ body: undefined, error: (err as Error).message });
      }
    });
    req.on('error', (err) => resolve({ body: undefined, error: err.message }));
  });
}

/** Applies record-level faults, then renders the body (null: a page whose records can be streamed as they are). */
function renderBody(res: SimResponse, fired: FiredFault[], routeId: string, api: ApiName): string | Buffer | null {
  if (!res.records && !res.lazy) return res.body;
  if (!fired.some((f) => f.kind === 'unknown-field' || f.kind === 'missing-field')) return null;
  let records = recordsOf(res)!;
  for (const f of fired) {
    if (f.kind === 'unknown-field') records = records.map((r) => addUnknownField(r, f.rule.field ?? 'simUnknownField'));
    if (f.kind === 'missing-field') {
      const field = f.rule.field ?? DEFAULT_MISSING_FIELD[routeId] ?? DEFAULT_MISSING_FIELD[api]!;
      records = records.map((r) => dropField(r, field));
    }
  }
  return bodyOf(res, records);
}

/** Longest a lazy page renders before the server turns to other requests. */
const SLICE_MS = 1;

export function createSimServer(deps: HttpDeps): { server: Server; hangingTimers: Set<NodeJS.Timeout> } {
  const { ctx, router, limiter, log, stats, logger } = deps;
  const hangingTimers = new Set<NodeJS.Timeout>();
  const overlays = new Map<string, Overlay[]>();
  for (const o of deps.overlays) overlays.set(`${o.api}${o.path}`, [...(overlays.get(`${o.api}${o.path}`) ?? []), o]);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const arrived = Date.now();
    const url = req.url ?? '/';
    const qm = url.indexOf('?');
    const fullPath = qm < 0 ? url : url.slice(0, qm);
    const queryText = qm < 0 ? '' : url.slice(qm + 1);
    const query = new URLSearchParams(queryText);
    const method = req.method ?? 'GET';
    const faultsFired: string[] = [];
    let throttledMs = 0;
    let routeId = '-';
    let fixture = false;

    const finish = (status: number, bytes: number) => {
      const latencyMs = performance.now() - started;
      stats.record(routeId, status, bytes, latencyMs);
      log.push({ at: arrived, method, path: fullPath, route: routeId, query: queryText, status, latencyMs, bytes, faults: faultsFired, throttledMs, fixture });
    };

    /** Writes a page record by record: one big string per page made the GC the busiest part of the server. */
    const stream = (r: SimResponse, records: readonly string[]) => {
      const [prefix, suffix] = envelopeOf(r);
      let length = Buffer.byteLength(prefix) + Buffer.byteLength(suffix) + Math.max(0, records.length - 1);
      for (const rec of records) length += Buffer.byteLength(rec);
      res.writeHead(r.status, headersOf(r, length));
      res.cork();
      res.write(prefix);
      for (let i = 0; i < records.length; i++) res.write(i === 0 ? records[i]! : `,${records[i]}`);
      res.end(suffix);
      finish(r.status, length);
    };

    /**
     * Writes a lazy page a slice at a time (SLICE_MS of rendering, then the event loop serves
     * others), waiting for the socket when it is full. A page done in its first slice goes out
     * with a content-length like any other; a longer one is sent chunked.
     */
    const streamLazy = (r: SimResponse, lazy: LazyRecords) => {
      const [prefix, suffix] = envelopeOf(r);
      let i = 0;
      let bytes = 0;
      let ended = false;
      const end = (status: number) => {
        ended = true;
        finish(status, bytes);
      };
      // A client that goes away mid-page stops the rendering (no 'drain' will come).
      res.once('close', () => {
        if (!ended) end(499);
      });
      const pump = () => {
        if (ended) return;
        // The socket knows first: a reset client destroys it a loop turn before the response hears.
        if (res.destroyed || req.socket.destroyed) return end(499);
        try {
          const until = performance.now() + SLICE_MS;
          const parts: string[] = i === 0 ? [prefix] : [];
          while (i < lazy.count) {
            parts.push(i === 0 ? lazy.render(i) : `,${lazy.render(i)}`);
            i++;
            if ((i & 7) === 0 && performance.now() >= until) break;
          }
          const done = i >= lazy.count;
          if (done) parts.push(suffix);
          const chunk = parts.join('');
          const n = Buffer.byteLength(chunk);
          bytes += n;
          if (!res.headersSent) res.writeHead(r.status, headersOf(r, done ? n : undefined));
          if (done) {
            res.end(chunk);
            return end(r.status);
          }
          if (res.write(chunk)) setImmediate(pump);
          else res.once('drain', pump);
        } catch (err) {
          logger.error('simulator page failed while streaming', { path: fullPath, error: describeError(err) });
          end(500);
          res.destroy();
        }
      };
      pump();
    };

    const send = (r: SimResponse, body: string | Buffer = bodyOf(r), slowMs = 0) => {
      const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      res.writeHead(r.status, headersOf(r, buf.length));
      if (slowMs <= 0 || buf.length === 0) {
        res.end(buf);
        finish(r.status, buf.length);
        return;
      }
      // Slow body: ~20 chunks spread over slowMs.
      const chunk = Math.max(1, Math.ceil(buf.length / 20));
      let at = 0;
      const tick = () => {
        if (res.destroyed) return finish(r.status, at);
        const next = Math.min(buf.length, at + chunk);
        res.write(buf.subarray(at, next));
        at = next;
        if (at >= buf.length) {
          res.end();
          finish(r.status, buf.length);
        } else {
          const t = setTimeout(() => {
            hangingTimers.delete(t);
            tick();
          }, slowMs / 20);
          hangingTimers.add(t);
        }
      };
      tick();
    };

    try {
      if (url.length > 8_192) return send(text(414, 'URI Too Long'));
      if (fullPath.startsWith('/__sim')) {
        routeId = `control:${fullPath}`;
        const body = method === 'GET' || method === 'DELETE' ? { body: undefined, error: null } : await readBody(req);
        const r = await deps.control(method, fullPath, query, body.body);
        return send(r ?? text(404, '404 page not found'));
      }
      const slash = fullPath.indexOf('/', 1);
      const api = fullPath.slice(1, slash < 0 ? undefined : slash) as ApiName;
      if (!APIS.includes(api)) return send(text(404, '404 page not found'));
      const path = slash < 0 ? '/' : fullPath.slice(slash) || '/';
      const match = router.match(api, method, path);
      if (!match) {
        routeId = `${api}:?`;
        return send(router.hasPath(api, path) ? text(405, 'Method Not Allowed') : text(404, '404 page not found'));
      }
      routeId = `${api}:${match.route.template}`;

      const overlay = method === 'GET' ? overlayFor(overlays, api, path, query) : null;

      if (limiter) {
        const adm = limiter.admit(api, match.route.template, performance.now());
        if ('rejectRetryAfterSec' in adm) {
          stats.rejected++;
          return send(text(429, 'error code: 1015', 'text/plain; charset=UTF-8', { 'retry-after': String(adm.rejectRetryAfterSec) }));
        }
        if (adm.delayMs > 0) {
          stats.throttled++;
          stats.throttledMsTotal += adm.delayMs;
          throttledMs = adm.delayMs;
          await new Promise((r) => setTimeout(r, adm.delayMs));
          if (res.destroyed) return finish(499, 0);
        }
      }

      const fired = ctx.faults.decide(routeId, url);
      for (const f of fired) faultsFired.push(f.kind);
      const first = (kind: string) => fired.find((f) => f.kind === kind);
      if (first('reset')) {
        req.socket.destroy();
        return finish(0, 0);
      }
      const hang = first('hang');
      if (hang) {
        const t = setTimeout(() => {
          hangingTimers.delete(t);
          req.socket.destroy();
          finish(0, 0);
        }, hang.rule.delayMs ?? 120_000);
        hangingTimers.add(t);
        return;
      }
      const err = first('error');
      if (err) return send(errorBody(api, err.rule.status ?? [500, 502, 503, 504][err.draw % 4]!));
      if (first('rate-limit')) {
        stats.rejected++;
        return send(text(429, 'error code: 1015', 'text/plain; charset=UTF-8', { 'retry-after': String(1 + (first('rate-limit')!.draw % 5)) }));
      }

      let r: SimResponse;
      if (overlay) {
        fixture = true;
        stats.fixtureHits++;
        r = { status: overlay.status, body: overlay.body, contentType: JSON_TYPE };
      } else {
        const body = method === 'POST' ? await readBody(req) : { body: undefined, error: null };
        const simReq: SimRequest = {
          api,
          method,
          path,
          template: match.route.template,
          params: match.params,
          query,
          body: body.body,
          bodyError: body.error,
          now: ctx.world.clock.now(),
          ctx,
          recordFaults: fired.some((f) => f.kind === 'unknown-field' || f.kind === 'missing-field'),
          fault: (kind) => {
            const f = first(kind);
            return f ? { rows: f.rule.rows ?? 3 } : null;
          },
        };
        r = match.route.handler(simReq);
        if (r.release) res.once('close', r.release);
      }
      const rendered = renderBody(r, fired, routeId, api);
      const bodyFault = first('malformed') || first('truncated') || first('slow');
      if (rendered === null && !bodyFault) return r.lazy ? streamLazy(r, r.lazy) : stream(r, r.records!);
      let body = rendered ?? bodyOf(r);
      if (r.status < 400) {
        if (first('malformed')) {
          const s = body.toString();
          body = `${s.slice(0, -1)},${s.slice(-1)}`;
        }
        const cut = first('truncated');
        if (cut) {
          const s = Buffer.isBuffer(body) ? body : Buffer.from(body);
          body = s.subarray(0, Math.max(1, Math.floor(s.length * (0.2 + (cut.draw % 70) / 100))));
        }
      }
      const slow = first('slow');
      send(r, body, slow ? (slow.rule.delayMs ?? 2_000) : 0);
    } catch (err) {
      logger.error('simulator request failed', { path: fullPath, error: describeError(err) });
      if (!res.headersSent) send(plainError(500, 'internal server error'));
      else res.destroy();
    }
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    void handle(req, res);
  });
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    else socket.destroy();
  });
  return { server, hangingTimers };
}
