/**
 * What a normaliser takes and gives. A normaliser is a pure function from one decoded raw record
 * (with its key, timestamp and headers) to zero or more clean records; it throws a NormaliseError
 * naming the field when the raw record cannot be read. Enrichment happens later, in the stream.
 */
import { NormaliseError } from '../../runtime/errors.ts';
import type { CleanRecordByTopic, CleanTopicKey } from '../../schemas/clean-records.ts';
import type { Headers } from '../../transport/types.ts';
import type { RawRecord } from './values.ts';

export interface RawInput {
  /** The raw record key as text (producers key every record deterministically). */
  key: string;
  value: RawRecord;
  /** The raw record's log timestamp, epoch ms. */
  timestamp: number;
  headers: Headers;
}

/** Header names the producers set on raw records (producers/records/headers.ts). */
export const RAW_HEADERS = {
  /** Unix ms when the response arrived. */
  fetchedAt: 'pma-fetched-at',
  /** Trades: "taker" or "maker". */
  fillRole: 'pma-fill-role',
} as const;

/** When the record was fetched: the producer's header, else the record's log timestamp. */
export function fetchedAt(input: RawInput): number {
  const header = input.headers[RAW_HEADERS.fetchedAt];
  const ms = header === undefined ? Number.NaN : Number(header);
  return Number.isSafeInteger(ms) ? ms : input.timestamp;
}

/** One clean record bound for a clean topic. */
export type CleanOutput = {
  [K in CleanTopicKey]: { topic: K; key: string; value: CleanRecordByTopic[K] };
}[CleanTopicKey];

export type Normaliser = (input: RawInput) => CleanOutput[];

/** The record key of a fact record, which is its identity: a fact without one cannot be deduplicated. */
export function requiredKey(input: RawInput): string {
  if (input.key === '') throw new NormaliseError('record has no key (producers key every record)', { field: 'key' });
  return input.key;
}
