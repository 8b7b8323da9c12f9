/**
 * API objects to raw Avro records (`toRaw…`, one per raw record type) and back
 * (`rawMapper(name).fromRaw`, or `fromRawPricePoint` for a price point). The mapping is driven
 * by the .avsc files (see mapper.ts): named keys are type-checked, everything else is kept in
 * `extra`. Producers call `toRaw…` right before encoding; a wrong JSON type on a named key
 * throws a SchemaValidationError naming the field and the value.
 */
import { loadSchema } from '../index.ts';
import { compileRecordMapper, type RecordMapper } from './mapper.ts';
import type { RawClobMarket, RawGammaEvent, RawGammaMarket, RawHolder, RawLeaderboardRow, RawOpenInterest, RawPricePoint, RawTrade, RawWsMarketEvent } from './types.ts';

export { RecordMapper } from './mapper.ts';
export type * from './types.ts';

/** The raw schema names, as `schemas/topics.ts` names them. */
export const RAW_SCHEMAS = [
  'raw-gamma-market',
  'raw-gamma-event',
  'raw-clob-market',
  'raw-trade',
  'raw-leaderboard-row',
  'raw-holder',
  'raw-open-interest',
  'raw-price-point',
  'raw-ws-market-event',
] as const;
export type RawSchemaName = (typeof RAW_SCHEMAS)[number];

const mappers = new Map<string, RecordMapper>();

/** The compiled mapping of a raw schema (compiled once, then shared). */
export function rawMapper(name: RawSchemaName): RecordMapper {
  let mapper = mappers.get(name);
  if (!mapper) {
    mapper = compileRecordMapper(loadSchema(name));
    mappers.set(name, mapper);
  }
  return mapper;
}

/** The request a /prices-history point came from; the API returns only {t, p}. */
export interface PricePointContext {
  /** The token id asked for (the endpoint's `market` parameter). */
  token: string;
  interval?: string | null;
  /** Minutes between points. */
  fidelity?: number | null;
  /** Unix seconds. */
  startTs?: number | null;
  /** Unix seconds. */
  endTs?: number | null;
  /** When the response arrived, Unix ms. */
  fetchedAt?: number | null;
}

/** The board a /v1/leaderboard row came from. */
export interface LeaderboardContext {
  category?: string | null;
  timePeriod?: string | null;
  orderBy?: string | null;
  /** The board's snapshot, Unix ms: when the pass reading it began (one value for every row of the pass). */
  fetchedAt?: number | null;
}

/** The request a /holders row came from: the market asked for, the token it was listed under, the pass's snapshot. */
export interface HolderContext {
  market?: string | null;
  token?: string | null;
  /** The snapshot, Unix ms: when the pass reading every market began. */
  fetchedAt?: number | null;
}

/** The pass an /oi element came from. */
export interface OpenInterestContext {
  /** The snapshot, Unix ms: when the pass reading every market began. */
  fetchedAt?: number | null;
}

export function toRawGammaMarket(apiObject: unknown): RawGammaMarket {
  return rawMapper('raw-gamma-market').toRaw(apiObject) as unknown as RawGammaMarket;
}

export function toRawGammaEvent(apiObject: unknown): RawGammaEvent {
  return rawMapper('raw-gamma-event').toRaw(apiObject) as unknown as RawGammaEvent;
}

export function toRawClobMarket(apiObject: unknown): RawClobMarket {
  return rawMapper('raw-clob-market').toRaw(apiObject) as unknown as RawClobMarket;
}

export function toRawTrade(apiObject: unknown): RawTrade {
  return rawMapper('raw-trade').toRaw(apiObject) as unknown as RawTrade;
}

export function toRawLeaderboardRow(apiObject: unknown, context: LeaderboardContext = {}): RawLeaderboardRow {
  return rawMapper('raw-leaderboard-row').toRaw(apiObject, { ...context }) as unknown as RawLeaderboardRow;
}

export function toRawHolder(apiObject: unknown, context: HolderContext = {}): RawHolder {
  return rawMapper('raw-holder').toRaw(apiObject, { ...context }) as unknown as RawHolder;
}

export function toRawOpenInterest(apiObject: unknown, context: OpenInterestContext = {}): RawOpenInterest {
  return rawMapper('raw-open-interest').toRaw(apiObject, { ...context }) as unknown as RawOpenInterest;
}

export function toRawPricePoint(apiObject: unknown, context: PricePointContext): RawPricePoint {
  return rawMapper('raw-price-point').toRaw(apiObject, { ...context }) as unknown as RawPricePoint;
}

/** One market-channel event (one element when a frame is a JSON array). */
export function toRawWsMarketEvent(apiObject: unknown): RawWsMarketEvent {
  return rawMapper('raw-ws-market-event').toRaw(apiObject) as unknown as RawWsMarketEvent;
}

/** Options for turning a raw record back into API JSON. */
export interface FromRawOptions {
  /** Emit null for null fields instead of omitting them (the CLOB listing sends explicit nulls). */
  keepNulls?: boolean;
}

/** The `{t, p}` point (plus any extra keys); the request context is left out. */
export function fromRawPricePoint(record: RawPricePoint, options?: FromRawOptions): Record<string, unknown> {
  return rawMapper('raw-price-point').fromRaw(record as unknown as Record<string, unknown>, options);
}
