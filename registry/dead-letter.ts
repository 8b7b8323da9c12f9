/**
 * Dead letters: a consumed message that cannot be used (bad magic byte, unknown schema id,
 * undecodable body, or a record a processor cannot normalise) is copied to the topic `pma.dlq`
 * and the consumer goes on. The dead letter keeps the original key, value bytes and headers, and
 * adds these headers (all strings); every stage writes this one scheme:
 *
 *   pma.dlq.reason            why: a DecodeFailure ("bad-magic-byte", "unknown-schema-id",
 *                             "undecodable-body", "truncated") or a caller's reason
 *                             (e.g. "normalise-failed")
 *   pma.dlq.error             the error, one line (code, message, context), at most 2,000 chars
 *   pma.dlq.stage             the stage that gave up on it ("process", "bronze", "silver", ...)
 *   pma.dlq.source.topic      topic the message was read from
 *   pma.dlq.source.partition  its partition (decimal)
 *   pma.dlq.source.offset     its offset (decimal)
 *   pma.dlq.source.timestamp  its record timestamp, Unix ms (decimal)
 *   pma.dlq.time              when it was dead-lettered, ISO 8601 UTC
 *
 * Producers dead-letter API bodies that never were records: they carry reason, error, time and
 * the topic the body was meant for (`pma.dlq.source.topic`), but no partition or offset.
 * Only DecodeErrors are the message's fault: a registry that cannot answer propagates, and the
 * consumer retries instead of discarding good data (runtime/stage/decode.ts).
 */
import { type DecodeFailure, describeError } from '../runtime/errors.ts';
import { TOPICS } from '../schemas/topics.ts';
import type { ConsumedRecord, ProduceRecord, Producer, RecordMetadata } from '../transport/types.ts';

export const DLQ_TOPIC = TOPICS.dlq.name;

/** Header names of a dead letter. */
export const DLQ_HEADERS = {
  reason: 'pma.dlq.reason',
  error: 'pma.dlq.error',
  stage: 'pma.dlq.stage',
  sourceTopic: 'pma.dlq.source.topic',
  sourcePartition: 'pma.dlq.source.partition',
  sourceOffset: 'pma.dlq.source.offset',
  sourceTimestamp: 'pma.dlq.source.timestamp',
  time: 'pma.dlq.time',
} as const;

const MAX_ERROR_CHARS = 2_000;

/** A decode failure, or a reason a later stage gives (e.g. "normalise-failed"). */
export type DeadLetterReason = DecodeFailure | 'normalise-failed' | (string & {});

export interface DeadLetter {
  record: ConsumedRecord;
  reason: DeadLetterReason;
  error: unknown;
  /** The stage that gave up on the record. */
  stage: string;
}

/** An error as the `pma.dlq.error` header holds it: one line, clipped. */
export function deadLetterErrorText(error: unknown): string {
  const text = typeof error === 'string' ? error : describeError(error);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 3)}...` : text;
}

/** The dead letter of one consumed record: original key, value and headers, plus the pma.dlq.* headers. */
export function deadLetterRecord(letter: DeadLetter, now: number = Date.now()): ProduceRecord {
  const { record, reason, error } = letter;
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DLQ_HEADERS.reason]: reason,
      [DLQ_HEADERS.error]: deadLetterErrorText(error),
      [DLQ_HEADERS.stage]: letter.stage,
      [DLQ_HEADERS.sourceTopic]: record.topic,
      [DLQ_HEADERS.sourcePartition]: String(record.partition),
      [DLQ_HEADERS.sourceOffset]: String(record.offset),
      [DLQ_HEADERS.sourceTimestamp]: String(record.timestamp),
      [DLQ_HEADERS.time]: new Date(now).toISOString(),
    },
  };
}

/** Sends dead letters to `pma.dlq`; resolves once they are durable. */
export async function sendDeadLetters(producer: Producer, letters: DeadLetter[]): Promise<RecordMetadata[]> {
  if (letters.length === 0) return [];
  const now = Date.now();
  return producer.send(
    DLQ_TOPIC,
    letters.map((l) => deadLetterRecord(l, now)),
  );
}
