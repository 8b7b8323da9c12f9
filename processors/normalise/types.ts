/**
 * What a normaliser takes and gives. A normaliser is a pure function from one decoded raw record
 * (with its key, timestamp and headers) to zero or more clean records; it throws a NormaliseError
 * naming the field when the raw record cannot be read. Enrichment happens later, in the stream.
 */
import type { CleanRecordByTopic, CleanTopicKey } from '../../schemas/clean-records.ts';
import type { Headers } from '../../transport/types.ts';
import type { RawRecord } from './values.ts';

export interface RawInput {
  /** The raw record key as text (producers key every record deterministically). */
  key: string;
  value: RawRecord;
  /** The raw record's log timestamp, epoch ms: when the producer fetched it. */
  timestamp: number;
  headers: Headers;
}

/** One clean record bound for a clean topic. */
export type CleanOutput = {
  [K in CleanTopicKey]: { topic: K; key: string; value: CleanRecordByTopic[K] };
}[CleanTopicKey];

export type Normaliser = (input: RawInput) => CleanOutput[];
