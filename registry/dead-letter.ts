/**
 * Dead letters: a consumed message that cannot be used (bad magic byte, unknown schema id,
 * undecodable body, or later a record a processor cannot normalise) is copied to the topic
 * `pma.dlq` and the consumer goes on. The dead letter keeps the original key, value bytes and
 * headers, and adds these headers (all strings):
 *
 *   pma.dlq.reason            why: a DecodeFailure ("bad-magic-byte", "unknown-schema-id",
 *                             "undecodable-body", "truncated") or a caller's reason
 *                             (e.g. "normalise-failed")
 *   pma.dlq.error             the error, one line (code, message, context), at most 2,000 chars
 *   pma.dlq.source.topic      topic the message was read from
 *   pma.dlq.source.partition  its partition (decimal)
 *   pma.dlq.source.offset     its offset (decimal)
 *   pma.dlq.source.timestamp  its record timestamp, Unix ms (decimal)
 *   pma.dlq.time              when it was dead-lettered, ISO 8601 UTC
 *
 * Only DecodeErrors are dead-lettered by `decodeOrDeadLetter`: a registry that cannot answer is
 * not the message's fault, so that error propagates and the consumer retries instead of
 * discarding good data.
 */
import { DecodeError, type DecodeFailure, describeError } from '../runtime/errors.ts';
import { TOPICS } from '../schemas/topics.ts';
import type { ConsumedRecord, Producer, ProduceRecord, RecordBatch, RecordMetadata } from '../transport/types.ts';
import { readSchemaId, type TopicCodec } from './serde.ts';

export const DLQ_TOPIC = TOPICS.dlq.name;

/** Header names of a dead letter. */
export const DLQ_HEADERS = {
  reason: 'pma.dlq.reason',
  error: 'pma.dlq.error',
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
}

/** A decoded record; `value` is null for a tombstone (null value on a compacted topic). */
export interface DecodedRecord<T> {
  record: ConsumedRecord;
  value: T | null;
}

/** The dead letter of one consumed record: original key, value and headers, plus the pma.dlq.* headers. */
export function deadLetterRecord(letter: DeadLetter, now: number = Date.now()): ProduceRecord {
  const { record, reason, error } = letter;
  const text = describeError(error);
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DLQ_HEADERS.reason]: reason,
      [DLQ_HEADERS.error]: text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 3)}...` : text,
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

/** Sends one record to `pma.dlq` with its reason and error; resolves once it is durable. */
export async function sendToDeadLetter(producer: Producer, record: ConsumedRecord, reason: DeadLetterReason, error: unknown): Promise<RecordMetadata> {
  const [meta] = await sendDeadLetters(producer, [{ record, reason, error }]);
  return meta!;
}

/**
 * Decodes every record of a batch with `codec`. Records that cannot be decoded go to `pma.dlq`
 * (durably, before this resolves, so the caller may commit past them); the rest are returned in
 * offset order. Tombstones come back with a null value. Errors that are not the message's fault
 * (the registry unreachable) reject, and nothing is dead-lettered.
 */
export async function decodeOrDeadLetter<T>(codec: TopicCodec<T>, batch: RecordBatch, dlqProducer: Producer): Promise<Array<DecodedRecord<T>>> {
  const good: Array<DecodedRecord<T>> = [];
  const letters: DeadLetter[] = [];
  for (const record of batch.records) {
    if (record.value === null) {
      good.push({ record, value: null });
      continue;
    }
    const where = { partition: record.partition, offset: record.offset };
    try {
      const id = readSchemaId(record.value, { topic: record.topic, ...where });
      if (!codec.hasWriter(id)) await codec.loadWriter(id, where);
      good.push({ record, value: codec.decodeSync(record.value, where) });
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      letters.push({ record, reason: err.reason, error: err });
    }
  }
  await sendDeadLetters(dlqProducer, letters);
  return good;
}
