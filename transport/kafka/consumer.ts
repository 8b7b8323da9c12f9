/**
 * The pull-based Consumer interface over kafkajs's push-based `run({ eachBatch })`.
 *
 * kafkajs fetches and hands us batches; we put them in a bounded FetchBuffer and `poll()` takes
 * them out. When the buffer is full, the partition is paused in kafkajs (its fetch loop skips
 * it) and resumed once `poll()` has drained the buffer: memory stays bounded however slow the
 * caller is, and kafkajs keeps heartbeating because eachBatch never blocks.
 *
 * Offsets: autoCommit is off; `commit()` alone commits. We keep our own position per partition
 * (next offset to hand out) and fetch position (next offset after the buffered records). After
 * a rebalance or a kafkajs restart (the broker went away), partitions this member keeps resume
 * from the fetch position, so records already handed out are not handed out again; partitions
 * newly assigned start at the group's committed offset (or earliest/latest), as in Java.
 *
 * Transactions: the consumer reads `read_committed`, so aborted records never show and a commit
 * marker takes an offset no record has. As Java's `position()` does, the position steps over
 * such offsets once every record before them is handed out, and `commit()` of everything handed
 * out commits that position (KAFKA-6607): otherwise a fully read transactional partition would
 * look one record behind forever and a caught-up check would never end. When the markers arrive
 * after the caller committed everything (kafkajs hands no batch for them), the consumer commits
 * the stepped position itself: nothing was delivered in between, so it is the same commit.
 *
 * Names: everything this class holds and hands out is under logical topic names and the
 * logical group id; only the calls into kafkajs and the events out of it use wire names.
 */
import type kafkajs from 'kafkajs';
import { AbortedError, ConsumerStateError, type PmaError, TopicError, TransportError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { partitionKey } from '../partition-key.ts';
import type { ConsumedRecord, Consumer, ConsumerOptions, RecordBatch, TopicPartitionOffset } from '../types.ts';
import type { KafkaAdmin } from './admin.ts';
import { DEFAULT_OUTAGE_MS, type KafkaClient } from './client.ts';
import { wrapKafkaError } from './errors.ts';
import { FetchBuffer } from './fetch-buffer.ts';
import type { KafkaNames } from './names.ts';

export interface KafkaConsumerTuning {
  /** Records held between fetch and poll before fetching pauses. Default 8 × maxRecords. */
  bufferRecords?: number;
  /** Bytes held between fetch and poll before fetching pauses. Default 4 × maxBytes. */
  bufferBytes?: number;
  /** Broker-side long-poll wait of one fetch. Default 100 ms (also how soon a resume or seek takes effect). */
  fetchWaitMs?: number;
  /** Bytes one fetch may return per partition. Default 2 MiB. */
  fetchBytesPerPartition?: number;
  /** How long the consumer keeps restarting itself while no broker answers before poll fails. Default 120,000 ms. */
  outageMs?: number;
}

function headersOf(headers: kafkajs.IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last !== undefined) out[k] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return out;
}

export class KafkaConsumer implements Consumer {
  readonly #client: KafkaClient;
  readonly #admin: KafkaAdmin;
  readonly #names: KafkaNames;
  readonly #options: Required<Pick<ConsumerOptions, 'groupId' | 'fromBeginning' | 'maxRecords' | 'maxBytes'>>;
  readonly #tuning: Required<KafkaConsumerTuning>;
  readonly #logger: Logger;
  readonly #onClose: () => void;
  readonly #buffer: FetchBuffer;
  #kafka: kafkajs.Consumer | undefined;
  #topics: string[] = [];
  #assignment = new Map<string, { topic: string; partition: number }>();
  /** Next offset to hand out, per partition. */
  readonly #positions = new Map<string, number>();
  /** Next offset after the buffered records, per partition. */
  readonly #fetched = new Map<string, number>();
  /** Offset after the last record handed out by poll, per partition. */
  readonly #handed = new Map<string, number>();
  /** Offset last committed through this consumer, per partition. */
  readonly #committed = new Map<string, number>();
  /** Seeks on partitions not assigned yet; applied when they are. */
  readonly #pendingSeeks = new Map<string, number>();
  readonly #paused = new Set<string>();
  #failure: PmaError | undefined;
  #closed = false;
  /** When kafkajs's consumer last stopped without recovering; cleared when the group is joined again. */
  #outageSince: number | undefined;
  #assignments = 0;
  #revivals = 0;

  constructor(client: KafkaClient, admin: KafkaAdmin, names: KafkaNames, options: ConsumerOptions, logger: Logger, onClose: () => void, tuning: KafkaConsumerTuning = {}) {
    if (!options.groupId) throw new ConsumerStateError('a consumer needs a groupId', { field: 'groupId' });
    this.#client = client;
    this.#admin = admin;
    this.#names = names;
    this.#options = {
      groupId: options.groupId,
      fromBeginning: options.fromBeginning ?? true,
      maxRecords: options.maxRecords ?? 5_000,
      maxBytes: options.maxBytes ?? 8 * 1024 * 1024,
    };
    this.#tuning = {
      bufferRecords: tuning.bufferRecords ?? this.#options.maxRecords * 8,
      bufferBytes: tuning.bufferBytes ?? this.#options.maxBytes * 4,
      fetchWaitMs: tuning.fetchWaitMs ?? 100,
      fetchBytesPerPartition: tuning.fetchBytesPerPartition ?? 2 * 1024 * 1024,
      outageMs: tuning.outageMs ?? DEFAULT_OUTAGE_MS,
    };
    this.#logger = logger.child({ component: 'kafka-consumer', groupId: options.groupId });
    this.#onClose = onClose;
    this.#buffer = new FetchBuffer({ maxRecords: this.#tuning.bufferRecords, maxBytes: this.#tuning.bufferBytes });
  }

  async subscribe(topics: string[]): Promise<void> {
    this.#checkOpen();
    if (topics.length === 0) throw new ConsumerStateError('subscribe needs at least one topic', {});
    for (const topic of topics) await this.#admin.partitionCount(topic, true);
    if (this.#kafka) await this.#stopKafka();
    this.#topics = [...new Set(topics)];
    this.#failure = undefined;
    try {
      await this.#start();
    } catch (err) {
      throw wrapKafkaError(err, 'cannot start consumer', { groupId: this.#options.groupId, topics: topics.join(',') });
    }
  }

  /** Starts a kafkajs consumer on the subscription; what this member holds (positions, buffer) carries over. */
  async #start(): Promise<void> {
    const consumer = this.#client.kafka.consumer({
      groupId: this.#names.group(this.#options.groupId),
      // Exactly-once output depends on reading only committed transactions (kafkajs's default too).
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: this.#tuning.fetchWaitMs,
      // Members notice a rebalance on their next heartbeat: 1 s instead of 3 s makes joins quick.
      heartbeatInterval: 1_000,
      maxBytesPerPartition: this.#tuning.fetchBytesPerPartition,
      maxBytes: Math.max(this.#tuning.fetchBytesPerPartition * 4, 16 * 1024 * 1024),
      retry: { restartOnFailure: async () => !this.#closed },
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.#outageSince = undefined;
      this.#onAssigned(event.payload.memberAssignment);
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      // A batch of only markers or aborted records: kafkajs skips eachBatch for it.
      if (event.payload.batchSize === 0) this.#skipTo(this.#names.fromWire(event.payload.topic), event.payload.partition, Number(event.payload.lastOffset) + 1);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || this.#closed || this.#kafka !== consumer) return;
      this.#revive(event.payload.error);
    });
    this.#kafka = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: this.#topics.map((t) => this.#names.topic(t)), fromBeginning: this.#options.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.#onBatch(payload),
    });
  }

  /**
   * kafkajs gave up on its consumer without restarting it: it does so for errors it calls not
   * retriable, among them a group coordinator it cannot find while the broker is away. Within the
   * outage budget this member starts a new one (with backoff) and rejoins; past it, poll fails.
   */
  #revive(err: unknown): void {
    const now = Date.now();
    this.#outageSince ??= now;
    this.#kafka = undefined;
    if (now - this.#outageSince > this.#tuning.outageMs) {
      this.#failure = wrapKafkaError(err, `consumer stopped: no broker answered for ${Math.round((now - this.#outageSince) / 1000)} s`, { groupId: this.#options.groupId });
      this.#logger.error('kafka consumer stopped for good', { err: this.#failure });
      this.#buffer.wake();
      return;
    }
    const delayMs = Math.min(5_000, 300 * 2 ** this.#revivals++);
    this.#logger.warn('kafka consumer stopped; starting it again', { err, delayMs, outageMs: now - this.#outageSince });
    setTimeout(() => {
      if (this.#closed || this.#kafka) return;
      this.#start().then(
        () => {
          this.#revivals = 0;
        },
        (startErr: unknown) => {
          if (!this.#closed) this.#revive(startErr);
        },
      );
    }, delayMs).unref();
  }

  /** kafkajs has (re)joined the group: adopt the new assignment, keep what stays ours. */
  #onAssigned(memberAssignment: Record<string, number[]>): void {
    this.#assignments++;
    const next = new Map<string, { topic: string; partition: number }>();
    for (const [wire, partitions] of Object.entries(memberAssignment)) {
      const topic = this.#names.fromWire(wire);
      for (const partition of partitions) next.set(partitionKey(topic, partition), { topic, partition });
    }
    const lost = [...this.#assignment.keys()].filter((k) => !next.has(k));
    const unpause: Array<{ topic: string; partition: number }> = [];
    for (const k of lost) {
      this.#positions.delete(k);
      this.#fetched.delete(k);
      this.#handed.delete(k);
      this.#committed.delete(k);
      if (this.#paused.delete(k)) unpause.push(this.#assignment.get(k)!);
    }
    if (lost.length > 0) this.#buffer.drop((t, p) => !next.has(partitionKey(t, p)));
    this.#assignment = next;
    this.#logger.debug('assignment', { partitions: [...next.values()].map((tp) => `${tp.topic}/${tp.partition}`) });
    const kafka = this.#kafka;
    if (!kafka) return;
    // kafkajs keeps a pause across rebalances: a paused partition given back later would stay
    // paused for good, since nothing here remembers pausing it.
    if (unpause.length > 0) kafka.resume(unpause.map(({ topic, partition }) => ({ topic: this.#names.topic(topic), partitions: [partition] })));
    for (const [k, { topic, partition }] of next) {
      const pending = this.#pendingSeeks.get(k);
      if (pending !== undefined) {
        this.#pendingSeeks.delete(k);
        this.#positions.set(k, pending);
        this.#fetched.set(k, pending);
      }
      const from = this.#fetched.get(k);
      if (from !== undefined) kafka.seek({ topic: this.#names.topic(topic), partition, offset: String(from) });
      if (this.#paused.has(k)) kafka.pause([{ topic: this.#names.topic(topic), partitions: [partition] }]);
    }
  }

  async #onBatch({ batch, resolveOffset, isRunning, isStale }: kafkajs.EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || this.#closed) return;
    const topic = this.#names.fromWire(batch.topic);
    const { partition } = batch;
    const k = partitionKey(topic, partition);
    if (!this.#assignment.has(k)) return;
    if (this.#buffer.full) {
      this.#pause(k, topic, partition);
      return;
    }
    const from = this.#fetched.get(k) ?? Number((batch as kafkajs.Batch & { fetchedOffset: string }).fetchedOffset);
    if (!this.#positions.has(k)) this.#positions.set(k, from);
    const records: ConsumedRecord[] = [];
    for (const m of batch.messages) {
      const offset = Number(m.offset);
      if (offset < from) continue;
      records.push({
        topic,
        partition,
        offset,
        timestamp: Number(m.timestamp),
        key: m.key ?? null,
        value: m.value ?? null,
        headers: headersOf(m.headers),
      });
    }
    const last = Number(batch.lastOffset());
    this.#fetched.set(k, Math.max(from, last + 1));
    this.#buffer.push({ topic, partition, records, highWatermark: Number(batch.highWatermark) });
    this.#settle(k, topic, partition);
    resolveOffset(batch.lastOffset());
    if (this.#buffer.full) this.#pause(k, topic, partition);
  }

  #pause(k: string, topic: string, partition: number): void {
    if (this.#paused.has(k)) return;
    this.#paused.add(k);
    this.#kafka?.pause([{ topic: this.#names.topic(topic), partitions: [partition] }]);
  }

  #resumeIfRoom(): void {
    if (this.#paused.size === 0 || !this.#buffer.hasRoom) return;
    const byTopic = new Map<string, number[]>();
    for (const k of this.#paused) {
      const tp = this.#assignment.get(k);
      if (!tp) continue;
      byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    }
    this.#paused.clear();
    this.#kafka?.resume([...byTopic].map(([topic, partitions]) => ({ topic: this.#names.topic(topic), partitions })));
  }

  async poll(options: { waitMs?: number; signal?: AbortSignal } = {}): Promise<RecordBatch[]> {
    this.#checkOpen();
    if (this.#topics.length === 0) throw new ConsumerStateError('poll before subscribe', { groupId: this.#options.groupId });
    const deadline = Date.now() + (options.waitMs ?? 1_000);
    for (;;) {
      if (options.signal?.aborted) throw new AbortedError('poll aborted', { groupId: this.#options.groupId });
      if (this.#failure) throw this.#failure;
      if (this.#closed) return [];
      if (this.#buffer.size.records > 0) {
        const batches = this.#buffer.take(this.#options.maxRecords, this.#options.maxBytes);
        for (const b of batches) {
          const lastRecord = b.records[b.records.length - 1];
          if (!lastRecord) continue;
          const k = partitionKey(b.topic, b.partition);
          b.from = this.#positions.get(k);
          this.#positions.set(k, lastRecord.offset + 1);
          this.#handed.set(k, lastRecord.offset + 1);
          this.#settle(k, b.topic, b.partition);
        }
        this.#resumeIfRoom();
        return batches;
      }
      this.#resumeIfRoom();
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await this.#buffer.wait(left, options.signal);
    }
  }

  async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    this.#checkOpen();
    if (this.#topics.length === 0) throw new ConsumerStateError('commit before subscribe', { groupId: this.#options.groupId });
    if (offsets.length === 0) return;
    const kafka = this.#kafka;
    if (!kafka) throw new TransportError('commit failed: the consumer is restarting after losing the broker', { groupId: this.#options.groupId });
    for (const o of offsets) {
      if (!Number.isSafeInteger(o.offset) || o.offset < 0) {
        throw new ConsumerStateError(`cannot commit offset ${o.offset}`, { topic: o.topic, partition: o.partition, offset: o.offset });
      }
    }
    const stepped = offsets.map((o) => ({ ...o, offset: this.committable(o) }));
    try {
      await kafka.commitOffsets(stepped.map((o) => ({ topic: this.#names.topic(o.topic), partition: o.partition, offset: String(o.offset) })));
      for (const o of stepped) this.#committed.set(partitionKey(o.topic, o.partition), o.offset);
    } catch (err) {
      const first = offsets[0]!;
      throw wrapKafkaError(err, 'commit failed', { groupId: this.#options.groupId, topic: first.topic, partition: first.partition });
    }
  }

  position(topic: string, partition: number): number | undefined {
    return this.#positions.get(partitionKey(topic, partition));
  }

  get groupId(): string {
    return this.#options.groupId;
  }

  /** The offset to commit for `o`: the position past markers when `o` covers every record handed out. */
  committable(o: TopicPartitionOffset): number {
    const k = partitionKey(o.topic, o.partition);
    const handed = this.#handed.get(k);
    const position = this.#positions.get(k);
    return handed !== undefined && position !== undefined && o.offset >= handed && position > o.offset ? position : o.offset;
  }

  /** Nothing to hand out before `offset` (markers, aborted records): move the partition past it. */
  #skipTo(topic: string, partition: number, offset: number): void {
    const k = partitionKey(topic, partition);
    if (!this.#assignment.has(k) || offset <= (this.#fetched.get(k) ?? -1)) return;
    this.#fetched.set(k, offset);
    this.#settle(k, topic, partition);
    const kafka = this.#kafka;
    const handed = this.#handed.get(k);
    const allCommitted = handed === undefined || (this.#committed.get(k) ?? -1) >= handed;
    if (!kafka || !allCommitted || this.#buffer.holds(topic, partition)) return;
    kafka.commitOffsets([{ topic: this.#names.topic(topic), partition, offset: String(offset) }]).then(
      () => this.#committed.set(k, Math.max(this.#committed.get(k) ?? 0, offset)),
      (err: unknown) => this.#logger.warn('committing the position past transaction markers failed; the next commit moves it', { topic, partition, offset, err }),
    );
  }

  /** Once no record of the partition is buffered, the position is the fetch position. */
  #settle(k: string, topic: string, partition: number): void {
    const fetched = this.#fetched.get(k);
    const position = this.#positions.get(k);
    if (fetched === undefined || this.#buffer.holds(topic, partition)) return;
    if (position === undefined || fetched > position) this.#positions.set(k, fetched);
  }

  seek(topic: string, partition: number, offset: number): void {
    this.#checkOpen();
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new ConsumerStateError(`cannot seek to offset ${offset}`, { topic, partition, offset });
    }
    const k = partitionKey(topic, partition);
    this.#buffer.drop((t, p) => t === topic && p === partition);
    if (!this.#assignment.has(k) || !this.#kafka) {
      this.#pendingSeeks.set(k, offset);
      return;
    }
    this.#positions.set(k, offset);
    this.#fetched.set(k, offset);
    this.#handed.delete(k);
    try {
      this.#kafka.seek({ topic: this.#names.topic(topic), partition, offset: String(offset) });
    } catch (err) {
      throw wrapKafkaError(err, 'seek failed', { topic, partition, offset });
    }
    this.#resumeIfRoom();
  }

  async seekToBeginning(topic: string, partitions?: number[]): Promise<void> {
    const offsets = await this.#admin.offsets(topic);
    this.#seekEach(topic, partitions, new Map(offsets.map((o) => [o.partition, o.low])));
  }

  async seekToEnd(topic: string, partitions?: number[]): Promise<void> {
    const offsets = await this.#admin.offsets(topic);
    this.#seekEach(topic, partitions, new Map(offsets.map((o) => [o.partition, o.high])));
  }

  async seekToTimestamp(topic: string, timestamp: number, partitions?: number[]): Promise<void> {
    const offsets = await this.#admin.offsetsForTimestamp(topic, timestamp);
    this.#seekEach(topic, partitions, new Map(offsets.map((o) => [o.partition, o.offset])));
  }

  /** Seeks the given partitions, or those assigned of the topic, or (none assigned yet) all of them. */
  #seekEach(topic: string, partitions: number[] | undefined, offsets: Map<number, number>): void {
    const assigned = [...this.#assignment.values()].filter((tp) => tp.topic === topic).map((tp) => tp.partition);
    const chosen = partitions ?? (assigned.length > 0 ? assigned : [...offsets.keys()]);
    for (const p of chosen) {
      const offset = offsets.get(p);
      if (offset === undefined) throw new TopicError(`topic "${topic}" has no partition ${p}`, { topic, partition: p });
      this.seek(topic, p, offset);
    }
  }

  /** Records and bytes fetched but not yet handed out (for tests and metrics). */
  buffered(): { records: number; bytes: number } {
    return this.#buffer.size;
  }

  generation(): number {
    return this.#assignments;
  }

  assignment(): Array<{ topic: string; partition: number }> {
    return [...this.#assignment.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffer.wake();
    try {
      await this.#stopKafka();
    } finally {
      this.#client.release();
      this.#onClose();
    }
  }

  async #stopKafka(): Promise<void> {
    const kafka = this.#kafka;
    this.#kafka = undefined;
    this.#assignment = new Map();
    this.#paused.clear();
    this.#positions.clear();
    this.#fetched.clear();
    this.#handed.clear();
    this.#committed.clear();
    this.#buffer.drop(() => true);
    if (!kafka) return;
    try {
      await kafka.disconnect();
    } catch (err) {
      throw new TransportError(`consumer disconnect failed: ${(err as Error).message}`, { groupId: this.#options.groupId }, { cause: err });
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new ConsumerStateError('consumer is closed', { groupId: this.#options.groupId });
  }
}
