/**
 * A consumer-group member on the embedded log. Joins its group on `subscribe`, keeps its
 * membership alive with a heartbeat timer, follows rebalances whenever the group's generation
 * or the topic list moves, and waits for records without polling in a loop (see notifier.ts).
 */
import { AbortedError, ConsumerStateError, TopicError, TransportError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { partitionKey } from '../partition-key.ts';
import type { Consumer, ConsumerOptions, RecordBatch, TopicPartitionOffset } from '../types.ts';
import type { TopicPartition } from './assignor.ts';
import type { TopicCatalog } from './catalog.ts';
import type { LogDatabase } from './database.ts';
import { fetchRecords, type Position } from './fetcher.ts';
import type { GroupMember, GroupSync } from './group.ts';
import type { ChangeNotifier } from './notifier.ts';
import { offsetsForTimestamp, partitionBounds } from './offsets.ts';

export interface ConsumerDeps {
  db: LogDatabase;
  catalog: TopicCatalog;
  notifier: ChangeNotifier;
  logger: Logger;
  member: GroupMember;
  heartbeatMs: number;
  /** A member that cannot heartbeat for this long has lost its partitions: the consumer fails then. */
  sessionTimeoutMs: number;
}

/** SQLite's primary result codes that another process's write explains, and that pass: SQLITE_BUSY, SQLITE_LOCKED. */
const TRANSIENT_SQLITE_CODES = new Set([5, 6]);

const DEFAULT_MAX_RECORDS = 5_000;
const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

export class EmbeddedConsumer implements Consumer {
  readonly #deps: ConsumerDeps;
  readonly #options: Required<Pick<ConsumerOptions, 'fromBeginning' | 'maxRecords' | 'maxBytes'>>;
  readonly #onClose: () => void;
  readonly #positions = new Map<string, Position>();
  readonly #pendingSeeks = new Map<string, number>();
  #subscribed = false;
  #generation = -1;
  #topicsVersion = -1;
  #heartbeat: NodeJS.Timeout | undefined;
  #rotation = 0;
  #closed = false;
  /** Why the consumer cannot go on (a heartbeat that failed for good); poll and commit throw it. */
  #failure: unknown;
  #beatFailingSince: number | undefined;

  constructor(deps: ConsumerDeps, options: ConsumerOptions, onClose: () => void) {
    if (!options.groupId) throw new ConsumerStateError('a consumer needs a groupId');
    this.#deps = deps;
    this.#options = {
      fromBeginning: options.fromBeginning ?? true,
      maxRecords: positive(options.maxRecords, DEFAULT_MAX_RECORDS, 'maxRecords'),
      maxBytes: positive(options.maxBytes, DEFAULT_MAX_BYTES, 'maxBytes'),
    };
    this.#onClose = onClose;
  }

  async subscribe(topics: string[]): Promise<void> {
    this.#checkOpen();
    if (topics.length === 0) throw new ConsumerStateError('subscribe needs at least one topic', { group: this.#deps.member.groupId });
    this.#topicsVersion = this.#deps.catalog.version();
    this.#apply(this.#deps.member.join(topics));
    this.#deps.notifier.changed();
    this.#subscribed = true;
    if (!this.#heartbeat) {
      this.#heartbeat = setInterval(() => this.#beat(), this.#deps.heartbeatMs);
      this.#heartbeat.unref();
    }
  }

  async poll(options: { waitMs?: number; signal?: AbortSignal } = {}): Promise<RecordBatch[]> {
    this.#checkSubscribed();
    const { signal } = options;
    const deadline = Date.now() + (options.waitMs ?? 1_000);
    for (;;) {
      if (signal?.aborted) throw new AbortedError('poll aborted', { group: this.#deps.member.groupId });
      if (this.#failure) throw this.#failure;
      const mark = this.#deps.notifier.mark();
      this.#followGroup();
      const batches = this.#fetch();
      if (batches.length > 0 || this.#closed) return batches;
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await this.#deps.notifier.wait(mark, left, signal);
      if (this.#closed) return [];
    }
  }

  async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    this.#checkSubscribed();
    if (this.#failure) throw this.#failure;
    if (offsets.length === 0) return;
    const { db, member } = this.#deps;
    for (const o of offsets) {
      if (!Number.isSafeInteger(o.offset) || o.offset < 0) {
        throw new ConsumerStateError(`cannot commit offset ${o.offset}: offsets are non-negative integers`, { ...o });
      }
    }
    const upsert = db.stmt(
      'INSERT INTO log_group_offsets (group_id, topic, partition, next_offset, committed_at) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset, committed_at = excluded.committed_at',
    );
    db.write(
      () => {
        const now = Date.now();
        for (const o of offsets) {
          if (!member.owns(o.topic, o.partition)) {
            throw new ConsumerStateError('cannot commit: the partition is not assigned to this member (it was rebalanced away); its records will be delivered again to the new owner', {
              topic: o.topic,
              partition: o.partition,
              offset: o.offset,
              group: member.groupId,
            });
          }
          upsert.run(member.groupId, o.topic, o.partition, o.offset, now);
        }
      },
      { group: member.groupId },
    );
    this.#deps.notifier.changed();
  }

  position(topic: string, partition: number): number | undefined {
    return this.#positions.get(partitionKey(topic, partition))?.next;
  }

  seek(topic: string, partition: number, offset: number): void {
    this.#checkOpen();
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new ConsumerStateError(`cannot seek to offset ${offset}`, { topic, partition, offset });
    }
    const meta = this.#deps.catalog.require(topic);
    if (!Number.isInteger(partition) || partition < 0 || partition >= meta.partitions) {
      throw new TopicError(`partition ${partition} does not exist (topic has ${meta.partitions})`, { topic, partition });
    }
    const key = partitionKey(topic, partition);
    const pos = this.#positions.get(key);
    if (pos) pos.next = offset;
    else this.#pendingSeeks.set(key, offset);
  }

  async seekToBeginning(topic: string, partitions?: number[]): Promise<void> {
    for (const b of this.#bounds(topic, partitions)) this.seek(topic, b.partition, b.low);
  }

  async seekToEnd(topic: string, partitions?: number[]): Promise<void> {
    for (const b of this.#bounds(topic, partitions)) this.seek(topic, b.partition, b.high);
  }

  async seekToTimestamp(topic: string, timestamp: number, partitions?: number[]): Promise<void> {
    this.#checkOpen();
    const meta = this.#deps.catalog.require(topic);
    const wanted = partitions ? new Set(partitions) : undefined;
    for (const o of offsetsForTimestamp(this.#deps.db, meta, timestamp)) {
      if (!wanted || wanted.has(o.partition)) this.seek(topic, o.partition, o.offset);
    }
  }

  generation(): number {
    return this.#generation;
  }

  assignment(): Array<{ topic: string; partition: number }> {
    return [...this.#positions.values()].map((p) => ({ topic: p.topic.name, partition: p.partition })).sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    try {
      if (this.#subscribed && this.#deps.db.isOpen) this.#deps.member.leave();
    } finally {
      this.#positions.clear();
      this.#deps.notifier.changed();
      this.#onClose();
    }
  }

  #bounds(topic: string, partitions?: number[]) {
    this.#checkOpen();
    const meta = this.#deps.catalog.require(topic);
    const all = partitionBounds(this.#deps.db, meta);
    return partitions ? all.filter((b) => partitions.includes(b.partition)) : all;
  }

  /** Syncs with the group if its generation or the topic list moved since we last looked. */
  #followGroup(): void {
    const topicsVersion = this.#deps.catalog.version();
    const topicsMoved = topicsVersion !== this.#topicsVersion;
    if (topicsMoved) {
      // A topic deleted and created again under the same name is a new log: start it afresh.
      for (const [key, pos] of this.#positions) {
        if (this.#deps.catalog.get(pos.topic.name)?.id !== pos.topic.id) this.#positions.delete(key);
      }
    }
    if (topicsMoved || this.#deps.member.generation() !== this.#generation) this.#apply(this.#deps.member.sync());
    this.#topicsVersion = topicsVersion;
  }

  /**
   * Another process holding the write lock is waited out, up to the session timeout; anything
   * else (a full disk, a damaged or unreadable file) fails the consumer at once: retrying every
   * few seconds would leave the stage waiting forever for partitions it can never claim.
   */
  #beat(): void {
    if (this.#closed || this.#failure) return;
    try {
      this.#apply(this.#deps.member.sync());
      this.#beatFailingSince = undefined;
    } catch (err) {
      const now = Date.now();
      this.#beatFailingSince ??= now;
      const code = (err as { context?: { sqliteCode?: unknown } }).context?.sqliteCode;
      const transient = typeof code === 'number' && TRANSIENT_SQLITE_CODES.has(code & 0xff);
      if (transient && now - this.#beatFailingSince < this.#deps.sessionTimeoutMs) {
        this.#deps.logger.warn('consumer group heartbeat failed; will retry within the session timeout', { group: this.#deps.member.groupId, err });
        return;
      }
      this.#failure = new TransportError(
        `consumer group ${this.#deps.member.groupId} cannot heartbeat on the embedded log: ${(err as Error).message}`,
        { path: this.#deps.db.path, group: this.#deps.member.groupId },
        { cause: err },
      );
      this.#deps.notifier.changed();
    }
  }

  /** Takes a sync's ownership: drops revoked partitions, positions newly assigned ones. */
  #apply(sync: GroupSync): void {
    this.#generation = sync.generation;
    if (sync.rejoined) this.#positions.clear();
    const owned = new Map(sync.owned.map((tp) => [partitionKey(tp.topic, tp.partition), tp]));
    for (const key of [...this.#positions.keys()]) if (!owned.has(key)) this.#positions.delete(key);
    const added = [...owned].filter(([key]) => !this.#positions.has(key));
    if (added.length === 0) return;
    for (const [key, tp] of added) this.#positions.set(key, this.#initialPosition(key, tp));
    this.#deps.logger.debug('consumer assigned partitions', {
      group: this.#deps.member.groupId,
      member: this.#deps.member.memberId,
      added: added.map(([, tp]) => `${tp.topic}[${tp.partition}]`),
    });
  }

  #initialPosition(key: string, tp: TopicPartition): Position {
    const topic = this.#deps.catalog.require(tp.topic);
    const pending = this.#pendingSeeks.get(key);
    if (pending !== undefined) {
      this.#pendingSeeks.delete(key);
      return { topic, partition: tp.partition, next: pending };
    }
    const committed = this.#deps.db.stmt('SELECT next_offset FROM log_group_offsets WHERE group_id = ? AND topic = ? AND partition = ?').get(this.#deps.member.groupId, tp.topic, tp.partition) as
      | { next_offset: number }
      | undefined;
    if (committed) return { topic, partition: tp.partition, next: committed.next_offset };
    const bounds = partitionBounds(this.#deps.db, topic).find((b) => b.partition === tp.partition);
    if (!bounds) throw new TransportError('assigned partition has no log', { topic: tp.topic, partition: tp.partition });
    return { topic, partition: tp.partition, next: this.#options.fromBeginning ? bounds.low : bounds.high };
  }

  #fetch(): RecordBatch[] {
    const all = [...this.#positions.values()];
    if (all.length === 0) return [];
    // Start from a different partition each poll so a busy one cannot starve the others.
    const start = this.#rotation++ % all.length;
    const ordered = start === 0 ? all : [...all.slice(start), ...all.slice(0, start)];
    return fetchRecords(this.#deps.db, ordered, this.#options, this.#deps.logger);
  }

  #checkOpen(): void {
    if (this.#closed) throw new ConsumerStateError('consumer is closed', { group: this.#deps.member.groupId });
  }

  #checkSubscribed(): void {
    this.#checkOpen();
    if (!this.#subscribed) throw new ConsumerStateError('subscribe before polling or committing', { group: this.#deps.member.groupId });
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConsumerStateError(`${name} must be a positive integer, got ${value}`, { field: name });
  }
  return value;
}
