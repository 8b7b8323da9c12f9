/**
 * One API call done right: wait for the rate limiter, send, check the status and the body's
 * shape, and retry what is worth retrying (429, 5xx, timeouts, resets, malformed bodies) with
 * backoff and full jitter, honouring Retry-After. Throttling (a 429, or a response the server
 * visibly held back) slows the shared bucket. Every malformed body is handed to `onMalformed`
 * (the dead-letter topic) before the retry. Other 4xx answers are not retried: they throw at
 * once so the fetcher can read them (an offset cap, an unknown category). After the last try
 * the call throws an HttpError with `exhausted: true` for the failures topic.
 */
import type { z } from 'zod';
import { AbortedError, HttpError, ResponseShapeError } from '../../runtime/errors.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import { backoffMs, DEFAULT_RETRY, isRetryableStatus, parseRetryAfter, type RetryPolicy, sleep } from '../limits/retry.ts';
import { type ApiName, type ApiRequest, endpointId, paramsText } from './apis.ts';
import { errorMessage, parseBody } from './body.ts';
import type { HttpClient, HttpResponse } from './client.ts';

export interface CallObserver {
  response?(api: ApiName, endpoint: string, status: number, latencyMs: number): void;
  transportError?(api: ApiName, endpoint: string, reason: string): void;
  retry?(api: ApiName, endpoint: string, reason: string): void;
  throttled?(api: ApiName, endpoint: string, kind: 'reject' | 'delay'): void;
}

export interface MalformedBody {
  request: ApiRequest;
  response: HttpResponse;
  error: ResponseShapeError;
  attempt: number;
  fetchedAt: number;
}

export interface ApiCallerOptions {
  client: HttpClient;
  limiter: RateLimiter;
  retry?: RetryPolicy;
  /** Aborts waits and retries: no new request starts once it fires. */
  stopSignal: AbortSignal;
  /** Aborts requests in flight (the shutdown deadline). Defaults to never. */
  hardSignal?: AbortSignal;
  observer?: CallObserver;
  onMalformed?: (m: MalformedBody) => Promise<void>;
  /** A response slower than max(this, 5 × the usual latency) counts as throttled (held by the server). Default 1,500 ms: local stalls (GC, a busy machine) stay below it. */
  delayFloorMs?: number;
  random?: () => number;
}

export interface CallResult<T> {
  value: T;
  response: HttpResponse;
  fetchedAt: number;
  attempts: number;
}

export class ApiCaller {
  readonly #o: ApiCallerOptions;
  readonly #retry: RetryPolicy;
  readonly #latency = new Map<string, number>();

  constructor(options: ApiCallerOptions) {
    this.#o = options;
    this.#retry = options.retry ?? DEFAULT_RETRY;
  }

  get stopSignal(): AbortSignal {
    return this.#o.stopSignal;
  }

  async call<S extends z.ZodType>(req: ApiRequest, schema: S): Promise<CallResult<z.output<S>>> {
    const { api, endpoint } = req;
    const id = endpointId(api, endpoint);
    const params = paramsText(req.params);
    let lastError: HttpError | ResponseShapeError | undefined;
    for (let attempt = 1; attempt <= this.#retry.attempts; attempt++) {
      if (this.#o.stopSignal.aborted) throw new AbortedError('stopping: request not started', { endpoint: id, params });
      await this.#o.limiter.acquire(api, endpoint, this.#o.stopSignal);
      const fetchedAt = Date.now();
      let response: HttpResponse;
      try {
        response = await this.#o.client.send(req, this.#o.hardSignal);
      } catch (err) {
        if (!(err instanceof HttpError) || !err.retryable) throw err;
        const reason = err.reason ?? 'network';
        this.#o.observer?.transportError?.(api, endpoint, reason);
        lastError = err;
        await this.#pause(req, attempt, reason, undefined);
        continue;
      }
      this.#o.observer?.response?.(api, endpoint, response.status, response.latencyMs);
      if (response.status >= 200 && response.status < 300) {
        try {
          const value = parseBody(response.text, schema, { endpoint: id, params, status: response.status });
          this.#noteLatency(req, response.latencyMs);
          return { value, response, fetchedAt, attempts: attempt };
        } catch (err) {
          if (!(err instanceof ResponseShapeError)) throw err;
          lastError = err;
          await this.#o.onMalformed?.({ request: req, response, error: err, attempt, fetchedAt });
          await this.#pause(req, attempt, `malformed:${err.reason}`, undefined);
          continue;
        }
      }
      const message = errorMessage(response.text);
      const retryable = isRetryableStatus(response.status);
      const httpError = new HttpError(`HTTP ${response.status}: ${message}`, { endpoint: id, params, body: response.text.slice(0, 2_000), attempts: attempt }, { status: response.status, retryable });
      if (!retryable) throw httpError;
      lastError = httpError;
      const retryAfter = parseRetryAfter(response.headers['retry-after']) ?? retryAfterFromBody(response.text);
      if (response.status === 429) {
        this.#o.limiter.throttled(api, endpoint, 'reject', retryAfter);
        this.#o.observer?.throttled?.(api, endpoint, 'reject');
      }
      await this.#pause(req, attempt, `status:${response.status}`, retryAfter);
    }
    throw new HttpError(
      `gave up after ${this.#retry.attempts} tries: ${lastError?.message ?? 'unknown error'}`,
      { endpoint: id, params, attempts: this.#retry.attempts, lastError: lastError?.message },
      { status: lastError?.status, retryable: true, exhausted: true, cause: lastError },
    );
  }

  /** Waits before the next try; throws AbortedError if stopping. */
  async #pause(req: ApiRequest, attempt: number, reason: string, retryAfterMs: number | undefined): Promise<void> {
    if (attempt >= this.#retry.attempts) return;
    this.#o.observer?.retry?.(req.api, req.endpoint, reason);
    const wait = Math.max(retryAfterMs ?? 0, backoffMs(this.#retry, attempt, this.#o.random));
    if (!(await sleep(wait, this.#o.stopSignal))) {
      throw new AbortedError('stopping: retry abandoned', { endpoint: endpointId(req.api, req.endpoint), params: paramsText(req.params) });
    }
  }

  #noteLatency(req: ApiRequest, latencyMs: number): void {
    const key = endpointId(req.api, req.endpoint);
    const usual = this.#latency.get(key);
    const floor = this.#o.delayFloorMs ?? 1_500;
    if (usual !== undefined && latencyMs > Math.max(floor, usual * 5)) {
      this.#o.limiter.throttled(req.api, req.endpoint, 'delay');
      this.#o.observer?.throttled?.(req.api, req.endpoint, 'delay');
    } else {
      this.#o.limiter.succeeded(req.api, req.endpoint);
    }
    this.#latency.set(key, usual === undefined ? latencyMs : usual * 0.9 + latencyMs * 0.1);
  }
}

/** CLOB and Data API v2 error bodies may carry `retry_after_seconds`. */
function retryAfterFromBody(text: string): number | undefined {
  try {
    const v = JSON.parse(text) as { retry_after_seconds?: unknown };
    return typeof v?.retry_after_seconds === 'number' ? v.retry_after_seconds * 1000 : undefined;
  } catch {
    return undefined;
  }
}
