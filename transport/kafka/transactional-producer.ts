/**
 * The TransactionalProducer on Kafka: Kafka's read-process-write transactions, with the model
 * Kafka Streams used before KIP-447 (kafkajs 2.2.4 sends TxnOffsetCommit v0-v1, without the
 * group generation KIP-447 fences on): one transactional producer per input partition, its
 * transactional id naming the consumer group, topic and partition. Whoever owns the partition
 * next claims it before reading it: it initialises the same id, which finishes or aborts the
 * previous owner's open transaction and fences it (a zombie's later commit fails with a fencing
 * error and writes nothing). Each step is one transaction: the output records, then the input
 * offset through `sendOffsets`, then commit; `read_committed` consumers see the records exactly
 * when the offset is committed.
 *
 * A killed owner's open transaction holds back `read_committed` readers of the partitions it
 * wrote to until the next owner's first step aborts it, or at most `transactionTimeoutMs`.
 *
 * A step that fails for another reason (the broker went away mid-transaction) is aborted and
 * tried again with a fresh producer, with backoff, for up to `outageMs`. If the failure hid a
 * commit that went through (its answer was lost), the group's committed offset shows it and the
 * step is not sent twice; a step that commits the same offset as the one before cannot be told
 * apart this way and may then go out twice.
 */
import kafkajs from 'kafkajs';
import { ConsumerStateError, TransportError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { partitionForKey } from '../partitioner.ts';
import type { Consumer, TopicPartitionOffset, TopicRecords, TransactionalProducer } from '../types.ts';
import type { KafkaAdmin } from './admin.ts';
import { DEFAULT_OUTAGE_MS, type KafkaClient } from './client.ts';
import { KafkaConsumer } from './consumer.ts';
import { protocolErrorType, wrapKafkaError } from './errors.ts';
import type { KafkaNames } from './names.ts';

export interface KafkaTransactionalOptions {
  /** How long the broker lets a transaction stay open before aborting it. Default 30,000 ms. */
  transactionTimeoutMs?: number;
  /** Records per produce request inside a transaction, so no partition's batch nears `message.max.bytes`. Default 500. */
  requestRecords?: number;
  /** How long a failing step is tried again (the broker restarting, away). Default 120,000 ms. */
  outageMs?: number;
}

/** Errors meaning another producer with the same transactional id took over. */
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'INVALID_PRODUCER_ID_MAPPING']);

/**
 * kafkajs leaves out, without an error, the messages for partitions its metadata does not list yet
 * (a topic grown since it last looked). Committed, the transaction would take the input offset
 * past records never written; failing it aborts it, and the retry's fresh producer reads the
 * metadata anew.
 */
function checkAnswered(sent: { topic: string; messages: kafkajs.Message[] }, answer: kafkajs.RecordMetadata[]): void {
  const answered = new Set(answer.map((r) => r.partition));
  const left = [...new Set(sent.messages.map((m) => m.partition!))].filter((p) => !answered.has(p));
  if (left.length > 0)
    throw new TransportError(`the Kafka client does not know partitions ${left.join(',')} of the output topic yet; nothing was committed`, { wireTopic: sent.topic, partitions: left.join(',') });
}

export class KafkaTransactionalProducer implements TransactionalProducer {
  readonly #client: KafkaClient;
  readonly #admin: KafkaAdmin;
  readonly #names: KafkaNames;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #requestRecords: number;
  readonly #outageMs: number;
  /** Per transactional id, the input offset its last step committed. */
  readonly #lastOffset = new Map<string, number | undefined>();
  /** Ids another owner fenced this member out of: no step on them until claimed again. */
  readonly #fenced = new Set<string>();
  readonly #onClose: () => void;
  /** Per transactional id, its producer once connected (its first transaction initialises the id, connecting does not). */
  readonly #producers = new Map<string, Promise<kafkajs.Producer>>();
  /** Records without a key go round-robin, as the plain producer's do. */
  #roundRobin = 0;
  #closed = false;

  constructor(client: KafkaClient, admin: KafkaAdmin, names: KafkaNames, logger: Logger, options: KafkaTransactionalOptions, onClose: () => void) {
    this.#client = client;
    this.#admin = admin;
    this.#names = names;
    this.#logger = logger.child({ component: 'kafka-transactions' });
    this.#timeoutMs = options.transactionTimeoutMs ?? 30_000;
    this.#requestRecords = options.requestRecords ?? 500;
    this.#outageMs = options.outageMs ?? DEFAULT_OUTAGE_MS;
    this.#onClose = onClose;
  }

  async commitStep(consumer: Consumer, input: TopicPartitionOffset, batches: TopicRecords[]): Promise<void> {
    if (this.#closed) throw new TransportError('transactional producer is closed', { topic: input.topic, partition: input.partition });
    if (!(consumer instanceof KafkaConsumer)) throw new ConsumerStateError('commitStep needs a consumer of the Kafka transport', { topic: input.topic });
    const context = { group: consumer.groupId, topic: input.topic, partition: input.partition, offset: input.offset };
    if (!consumer.assignment().some((tp) => tp.topic === input.topic && tp.partition === input.partition)) {
      throw new ConsumerStateError('fenced: the input partition is no longer assigned to this member; nothing was written', { ...context, fenced: true });
    }
    const messages: Array<{ topic: string; messages: kafkajs.Message[] }> = [];
    for (const { topic, records } of batches) {
      if (records.length === 0) continue;
      const partitions = await this.#admin.partitionCount(topic);
      const list = records.map((r) => ({
        key: r.key,
        value: r.value,
        headers: r.headers,
        partition: r.partition ?? (r.key === null ? this.#roundRobin++ % partitions : partitionForKey(r.key, partitions)),
        timestamp: String(r.timestamp ?? Date.now()),
      }));
      for (let i = 0; i < list.length; i += this.#requestRecords) messages.push({ topic: this.#names.topic(topic), messages: list.slice(i, i + this.#requestRecords) });
    }
    const id = this.#idOf(consumer, input);
    if (this.#fenced.has(id)) {
      // A fresh producer would fence the partition's real owner in turn: only a claim (a new assignment) may initialise the id again.
      throw new ConsumerStateError('fenced: another owner took the input partition over and it was not claimed back since; nothing was written', { ...context, transactionalId: id, fenced: true });
    }
    const offset = consumer.committable(input);
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#step(id, consumer.groupId, { ...input, offset }, messages, context);
        this.#lastOffset.set(id, offset);
        return;
      } catch (err) {
        if (err instanceof ConsumerStateError || Date.now() - started > this.#outageMs || this.#closed) throw err;
        const delayMs = Math.min(5_000, 300 * 2 ** attempt);
        this.#logger.warn('transactional step failed; trying again', { ...context, err, attempt, delayMs });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        const settled = await this.#settledOffset(id, consumer.groupId, input, context).then(
          (o) => ({ offset: o }),
          () => undefined,
        );
        if (settled && offset !== this.#lastOffset.get(id) && settled.offset === offset) {
          this.#logger.info('the failed step had committed; not sending it again', context);
          this.#lastOffset.set(id, offset);
          return;
        }
        // Neither where this member's steps left the partition nor where this one takes it: another owner moved it on.
        if (settled && this.#lastOffset.has(id) && settled.offset !== this.#lastOffset.get(id)) {
          this.#drop(id);
          this.#fenced.add(id);
          throw new ConsumerStateError('fenced: another owner of the input partition committed past it; nothing was written', {
            ...context,
            transactionalId: id,
            committed: settled.offset ?? -1,
            fenced: true,
          });
        }
      }
    }
  }

  /** Transactional ids are cluster-wide like groups: the wire names keep pipelines' ids apart. */
  #idOf(consumer: KafkaConsumer, input: { topic: string; partition: number }): string {
    return `${this.#names.group(consumer.groupId)}~${this.#names.topic(input.topic)}~${input.partition}`;
  }

  /**
   * Initialises each partition's transactional id afresh, even where this member still holds a
   * producer for it (it may have owned the partition before someone else did): the broker then
   * finishes or aborts the previous owner's open transaction and fences that owner, before this
   * resolves. Otherwise a zombie could commit after the new owner read the committed offset and
   * the group's output, and its records would go out twice.
   */
  async claim(consumer: Consumer, partitions: Array<{ topic: string; partition: number }>): Promise<void> {
    if (this.#closed) throw new TransportError('transactional producer is closed');
    if (!(consumer instanceof KafkaConsumer)) throw new ConsumerStateError('claim needs a consumer of the Kafka transport', {});
    await Promise.all(
      partitions.map(async ({ topic, partition }) => {
        const id = this.#idOf(consumer, { topic, partition });
        const context = { group: consumer.groupId, topic, partition };
        const started = Date.now();
        for (let attempt = 0; ; attempt++) {
          try {
            this.#drop(id);
            this.#fenced.delete(id);
            this.#lastOffset.set(id, await this.#settledOffset(id, consumer.groupId, { topic, partition }, context));
            return;
          } catch (err) {
            if (Date.now() - started > this.#outageMs || this.#closed) throw wrapKafkaError(err, 'cannot claim the input partition', { ...context, transactionalId: id });
            const delayMs = Math.min(5_000, 300 * 2 ** attempt);
            this.#logger.warn('claiming an input partition failed; trying again', { ...context, err, attempt, delayMs });
            await new Promise((resolve) => setTimeout(resolve, delayMs));
          }
        }
      }),
    );
  }

  /**
   * The group's offset once the failed step's transaction is settled: initialising the id again
   * answers only after the broker finished that transaction (commit or abort), and its offsets
   * are readable only from then on; read earlier, a committed step looks uncommitted and is sent twice.
   */
  async #settledOffset(id: string, groupId: string, input: { topic: string; partition: number }, context: Record<string, string | number>): Promise<number | undefined> {
    // kafkajs initialises the transactional id (and so fences) only when a transaction begins; one with nothing in it ends locally.
    const transaction = await (await this.#producer(id, context)).transaction();
    await transaction.abort();
    return (await this.#admin.groupOffsets(groupId, input.topic)).find((o) => o.partition === input.partition)?.offset;
  }

  /** One transaction: the records, the input offset, commit. */
  async #step(id: string, groupId: string, input: TopicPartitionOffset, messages: Array<{ topic: string; messages: kafkajs.Message[] }>, context: Record<string, string | number>): Promise<void> {
    const producer = await this.#producer(id, context);
    let transaction: kafkajs.Transaction;
    try {
      transaction = await producer.transaction();
    } catch (err) {
      throw this.#failed(id, err, 'cannot begin a transaction', context);
    }
    try {
      for (const m of messages) checkAnswered(m, await transaction.send({ topic: m.topic, messages: m.messages, acks: -1 }));
      await transaction.sendOffsets({
        consumerGroupId: this.#names.group(groupId),
        topics: [{ topic: this.#names.topic(input.topic), partitions: [{ partition: input.partition, offset: String(input.offset) }] }],
      });
      await transaction.commit();
    } catch (err) {
      await transaction.abort().catch((abortErr: unknown) => this.#logger.warn('aborting a failed transaction failed; the broker aborts it at its timeout', { ...context, err: abortErr }));
      throw this.#failed(id, err, 'transaction failed', context);
    }
  }

  #producer(id: string, context: Record<string, string | number>): Promise<kafkajs.Producer> {
    let connected = this.#producers.get(id);
    if (!connected) {
      const producer = this.#client.kafka.producer({
        transactionalId: id,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: this.#timeoutMs,
        allowAutoTopicCreation: false,
        createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      });
      connected = producer.connect().then(
        () => producer,
        (err: unknown) => {
          this.#producers.delete(id);
          throw wrapKafkaError(err, 'cannot initialise the transactional producer', { ...context, transactionalId: id });
        },
      );
      this.#producers.set(id, connected);
    }
    return connected;
  }

  /** A failed step: a fenced producer is dropped (the id belongs to the partition's new owner). */
  #failed(id: string, err: unknown, what: string, context: Record<string, string | number>): Error {
    const type = protocolErrorType(err);
    const fenced = type !== undefined && FENCED.has(type);
    // A fresh producer for the next try: re-initialising the id also aborts what this one left open.
    this.#drop(id);
    if (fenced) {
      this.#fenced.add(id);
      return new ConsumerStateError(
        'fenced: another owner of the input partition took over its transactional id; nothing was written',
        { ...context, transactionalId: id, kafkaError: type, fenced: true },
        { cause: err },
      );
    }
    return wrapKafkaError(err, what, { ...context, transactionalId: id });
  }

  #drop(id: string): void {
    const connected = this.#producers.get(id);
    this.#producers.delete(id);
    void connected?.then((p) => p.disconnect()).catch((err: unknown) => this.#logger.debug('disconnecting a dropped transactional producer failed', { transactionalId: id, err }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const all = [...this.#producers.values()];
    this.#producers.clear();
    try {
      const results = await Promise.allSettled(all.map(async (p) => (await p).disconnect()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) this.#logger.warn('disconnecting a transactional producer failed', { err: failed.reason });
    } finally {
      this.#client.release();
      this.#onClose();
    }
  }
}
