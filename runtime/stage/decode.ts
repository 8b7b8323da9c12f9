/**
 * Decoding a consumed record for a stage. The common case stays synchronous (the writer schema is
 * cached after its first record), so a sink can decode hundreds of thousands of records a second
 * without a promise each; only a record written with a schema id not seen yet waits for the
 * registry. A record that cannot be decoded comes back as its DecodeError, for the dead-letter
 * topic; anything else (the registry unreachable) is not the record's fault and is thrown.
 */
import { readSchemaId, type TopicCodec } from '../../registry/serde.ts';
import type { ConsumedRecord } from '../../transport/types.ts';
import { DecodeError } from '../errors.ts';

/** The value, its DecodeError, or a promise of either when the writer schema must be fetched first. */
export type Decoded<T> = T | DecodeError | Promise<T | DecodeError>;

/** Decodes a record with a non-null value. */
export function decodeRecord<T>(codec: TopicCodec<T>, record: ConsumedRecord): Decoded<T> {
  const value = record.value!;
  try {
    const id = readSchemaId(value);
    const where = { partition: record.partition, offset: record.offset };
    if (!codec.hasWriter(id)) {
      return codec
        .loadWriter(id, where)
        .then(() => codec.decodeSync(value, where))
        .catch((err: unknown) => failure(err, record));
    }
    return codec.decodeSync(value, where);
  } catch (err) {
    return failure(err, record);
  }
}

function failure(err: unknown, record: ConsumedRecord): DecodeError {
  if (!(err instanceof DecodeError)) throw err;
  return withSource(err, record);
}

/** Names the record in an error raised without it (the fast path builds no context per record). */
export function withSource<E extends { context: Record<string, unknown> }>(err: E, record: Pick<ConsumedRecord, 'topic' | 'partition' | 'offset'>): E {
  err.context.topic ??= record.topic;
  err.context.partition ??= record.partition;
  err.context.offset ??= record.offset;
  return err;
}
