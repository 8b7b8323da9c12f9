/**
 * What every fetcher of a run shares: the API caller (HTTP, limits, retries), the publisher and
 * the encoders of the raw and control topics, the cursors read at start, metrics and progress,
 * the stop signal, and the run's generation. It also turns the three kinds of trouble into
 * records: failures (a request that gave up), gaps (history the API cannot give) and dead
 * letters (malformed bodies, records that do not fit their schema).
 */
import { AbortedError, describeError, HttpError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import { endpointId, paramsText } from './http/apis.ts';
import type { ApiCaller, MalformedBody } from './http/caller.ts';
import { type FetcherName, fetcherOf, type IngestMetrics } from './metrics.ts';
import { type Cursor, type CursorStore, cursorKey, emptyCursor } from './records/cursors.ts';
import type { ControlRecord, Encoder, Publisher } from './records/publisher.ts';
import type { ApiClock } from './server-time.ts';
import type { IngestSettings } from './settings.ts';

export type RawTopic = 'rawGammaMarkets' | 'rawGammaEvents' | 'rawClobMarkets' | 'rawTrades' | 'rawLeaderboard' | 'rawHolders' | 'rawOpenInterest' | 'rawPrices' | 'rawMarketWs';
export type ControlTopic = 'cursors' | 'gaps' | 'failures';
export type Encoders = Record<RawTopic | ControlTopic, Encoder>;

/** The Avro `Gap` record. Times are Unix ms. */
export interface GapRecord {
  endpoint: string;
  market: string | null;
  token: string | null;
  start: number | null;
  end: number | null;
  reason: string;
  detail: string | null;
  recordsMissing: number | null;
  detectedAt: number;
}

/** The Avro `Failure` record. */
export interface FailureRecord {
  endpoint: string;
  params: string;
  scope: string | null;
  status: number | null;
  lastError: string;
  attempts: number;
  firstAttemptAt: number | null;
  failedAt: number;
}

export interface UnitRef {
  fetcher: FetcherName;
  endpoint: string;
  scope: string;
}

export type UnitOutcome = 'complete' | 'stopped' | 'failed';

export interface IngestContextOptions {
  settings: IngestSettings;
  caller: ApiCaller;
  publisher: Publisher;
  encoders: Encoders;
  cursors: CursorStore;
  metrics: IngestMetrics;
  logger: Logger;
  /** No new requests once aborted. */
  stop: AbortSignal;
  /** Unix seconds the run (its generation) started; identifies the generation. */
  generation: number;
  /**
   * Unix seconds, by the API's clock, up to which this generation reads (open windows end here).
   * One second before the server's time when the generation started, so the point the price
   * history appends stamped "now" is never inside a window.
   */
  horizon: number;
  /** The API's clock, for what reads it again (follow mode's passes). */
  clock: ApiClock;
}

export class IngestContext {
  readonly settings: IngestSettings;
  readonly caller: ApiCaller;
  readonly publisher: Publisher;
  readonly enc: Encoders;
  readonly cursors: CursorStore;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
  readonly stop: AbortSignal;
  readonly generation: number;
  readonly horizon: number;
  readonly clock: ApiClock;
  failures = 0;
  /** The key of the last failure record written (endpoint, scope and the request's params). */
  lastFailure: string | undefined;
  gaps = 0;
  deadLetters = 0;

  constructor(o: IngestContextOptions) {
    this.settings = o.settings;
    this.caller = o.caller;
    this.publisher = o.publisher;
    this.enc = o.encoders;
    this.cursors = o.cursors;
    this.metrics = o.metrics;
    this.logger = o.logger;
    this.stop = o.stop;
    this.generation = o.generation;
    this.horizon = o.horizon;
    this.clock = o.clock;
  }

  /** Stores a cursor in memory and returns the record to publish after its page. */
  cursorRecord(c: Cursor): ControlRecord {
    const value = { ...c, updatedAt: Date.now() };
    this.cursors.set(value);
    return { encoder: this.enc.cursors, key: cursorKey(c.endpoint, c.scope), value };
  }

  /** The stored cursor of a unit, or a fresh one. */
  cursorOf(endpoint: string, scope: string): Cursor {
    return this.cursors.get(endpoint, scope) ?? emptyCursor(endpoint, scope);
  }

  gapRecord(fetcher: FetcherName, gap: Omit<GapRecord, 'detectedAt' | 'recordsMissing'> & { recordsMissing?: number | null }): ControlRecord {
    this.gaps++;
    this.metrics.gap(gap.endpoint, gap.reason);
    this.logger.warn('history gap', { fetcher, ...gap });
    const value: GapRecord = { ...gap, recordsMissing: gap.recordsMissing ?? null, detectedAt: Date.now() };
    return { encoder: this.enc.gaps, key: `${gap.endpoint}|${gap.market ?? gap.token ?? ''}|${gap.start ?? ''}|${gap.end ?? ''}`, value };
  }

  /** Publishes a failure record for a request that gave up (or was refused for good). */
  async fail(unit: UnitRef, err: HttpError): Promise<void> {
    this.failures++;
    this.metrics.failed(unit.fetcher, unit.endpoint);
    const ctx = err.context;
    const value: FailureRecord = {
      endpoint: unit.endpoint,
      params: typeof ctx.params === 'string' ? ctx.params : paramsText(undefined),
      scope: unit.scope || null,
      status: err.status ?? null,
      lastError: describeError(err).slice(0, 4_000),
      attempts: typeof ctx.attempts === 'number' ? ctx.attempts : 1,
      firstAttemptAt: null,
      failedAt: Date.now(),
    };
    this.logger.error('request failed after its retries; recorded in pma.failures', { fetcher: unit.fetcher, scope: unit.scope, err });
    this.lastFailure = failureKey(value);
    await this.publisher.control([{ encoder: this.enc.failures, key: this.lastFailure, value }]);
  }

  /** Dead-letters a malformed body with its raw text and the reason; the request is then retried. */
  async malformed(m: MalformedBody): Promise<void> {
    this.deadLetters++;
    const endpoint = endpointId(m.request.api, m.request.endpoint);
    this.metrics.deadLettered(fetcherOf(m.request.api, m.request.endpoint), `malformed-${m.error.reason}`);
    await this.publisher.deadLetter({
      key: `${endpoint}|${paramsText(m.request.params)}|${m.attempt}`,
      body: m.response.text,
      reason: `malformed-body:${m.error.reason}`,
      error: describeError(m.error),
      source: { endpoint, params: paramsText(m.request.params), fetchedAt: m.fetchedAt },
    });
  }

  /**
   * Runs one unit of work (a market's trades, a token's prices, a board, a listing). A request
   * that gave up becomes a failure record and ends the unit (its cursor stays where it was, so
   * a later run or `--retry-failures` resumes it); stopping ends it quietly.
   */
  async runUnit(unit: UnitRef, body: () => Promise<void>): Promise<UnitOutcome> {
    try {
      await body();
      return 'complete';
    } catch (err) {
      if (err instanceof AbortedError || (this.stop.aborted && !(err instanceof HttpError))) return 'stopped';
      if (err instanceof HttpError) {
        await this.fail(unit, err);
        return 'failed';
      }
      throw err;
    }
  }
}

/** A failure record's key: the request that gave up, within its unit. */
export function failureKey(f: Pick<FailureRecord, 'endpoint' | 'scope' | 'params'>): string {
  return `${f.endpoint}|${f.scope ?? ''}|${f.params}`;
}
