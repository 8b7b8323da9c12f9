/**
 * The classification stream processor: consumes pma.markets, keeps the tagger's market
 * catalogue current, and hands every (market, active tag) pair without a decision to the
 * classifier. Backpressure: `submit` waits while the classifier is full, so the consumer stops
 * polling. Offsets are committed only up to records whose decisions are all durable in
 * pma.tag-decisions; a crash replays the rest, and pairs already decided are skipped.
 */
import type { TopicCodec } from '../../registry/serde.ts';
import { DecodeError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { consumeLoop, DeadLetterOutbox, DoneTracker, decodeRecord } from '../../runtime/stage/index.ts';
import type { CleanMarket } from '../../schemas/clean-records.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { ConsumedRecord, Consumer, Transport } from '../../transport/types.ts';
import { pairKey, type TagStore } from '../store/tag-store.ts';
import type { Classifier } from './classifier.ts';
import { readyToClassify } from './readiness.ts';

export const CLASSIFIER_GROUP = 'pma-tagger-classifier';
const COMMIT_EVERY_MS = 200;

export interface MarketFeedOptions {
  transport: Transport;
  store: TagStore;
  markets: TopicCodec<CleanMarket>;
  classifier: Classifier;
  logger: Logger;
  groupId?: string;
  /** Records per poll. Default 500. */
  maxRecords?: number;
}

export interface FeedStats {
  consumed: number;
  deadLettered: number;
  lastRecordAt: number | null;
}

export class MarketFeed {
  readonly #o: MarketFeedOptions;
  readonly #done = new DoneTracker();
  readonly stats: FeedStats = { consumed: 0, deadLettered: 0, lastRecordAt: null };

  constructor(options: MarketFeedOptions) {
    this.#o = options;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { transport, logger, classifier } = this.#o;
    const consumer = transport.consumer({ groupId: this.#o.groupId ?? CLASSIFIER_GROUP, clientId: 'pma-tagger-classifier', maxRecords: this.#o.maxRecords ?? 500 });
    const deadLetters = new DeadLetterOutbox(transport, 'tagger-classifier', logger);
    // Records finish while the loop waits in poll: commit what finished at a steady pace too.
    let committing: Promise<void> = Promise.resolve();
    const tick = setInterval(() => {
      committing = committing.then(() => this.#commit(consumer)).catch((err) => logger.warn('offset commit failed; retried next time', { err }));
    }, COMMIT_EVERY_MS);
    try {
      await consumer.subscribe([TOPICS.markets.name]);
      await consumeLoop({
        signal,
        until: 'signal',
        sources: [consumer],
        waitMs: () => 500,
        handle: async (batches) => {
          for (const batch of batches) await this.#handle(batch.records, deadLetters, signal);
        },
        failure: () => classifier.failure,
      });
      clearInterval(tick);
      await committing;
      await this.#commit(consumer);
    } finally {
      clearInterval(tick);
      await committing;
      await consumer.close();
      await deadLetters.close();
    }
  }

  async #commit(consumer: Consumer): Promise<void> {
    await this.#done.commit(() => consumer);
  }

  async #handle(records: ConsumedRecord[], deadLetters: DeadLetterOutbox, signal: AbortSignal): Promise<void> {
    const { store, classifier, markets } = this.#o;
    const decoded: Array<{ record: ConsumedRecord; market: CleanMarket | null }> = [];
    for (const record of records) {
      const value = record.value === null ? null : await decodeRecord(markets, record);
      if (value instanceof DecodeError) deadLetters.add(record, value.reason, value);
      decoded.push({ record, market: value instanceof DecodeError ? null : value });
    }
    this.stats.deadLettered += deadLetters.pending;
    await deadLetters.flush();
    const latest = new Map<string, CleanMarket>();
    for (const d of decoded) if (d.market) latest.set(d.market.condition_id, d.market);
    await store.upsertMarkets([...latest.values()]);
    this.stats.consumed += records.length;
    this.stats.lastRecordAt = Date.now();

    const min = classifier.settings.minExamples;
    const tagIds = classifier.enabled ? (await store.tags()).filter((t) => t.active && readyToClassify(t, min)).map((t) => t.tagId) : [];
    const decided = await store.decidedPairs([...latest.keys()], tagIds);
    for (const key of await store.examplePairs([...latest.keys()], tagIds)) decided.add(key);
    for (const { record, market } of decoded) {
      this.#done.begin(record.topic, record.partition, record.offset);
      const pending: Array<Promise<void>> = [];
      if (market) {
        for (const tagId of tagIds) {
          if (decided.has(pairKey(market.condition_id, tagId))) continue;
          const text = { question: market.question ?? market.condition_id, description: market.description, category: market.category, outcomes: market.outcomes };
          const handle = await classifier.submit({ tagId, marketId: market.condition_id, previous: null, via: 'classifier', text }, signal);
          if (handle) pending.push(handle.done);
        }
      }
      Promise.all(pending).then(
        () => this.#done.finish(record.topic, record.partition, record.offset),
        // Not done: the record is consumed again after a restart (the classifier reports why).
        () => undefined,
      );
    }
  }
}
