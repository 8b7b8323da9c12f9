/**
 * `--transport kafka`: the Transport interface on Apache Kafka through kafkajs. Everything
 * kafkajs-specific lives in this folder; a librdkafka-based client (@confluentinc/kafka-javascript)
 * or @platformatic/kafka would be a sibling folder exporting the same `createKafkaTransport`.
 */
import type kafkajs from 'kafkajs';
import type { Consumer, ConsumerOptions, Producer, ProducerOptions, Transport } from '../types.ts';
import { KafkaAdmin } from './admin.ts';
import { createKafkaClient, type KafkaClientOptions } from './client.ts';
import { KafkaConsumer, type KafkaConsumerTuning } from './consumer.ts';
import { KafkaProducer, type KafkaProducerOptions } from './producer.ts';

export interface KafkaTransportOptions extends KafkaClientOptions {
  producer?: KafkaProducerOptions;
  consumer?: KafkaConsumerTuning;
}

class KafkaTransport implements Transport {
  readonly kind = 'kafka' as const;
  readonly #options: KafkaTransportOptions;
  readonly #clients = new Map<string, kafkajs.Kafka>();
  readonly #base: kafkajs.Kafka;
  readonly #admin: KafkaAdmin;
  readonly #open = new Set<Producer | Consumer>();
  #closed = false;

  constructor(options: KafkaTransportOptions) {
    this.#options = options;
    this.#base = createKafkaClient(options);
    this.#admin = new KafkaAdmin(this.#base);
  }

  /** One kafkajs client per client id, so the broker sees the id the caller asked for. */
  #client(clientId: string | undefined): kafkajs.Kafka {
    if (!clientId || clientId === this.#options.clientId) return this.#base;
    let client = this.#clients.get(clientId);
    if (!client) {
      client = createKafkaClient({ ...this.#options, clientId });
      this.#clients.set(clientId, client);
    }
    return client;
  }

  admin(): KafkaAdmin {
    return this.#admin;
  }

  producer(options: ProducerOptions = {}): Producer {
    const producer: Producer = new KafkaProducer(this.#client(options.clientId), this.#admin, this.#options.producer ?? {}, () =>
      this.#open.delete(producer),
    );
    this.#open.add(producer);
    return producer;
  }

  consumer(options: ConsumerOptions): Consumer {
    const consumer: Consumer = new KafkaConsumer(
      this.#client(options.clientId),
      this.#admin,
      options,
      this.#options.logger,
      () => this.#open.delete(consumer),
      this.#options.consumer,
    );
    this.#open.add(consumer);
    return consumer;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const results = await Promise.allSettled([...this.#open].map((c) => c.close()));
    await this.#admin.close();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

export function createKafkaTransport(options: KafkaTransportOptions): Transport {
  return new KafkaTransport(options);
}
