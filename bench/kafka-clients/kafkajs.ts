/**
 * kafkajs as pma runs it: through our transport (transport/kafka/), so the figure includes what
 * the transport adds on top of kafkajs (request cutting, the poll buffer), as a stage sees it.
 */
import { randomUUID } from 'node:crypto';
import { BenchError } from '../../runtime/errors.ts';
import type { Transport } from '../../transport/types.ts';
import type { BenchClient, BenchProducer, BenchRecord, BenchTopic } from './types.ts';

export function kafkajsClient(transport: Transport): BenchClient {
  return {
    name: 'kafkajs',
    async producer(topic: BenchTopic): Promise<BenchProducer> {
      const producer = transport.producer({ clientId: 'pma-bench-kafkajs' });
      return {
        send: async (records: BenchRecord[]) => {
          await producer.send(topic.name, records);
        },
        close: () => producer.close(),
      };
    },
    async consume(topic, count, idleMs, onRecord) {
      const consumer = transport.consumer({ groupId: `pma-bench-kafkajs-${randomUUID().slice(0, 8)}`, fromBeginning: true, clientId: 'pma-bench-kafkajs' });
      try {
        await consumer.subscribe([topic.name]);
        let n = 0;
        let idleSince = Date.now();
        while (n < count) {
          const got = await consumer.poll({ waitMs: 1_000 });
          if (got.length === 0 && Date.now() - idleSince > idleMs) {
            throw new BenchError(`kafkajs consumer got ${n} of ${count} records and nothing more for ${idleMs} ms`, { topic: topic.name });
          }
          for (const b of got) {
            idleSince = Date.now();
            for (const r of b.records) onRecord(r.key!, r.value!);
            n += b.records.length;
          }
        }
      } finally {
        await consumer.close();
      }
    },
    // The transport belongs to the bench command, which closes it.
    close: async () => undefined,
  };
}
