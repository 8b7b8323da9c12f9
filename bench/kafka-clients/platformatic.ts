/**
 * @platformatic/kafka (pure JavaScript, no native code) driven directly, with the settings our
 * transport uses: idempotent, acks=all, the partition we chose by murmur2, no auto-created topics,
 * and Buffers in and out (its default serde) so the Avro work is ours, as for every client.
 */
import { randomUUID } from 'node:crypto';
import { Consumer, type Message, MessagesStreamModes, ProduceAcks, Producer } from '@platformatic/kafka';
import { BenchError } from '../../runtime/errors.ts';
import type { BenchClient, BenchProducer, BenchRecord, BenchTopic } from './types.ts';

export function platformaticClient(brokers: string[]): BenchClient {
  return {
    name: 'platformatic',
    async producer(topic: BenchTopic): Promise<BenchProducer> {
      const producer = new Producer({ clientId: 'pma-bench-platformatic', bootstrapBrokers: brokers, idempotent: true, acks: ProduceAcks.ALL, autocreateTopics: false });
      return {
        send: async (records: BenchRecord[]) => {
          await producer.send({ messages: records.map((r) => ({ topic: topic.wire, key: r.key, value: r.value, partition: r.partition })) });
        },
        close: () => producer.close(),
      };
    },
    async consume(topic, count, idleMs, onRecord) {
      const consumer = new Consumer({ clientId: 'pma-bench-platformatic', groupId: `pma-bench-platformatic-${randomUUID().slice(0, 8)}`, bootstrapBrokers: brokers });
      try {
        const stream = await consumer.consume({ topics: [topic.wire], mode: MessagesStreamModes.EARLIEST, autocommit: false });
        try {
          await new Promise<void>((resolve, reject) => {
            let n = 0;
            let idleSince = Date.now();
            const idle = setInterval(() => {
              if (Date.now() - idleSince > idleMs) done(new BenchError(`platformatic consumer got ${n} of ${count} records and nothing more for ${idleMs} ms`, { topic: topic.name }));
            }, 1_000);
            const done = (err?: Error) => {
              clearInterval(idle);
              stream.off('data', onData);
              if (err) reject(err);
              else resolve();
            };
            // The 'data' event, not for await: the stream's async iterator costs a promise per record.
            const onData = (m: Message<Buffer, Buffer, Buffer, Buffer>) => {
              idleSince = Date.now();
              onRecord(m.key, m.value);
              if (++n >= count) done();
            };
            stream.on('data', onData);
            stream.once('error', done);
          });
        } finally {
          await stream.close();
        }
      } finally {
        await consumer.close(true);
      }
    },
    close: async () => undefined,
  };
}
