/**
 * The tag sink: folds pma.tag-catalog and pma.tag-decisions into the tag tables. Its progress is
 * the next offset per partition stored in the same DuckDB transaction as the rows (not the
 * group's committed offset, which it also commits, so lag shows on the Pipeline page): a crash
 * between the two replays nothing twice. Callers that just published an event can wait until
 * the sink has applied it, so a page shows its own writes.
 */
import type { TopicCodec } from '../../registry/serde.ts';
import { AbortedError, ConsumerStateError, DecodeError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { consumeLoop, DeadLetterOutbox, decodeRecord } from '../../runtime/stage/index.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { partitionKey } from '../../transport/partition-key.ts';
import type { Consumer, RecordBatch, Transport } from '../../transport/types.ts';
import type { TagDecisionEvent, TagEvent } from '../events.ts';
import type { Positioned } from '../store/apply.ts';
import type { TagStore } from '../store/tag-store.ts';

export const TAG_SINK_GROUP = 'pma-tagger-sink';

export interface TagSinkOptions {
  transport: Transport;
  store: TagStore;
  decisions: TopicCodec<TagDecisionEvent>;
  catalog: TopicCodec<TagEvent>;
  logger: Logger;
  groupId?: string;
}

type Listener = (topic: string, partition: number, nextOffset: number) => void;

export class TagSink {
  readonly #o: TagSinkOptions;
  readonly #applied = new Map<string, number>();
  readonly #listeners = new Set<Listener>();
  #consumer: Consumer | undefined;
  #deadLetters: DeadLetterOutbox | undefined;
  #failure: unknown;

  constructor(options: TagSinkOptions) {
    this.#o = options;
  }

  /** Next offset applied for a topic's partition. */
  applied(topic: string, partition = 0): number {
    return this.#applied.get(partitionKey(topic, partition)) ?? 0;
  }

  onApplied(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once the record at `offset` of the topic's partition is in the tables. */
  waitApplied(topic: string, partition: number, offset: number, signal?: AbortSignal, timeoutMs = 30_000): Promise<void> {
    if (this.applied(topic, partition) > offset) return Promise.resolve();
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const done = (err?: unknown) => {
        clearTimeout(timer);
        off();
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const off = this.onApplied((t, p, next) => {
        if (t === topic && p === partition && next > offset) done();
      });
      const onAbort = () => done(new AbortedError('waiting for the tag sink was aborted', { topic, offset }));
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => done(new AbortedError('the tag sink did not apply the event in time', { topic, partition, offset, timeoutMs })), timeoutMs);
    });
  }

  /** Subscribes and positions at the stored progress; returns the topics' high watermarks now. */
  async start(): Promise<Map<string, number>> {
    const { transport, store } = this.#o;
    const topics = [TOPICS.tagCatalog.name, TOPICS.tagDecisions.name];
    const consumer = transport.consumer({ groupId: this.#o.groupId ?? TAG_SINK_GROUP, clientId: 'pma-tagger-sink', maxRecords: 2_000 });
    this.#consumer = consumer;
    this.#deadLetters = new DeadLetterOutbox(transport, 'tagger-sink', this.#o.logger);
    await consumer.subscribe(topics);
    const highs = new Map<string, number>();
    for (const topic of topics) {
      const stored = await store.progress(topic);
      for (const o of await transport.admin().offsets(topic)) {
        const next = stored.get(o.partition) ?? o.low;
        consumer.seek(topic, o.partition, Math.max(next, o.low));
        this.#applied.set(partitionKey(topic, o.partition), Math.max(next, o.low));
        highs.set(partitionKey(topic, o.partition), o.high);
      }
    }
    return highs;
  }

  /** Applies records until `signal` aborts. Rejects (and fails every waiter) on a store error. */
  async run(signal: AbortSignal): Promise<void> {
    const consumer = this.#consumer;
    if (!consumer) throw new ConsumerStateError('the tag sink was run before start');
    try {
      await consumeLoop({ signal, until: 'signal', sources: [consumer], waitMs: () => 500, handle: (batches) => this.#applyAll(batches) });
    } catch (err) {
      this.#failure = err;
      throw err;
    }
  }

  /** Polls until every partition reached the given high watermarks (startup catch-up). */
  async catchUp(highs: Map<string, number>, signal: AbortSignal): Promise<void> {
    const consumer = this.#consumer;
    if (!consumer) throw new ConsumerStateError('the tag sink caught up before start');
    const reached = () => [...highs].every(([key, high]) => (this.#applied.get(key) ?? 0) >= high);
    await consumeLoop({
      signal,
      until: 'caught-up',
      checkCaughtUp: 'every-turn',
      sources: [consumer],
      waitMs: () => 200,
      handle: (batches) => this.#applyAll(batches),
      caughtUp: async () => reached(),
    });
  }

  async close(): Promise<void> {
    await this.#consumer?.close();
    await this.#deadLetters?.close();
  }

  async #applyAll(batches: RecordBatch[]): Promise<void> {
    for (const batch of batches) await this.#apply(batch);
  }

  async #apply(batch: RecordBatch): Promise<void> {
    const { store, logger } = this.#o;
    const isDecisions = batch.topic === TOPICS.tagDecisions.name;
    const codec: TopicCodec<unknown> = isDecisions ? this.#o.decisions : this.#o.catalog;
    const events: Array<Positioned<unknown>> = [];
    for (const record of batch.records) {
      if (record.value === null) continue;
      const value = await decodeRecord(codec, record);
      if (value instanceof DecodeError) this.#deadLetters!.add(record, value.reason, value);
      else events.push({ value, offset: record.offset });
    }
    const last = batch.records[batch.records.length - 1];
    if (!last) return;
    const next = last.offset + 1;
    // Dead letters first: once the store holds the batch's progress, its records are never read again.
    await this.#deadLetters!.flush();
    await store.applyBatch(batch.topic, batch.partition, isDecisions ? 'decisions' : 'catalog', events as never, next);
    this.#applied.set(partitionKey(batch.topic, batch.partition), next);
    try {
      await this.#consumer!.commit([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    } catch (err) {
      logger.warn('could not mirror the tag sink progress to its consumer group (lag figures may lag)', { topic: batch.topic, partition: batch.partition, err });
    }
    for (const listener of this.#listeners) listener(batch.topic, batch.partition, next);
  }
}
