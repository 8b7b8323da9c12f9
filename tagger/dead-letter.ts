/**
 * Dead letters from the tagger's consumers: a record that cannot be decoded goes to pma.dlq with
 * its original bytes, and headers saying why and where it came from; the consumer goes on.
 * Header names follow the producers' (producers/records/headers.ts).
 */
import { describeError, PmaError } from '../runtime/errors.ts';
import { TOPICS } from '../schemas/topics.ts';
import type { ConsumedRecord, Producer } from '../transport/types.ts';

export async function deadLetter(producer: Producer, record: ConsumedRecord, err: unknown, consumer: string): Promise<void> {
  const reason = err instanceof PmaError ? (((err as { reason?: string }).reason ?? err.code) as string) : 'error';
  await producer.send(TOPICS.dlq.name, [
    {
      key: record.key,
      value: record.value,
      headers: {
        ...record.headers,
        'pma-dlq-reason': reason,
        'pma-dlq-error': describeError(err),
        'pma-dlq-source-topic': record.topic,
        'pma-dlq-source-partition': String(record.partition),
        'pma-dlq-source-offset': String(record.offset),
        'pma-dlq-consumer': consumer,
      },
    },
  ]);
}
