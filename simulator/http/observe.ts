/**
 * The request log (a bounded ring of recent requests, for tests to assert on) and the counters
 * served on `/__sim/stats`.
 */
import { getHeapSpaceStatistics } from 'node:v8';

export interface RequestLogEntry {
  seq: number;
  /** Real wall-clock time the request arrived (ms). */
  at: number;
  method: string;
  /** Full path including the API prefix, e.g. "/data/trades". */
  path: string;
  /** Route id, e.g. "data:/trades" ("-" when no route matched). */
  route: string;
  query: string;
  status: number;
  latencyMs: number;
  bytes: number;
  /** Faults injected into this request. */
  faults: string[];
  /** Time held by rate limiting (ms). */
  throttledMs: number;
  /** Served from a captured sample. */
  fixture: boolean;
}

export class RequestLog {
  readonly #ring: (RequestLogEntry | undefined)[];
  #next = 0;
  #total = 0;

  constructor(size: number) {
    this.#ring = new Array(size);
  }

  push(entry: Omit<RequestLogEntry, 'seq'>): void {
    if (this.#ring.length === 0) return;
    this.#ring[this.#next] = { seq: this.#total, ...entry };
    this.#next = (this.#next + 1) % this.#ring.length;
    this.#total++;
  }

  /** Entries oldest first (at most the ring's size). */
  entries(): RequestLogEntry[] {
    const out: RequestLogEntry[] = [];
    for (let i = 0; i < this.#ring.length; i++) {
      const e = this.#ring[(this.#next + i) % this.#ring.length];
      if (e) out.push(e);
    }
    return out;
  }

  clear(): void {
    this.#ring.fill(undefined);
    this.#next = 0;
  }

  get size(): number {
    return this.#total;
  }
}

interface RouteStats {
  requests: number;
  statuses: Record<string, number>;
  bytes: number;
  latencyMsTotal: number;
  latencyMsMax: number;
}

export class SimStats {
  readonly startedAt = Date.now();
  requests = 0;
  throttled = 0;
  throttledMsTotal = 0;
  rejected = 0;
  fixtureHits = 0;
  readonly routes = new Map<string, RouteStats>();
  ws = { connections: 0, open: 0, framesIn: 0, framesOut: 0, dropped: 0, silenced: 0, closedByRules: 0 };

  record(route: string, status: number, bytes: number, latencyMs: number): void {
    this.requests++;
    let r = this.routes.get(route);
    if (!r) {
      r = { requests: 0, statuses: {}, bytes: 0, latencyMsTotal: 0, latencyMsMax: 0 };
      this.routes.set(route, r);
    }
    r.requests++;
    r.statuses[status] = (r.statuses[status] ?? 0) + 1;
    r.bytes += bytes;
    r.latencyMsTotal += latencyMs;
    r.latencyMsMax = Math.max(r.latencyMsMax, latencyMs);
  }

  /** Memory of this process, MB: what `pma bench sim` and soak tests watch. */
  static memory(): Record<string, number> {
    const u = process.memoryUsage();
    const mb = (n: number) => Math.round(n / 1e5) / 10;
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((sp) => [sp.space_name, sp.space_size]));
    return {
      rss: mb(u.rss),
      heapUsed: mb(u.heapUsed),
      heapTotal: mb(u.heapTotal),
      external: mb(u.external),
      arrayBuffers: mb(u.arrayBuffers),
      newSpace: mb(spaces.new_space ?? 0),
      oldSpace: mb(spaces.old_space ?? 0),
      largeObjectSpace: mb(spaces.large_object_space ?? 0),
    };
  }

  toJSON(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const routes: Record<string, unknown> = {};
    for (const [k, r] of this.routes) {
      routes[k] = { ...r, latencyMsMean: r.requests ? Math.round((r.latencyMsTotal / r.requests) * 1000) / 1000 : 0 };
    }
    return {
      uptimeMs: Date.now() - this.startedAt,
      requests: this.requests,
      throttled: this.throttled,
      throttledMsTotal: Math.round(this.throttledMsTotal),
      rejected429: this.rejected,
      fixtureHits: this.fixtureHits,
      routes,
      ws: this.ws,
      memory: SimStats.memory(),
      ...extra,
    };
  }
}
