/**
 * What the producers count, in one place: Prometheus series (requests, latency, retries,
 * throttles, records, dead letters, failures, gaps, bucket fill) and the progress board's
 * per-fetcher counters, fed by the same events.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ProgressBoard, ProgressTask } from '../runtime/progress.ts';
import type { ApiName } from './http/apis.ts';
import type { CallObserver } from './http/caller.ts';
import type { RateLimiter } from './limits/rate-limiter.ts';

export type FetcherName = 'markets' | 'events' | 'trades' | 'prices' | 'leaderboard' | 'holders' | 'open-interest' | 'follow';

/** Which fetcher a route belongs to, for the progress board. */
export function fetcherOf(api: ApiName, endpoint: string): FetcherName {
  if (endpoint.includes('trades')) return 'trades';
  if (endpoint === '/prices-history' || endpoint === '/book') return 'prices';
  if (endpoint.includes('leaderboard')) return 'leaderboard';
  if (endpoint === '/holders') return 'holders';
  if (endpoint === '/oi') return 'open-interest';
  if (endpoint.startsWith('/events')) return 'events';
  if (api === 'clob' || endpoint.startsWith('/markets')) return 'markets';
  return 'follow';
}

export class IngestMetrics implements CallObserver {
  readonly #requests: Counter<'api' | 'endpoint' | 'status'>;
  readonly #latency: Histogram<'api' | 'endpoint'>;
  readonly #retries: Counter<'api' | 'endpoint' | 'reason'>;
  readonly #throttles: Counter<'api' | 'endpoint' | 'kind'>;
  readonly #transportErrors: Counter<'api' | 'endpoint' | 'reason'>;
  readonly #records: Counter<'topic'>;
  readonly #deadLetters: Counter<'reason'>;
  readonly #failures: Counter<'endpoint'>;
  readonly #gaps: Counter<'endpoint' | 'reason'>;
  readonly #tasks = new Map<FetcherName, ProgressTask>();
  readonly #board: ProgressBoard | undefined;

  constructor(registry: Registry, limiter: RateLimiter, board?: ProgressBoard) {
    const registers = [registry];
    this.#board = board;
    this.#requests = new Counter({ name: 'pma_ingest_requests_total', help: 'API responses by status', labelNames: ['api', 'endpoint', 'status'], registers });
    this.#latency = new Histogram({
      name: 'pma_ingest_request_duration_seconds',
      help: 'API response latency',
      labelNames: ['api', 'endpoint'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#retries = new Counter({ name: 'pma_ingest_retries_total', help: 'requests retried, by reason', labelNames: ['api', 'endpoint', 'reason'], registers });
    this.#throttles = new Counter({ name: 'pma_ingest_throttles_total', help: 'throttling signals (429 or held responses)', labelNames: ['api', 'endpoint', 'kind'], registers });
    this.#transportErrors = new Counter({ name: 'pma_ingest_transport_errors_total', help: 'timeouts and connection errors', labelNames: ['api', 'endpoint', 'reason'], registers });
    this.#records = new Counter({ name: 'pma_ingest_records_total', help: 'records published, by topic', labelNames: ['topic'], registers });
    this.#deadLetters = new Counter({ name: 'pma_ingest_dead_letters_total', help: 'records and bodies sent to pma.dlq', labelNames: ['reason'], registers });
    this.#failures = new Counter({ name: 'pma_ingest_failures_total', help: 'requests given up after their retries', labelNames: ['endpoint'], registers });
    this.#gaps = new Counter({ name: 'pma_ingest_gaps_total', help: 'spans of history reported unreachable', labelNames: ['endpoint', 'reason'], registers });
    new Gauge({
      name: 'pma_ingest_bucket_tokens',
      help: 'tokens available in each rate-limit bucket',
      labelNames: ['bucket'],
      registers,
      collect() {
        for (const b of limiter.buckets()) this.set({ bucket: b.name }, b.fill);
      },
    });
    new Gauge({
      name: 'pma_ingest_bucket_rate',
      help: 'current adaptive rate of each bucket, requests per second',
      labelNames: ['bucket'],
      registers,
      collect() {
        for (const b of limiter.buckets()) this.set({ bucket: b.name }, b.rate);
      },
    });
  }

  /** The progress task of a fetcher, created on first use. */
  task(name: FetcherName, unit = 'units'): ProgressTask | undefined {
    let t = this.#tasks.get(name);
    if (!t && this.#board) {
      t = this.#board.task(name, unit);
      this.#tasks.set(name, t);
    }
    return t;
  }

  response(api: ApiName, endpoint: string, status: number, latencyMs: number): void {
    this.#requests.inc({ api, endpoint, status: String(status) });
    this.#latency.observe({ api, endpoint }, latencyMs / 1000);
    this.#tasks.get(fetcherOf(api, endpoint))?.add('requests');
  }

  transportError(api: ApiName, endpoint: string, reason: string): void {
    this.#transportErrors.inc({ api, endpoint, reason });
    this.#requests.inc({ api, endpoint, status: reason });
    this.#tasks.get(fetcherOf(api, endpoint))?.add('requests');
  }

  retry(api: ApiName, endpoint: string, reason: string): void {
    this.#retries.inc({ api, endpoint, reason: reason.split(':')[0] ?? reason });
    this.#tasks.get(fetcherOf(api, endpoint))?.add('retries');
  }

  throttled(api: ApiName, endpoint: string, kind: 'reject' | 'delay'): void {
    this.#throttles.inc({ api, endpoint, kind });
    this.#tasks.get(fetcherOf(api, endpoint))?.add('throttles');
  }

  published(fetcher: FetcherName, topic: string, n: number): void {
    this.#records.inc({ topic }, n);
    this.#tasks.get(fetcher)?.add('records', n);
  }

  deadLettered(fetcher: FetcherName, reason: string, n = 1): void {
    this.#deadLetters.inc({ reason }, n);
    this.#tasks.get(fetcher)?.add('errors', n);
  }

  failed(fetcher: FetcherName, endpoint: string): void {
    this.#failures.inc({ endpoint });
    this.#tasks.get(fetcher)?.add('errors');
  }

  gap(endpoint: string, reason: string): void {
    this.#gaps.inc({ endpoint, reason });
  }
}
