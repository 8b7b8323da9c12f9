/**
 * `--transport kafka`: the Transport interface on Apache Kafka through kafkajs. Everything
 * kafkajs-specific lives in this folder; a librdkafka-based client (@confluentinc/kafka-javascript)
 * or @platformatic/kafka would be a sibling folder exporting the same `createKafkaTransport`.
 */
import type { Consumer, ConsumerOptions, Producer, ProducerOptions, TransactionalProducer, Transport } from '../types.ts';
import { KafkaAdmin } from './admin.ts';
import { createKafkaClient, type KafkaClient, type KafkaClientOptions } from './client.ts';
import { KafkaConsumer, type KafkaConsumerTuning } from './consumer.ts';
import { type KafkaNameOptions, KafkaNames } from './names.ts';
import { KafkaProducer, type KafkaProducerOptions } from './producer.ts';
import type { TopicLayouts } from './topic-layout.ts';
import { type KafkaTransactionalOptions, KafkaTransactionalProducer } from './transactional-producer.ts';

export interface KafkaTransportOptions extends KafkaClientOptions {
  producer?: KafkaProducerOptions;
  consumer?: KafkaConsumerTuning;
  transactions?: KafkaTransactionalOptions;
  /** Prefixes that keep this pipeline's topics, groups and transactional ids apart on a shared cluster. */
  names?: KafkaNameOptions;
  /** Partitions, replication factor and min.insync.replicas of the topics the admin creates. */
  topics?: TopicLayouts;
}

class KafkaTransport implements Transport {
  readonly kind = 'kafka' as const;
  readonly #options: KafkaTransportOptions;
  readonly #admin: KafkaAdmin;
  readonly #names: KafkaNames;
  readonly #open = new Set<Producer | Consumer | TransactionalProducer>();
  #closed = false;

  constructor(options: KafkaTransportOptions) {
    this.#options = options;
    this.#names = new KafkaNames(options.names);
    this.#admin = new KafkaAdmin(createKafkaClient(options), this.#names, options.topics ?? {});
  }

  /** Each producer and consumer has its own client, so closing one frees exactly its sockets. */
  #client(clientId: string | undefined): KafkaClient {
    return createKafkaClient({ ...this.#options, clientId: clientId ?? this.#options.clientId });
  }

  admin(): KafkaAdmin {
    return this.#admin;
  }

  producer(options: ProducerOptions = {}): Producer {
    const producer: Producer = new KafkaProducer(this.#client(options.clientId), this.#admin, this.#names, this.#options.producer ?? {}, () => this.#open.delete(producer));
    this.#open.add(producer);
    return producer;
  }

  transactionalProducer(options: ProducerOptions = {}): TransactionalProducer {
    const producer: TransactionalProducer = new KafkaTransactionalProducer(
      this.#client(options.clientId),
      this.#admin,
      this.#names,
      this.#options.logger,
      { outageMs: this.#options.outageMs, ...this.#options.transactions },
      () => this.#open.delete(producer),
    );
    this.#open.add(producer);
    return producer;
  }

  consumer(options: ConsumerOptions): Consumer {
    const tuning = { outageMs: this.#options.outageMs, ...this.#options.consumer };
    const consumer: Consumer = new KafkaConsumer(this.#client(options.clientId), this.#admin, this.#names, options, this.#options.logger, () => this.#open.delete(consumer), tuning);
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
