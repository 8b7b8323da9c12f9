/**
 * What every processor instance reads whole, as a global table does in Kafka Streams:
 *
 * - The reference data (clean markets, events). Raw reference partitions are shared out among
 *   the instances of the group, so without this an instance would know only the markets it
 *   emitted itself and send the trades of every other market out unresolved: with it,
 *   enrichment is the same with one processor or N. Tokens feed only the dedup window: every
 *   token is also in its market's record (token ids and outcomes, in order), and a token read
 *   before its market would tell the market's event without the event's slug, completing a held
 *   trade too early.
 * - The dedup identities of every instance's trades and price points (headers only). Those are
 *   the records that can be held: a partition's committed offset stays at its oldest held record
 *   while later ones go out, so the instance that takes the partition over reads those again and
 *   must know they went out, whoever sent them.
 *
 * It continues from where the start-up rebuild stopped, through a consumer of its own group
 * (one member, so it is assigned every partition) that never commits: its position lives only
 * as long as the instance, as the rebuild that replaces it on the next start. On Kafka it reads
 * `read_committed`: only what other instances committed, with their input offsets.
 */
import { randomUUID } from 'node:crypto';
import type { TopicCodec } from '../../registry/serde.ts';
import { DecodeError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import type { CleanEvent, CleanMarket, CleanTopicKey } from '../../schemas/clean-records.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { parsePartitionKey, partitionKey } from '../../transport/partition-key.ts';
import type { Admin, Consumer, RecordBatch, TopicPartitionOffset, Transport } from '../../transport/types.ts';
import { DEDUP_HEADER } from '../identity.ts';
import type { DedupWindow } from './dedup-window.ts';
import type { LookupTables } from './lookup.ts';

const FOLLOWED: readonly CleanTopicKey[] = ['markets', 'tokens', 'events', 'trades', 'prices'];
const KEY_OF = new Map<string, CleanTopicKey>(FOLLOWED.map((k) => [TOPICS[k].name, k]));
const FOLLOWED_NAMES: readonly string[] = FOLLOWED.map((k) => TOPICS[k].name);

export interface GlobalStateDeps {
  transport: Transport;
  logger: Logger;
  lookup: LookupTables;
  windows: Map<CleanTopicKey, DedupWindow>;
  codecs: Map<CleanTopicKey, TopicCodec<unknown>>;
}

export class GlobalState {
  readonly consumer: Consumer;
  readonly #deps: GlobalStateDeps;
  /** Next offset to read per partition, from the rebuild's ends on. */
  readonly #next = new Map<string, number>();

  private constructor(consumer: Consumer, deps: GlobalStateDeps) {
    this.consumer = consumer;
    this.#deps = deps;
  }

  /** Opens at `from`: per clean partition, the offset the rebuild read up to. */
  static async open(deps: GlobalStateDeps, groupPrefix: string, from: readonly TopicPartitionOffset[]): Promise<GlobalState> {
    const consumer = deps.transport.consumer({ groupId: `${groupPrefix}.table-${randomUUID()}`, fromBeginning: true, maxRecords: 5_000, clientId: 'pma-process' });
    const table = new GlobalState(consumer, deps);
    try {
      await consumer.subscribe([...FOLLOWED_NAMES]);
      for (const o of from.filter((f) => KEY_OF.has(f.topic))) {
        table.#next.set(partitionKey(o.topic, o.partition), o.offset);
        consumer.seek(o.topic, o.partition, o.offset);
      }
    } catch (err) {
      await consumer.close();
      throw err;
    }
    return table;
  }

  static owns(topic: string): boolean {
    return KEY_OF.has(topic);
  }

  /** Folds one batch into the dedup windows and (reference data) the lookup tables; returns the keys that became known. */
  async absorb(batch: RecordBatch): Promise<string[]> {
    const key = KEY_OF.get(batch.topic)!;
    const window = this.#deps.windows.get(key)!;
    const codec = this.#deps.codecs.get(key)!;
    const known: string[] = [];
    for (const record of batch.records) {
      this.#next.set(partitionKey(record.topic, record.partition), record.offset + 1);
      const id = record.headers[DEDUP_HEADER];
      if (id) window.add(id);
      if (record.value === null || (key !== 'markets' && key !== 'events')) continue;
      try {
        const value = await codec.decode(record.value, { partition: record.partition, offset: record.offset });
        known.push(...this.#deps.lookup.apply(key, value as CleanMarket | CleanEvent));
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        this.#deps.logger.warn('skipping an unreadable clean reference record', { topic: record.topic, partition: record.partition, offset: record.offset, err });
      }
    }
    return known;
  }

  /** Whether every followed partition is read up to its end as of now. */
  async caughtUp(admin: Admin): Promise<boolean> {
    for (const topic of FOLLOWED_NAMES) {
      for (const { partition, high } of await admin.offsets(topic)) {
        const k = partitionKey(topic, partition);
        const next = Math.max(this.#next.get(k) ?? 0, this.consumer.position(topic, partition) ?? 0);
        if (next < high) return false;
      }
    }
    return true;
  }

  /**
   * Reads on until every followed partition is read to the end it has now, folding in what it
   * reads; returns the keys that became known. Called before records of a partition this instance
   * has just taken over: what its last owner sent is then in the dedup windows.
   */
  async catchUp(admin: Admin, signal: AbortSignal): Promise<string[]> {
    const ends = new Map<string, number>();
    for (const topic of FOLLOWED_NAMES) for (const { partition, high } of await admin.offsets(topic)) ends.set(partitionKey(topic, partition), high);
    const reached = () =>
      [...ends].every(([k, high]) => {
        const { topic, partition } = parsePartitionKey(k);
        return Math.max(this.#next.get(k) ?? 0, this.consumer.position(topic, partition) ?? 0) >= high;
      });
    const known: string[] = [];
    while (!reached() && !signal.aborted) {
      for (const batch of await this.consumer.poll({ waitMs: 200, signal })) known.push(...(await this.absorb(batch)));
    }
    return known;
  }

  close(): Promise<void> {
    return this.consumer.close();
  }
}
