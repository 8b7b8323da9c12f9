/**
 * Log maintenance: retention by age and by size for delete-policy topics (whole batches, oldest
 * first, advancing the log start offset), and compaction for compacted topics (the last record
 * per key survives at its original offset; tombstones go once older than the tombstone
 * retention). Runs on a timer, after every `everyBytes` written to a topic through this
 * transport, and on demand (`EmbeddedAdmin.compactNow`). Each partition is one write
 * transaction, so several processes may run it at once: they simply take turns.
 */
import type { Logger } from '../../runtime/logger.ts';
import type { ConsumedRecord } from '../types.ts';
import { decodeBatch, encodeStored } from './batch-codec.ts';
import type { TopicCatalog, TopicMeta } from './catalog.ts';
import type { LogDatabase } from './database.ts';
import type { ChangeNotifier } from './notifier.ts';

export interface MaintenanceOptions {
  /** Timer period; 0 turns the timer off. Default 60 s. */
  intervalMs: number;
  /** Bytes of keys and values written to one topic (by this process) that trigger a run for it. Default 64 MiB. */
  everyBytes: number;
  /** A tombstone (null value) on a compacted topic is removed once its timestamp is this old. Default 24 h. */
  tombstoneRetentionMs: number;
  /** A compacted partition is compacted when bytes written since its last compaction reach this share of it. Default 0.5. */
  minDirtyRatio: number;
}

export const DEFAULT_MAINTENANCE: MaintenanceOptions = {
  intervalMs: 60_000,
  everyBytes: 64 * 1024 * 1024,
  tombstoneRetentionMs: 24 * 60 * 60 * 1000,
  minDirtyRatio: 0.5,
};

/** What one maintenance run did. */
export interface MaintenanceReport {
  /** Batches removed by retention (age or size). */
  expiredBatches: number;
  /** Records removed by compaction (superseded values and old tombstones). */
  compactedRecords: number;
  /** Partitions compaction rewrote. */
  compactedPartitions: number;
}

/** Survivor batches written by compaction hold at most about this many bytes of data. */
const REPACK_BYTES = 1 << 20;
/** Untouched batches smaller than this are merged into their neighbours when compaction runs. */
const SMALL_BATCH_RECORDS = 64;

interface PartitionRow {
  partition: number;
  log_start: number;
  next_offset: number;
  bytes: number;
  dirty_bytes: number;
}

export class LogMaintenance {
  readonly #db: LogDatabase;
  readonly #catalog: TopicCatalog;
  readonly #logger: Logger;
  readonly #notifier: ChangeNotifier;
  readonly #options: MaintenanceOptions;
  readonly #written = new Map<number, number>();
  readonly #due = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #scheduled: NodeJS.Immediate | undefined;

  constructor(deps: { db: LogDatabase; catalog: TopicCatalog; logger: Logger; notifier: ChangeNotifier }, options: MaintenanceOptions) {
    this.#db = deps.db;
    this.#catalog = deps.catalog;
    this.#logger = deps.logger;
    this.#notifier = deps.notifier;
    this.#options = options;
  }

  start(): void {
    if (this.#options.intervalMs <= 0 || this.#timer) return;
    this.#timer = setInterval(() => this.#runSafely(), this.#options.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
  }

  /** Counts bytes written; schedules a run (off the producer's call path) for topics past the threshold. */
  noteWrite(written: Map<TopicMeta, number>): void {
    for (const [topic, bytes] of written) {
      if (topic.cleanupPolicy === 'delete' && topic.retentionMs === null && topic.retentionBytes === null) continue;
      const total = (this.#written.get(topic.id) ?? 0) + bytes;
      if (total < this.#options.everyBytes) {
        this.#written.set(topic.id, total);
        continue;
      }
      this.#written.set(topic.id, 0);
      this.#due.add(topic.name);
    }
    if (this.#due.size > 0 && !this.#scheduled) {
      this.#scheduled = setImmediate(() => {
        this.#scheduled = undefined;
        const topics = [...this.#due];
        this.#due.clear();
        this.#runSafely(topics);
      });
    }
  }

  /**
   * Applies retention and compaction now. `force` compacts every compacted partition that has
   * anything to remove, whatever its dirty ratio. Topics default to all.
   */
  run(options: { topics?: string[]; force?: boolean } = {}): MaintenanceReport {
    const report: MaintenanceReport = { expiredBatches: 0, compactedRecords: 0, compactedPartitions: 0 };
    this.#catalog.refreshIfChanged();
    const topics = options.topics ? options.topics.map((name) => this.#catalog.require(name)) : this.#catalog.all();
    for (const topic of topics) {
      for (let partition = 0; partition < topic.partitions; partition++) {
        if (topic.cleanupPolicy === 'compact') this.#compact(topic, partition, options.force ?? false, report);
        else this.#expire(topic, partition, report);
      }
    }
    if (report.expiredBatches > 0 || report.compactedRecords > 0) {
      this.#notifier.changed();
      this.#logger.info('embedded log maintenance', { ...report });
      this.#reclaimSpace();
    }
    return report;
  }

  #runSafely(topics?: string[]): void {
    if (!this.#db.isOpen) return;
    try {
      this.run(topics ? { topics } : {});
    } catch (err) {
      this.#logger.warn('embedded log maintenance failed; will run again later', { err, topics });
    }
  }

  #expire(topic: TopicMeta, partition: number, report: MaintenanceReport): void {
    if (topic.retentionMs === null && topic.retentionBytes === null) return;
    const db = this.#db;
    db.write(
      () => {
        const p = this.#partitionRow(topic, partition);
        if (!p) return;
        let keepFrom: number | undefined;
        if (topic.retentionMs !== null) {
          // Whole batches from the start of the log whose newest record is past retention.
          const first = db
            .stmt('SELECT base_offset FROM log_batches WHERE topic_id = ? AND partition = ? AND max_ts >= ? ORDER BY last_offset LIMIT 1')
            .get(topic.id, partition, Date.now() - topic.retentionMs) as { base_offset: number } | undefined;
          keepFrom = first ? first.base_offset : p.next_offset;
        }
        if (topic.retentionBytes !== null && p.bytes > topic.retentionBytes) {
          // The oldest batches, until what is left fits in retentionBytes.
          let excess = p.bytes - topic.retentionBytes;
          let sizeKeepFrom = p.log_start;
          for (const b of db.stmt('SELECT last_offset, bytes FROM log_batches WHERE topic_id = ? AND partition = ? ORDER BY last_offset').iterate(topic.id, partition) as Iterable<{
            last_offset: number;
            bytes: number;
          }>) {
            if (excess <= 0) break;
            excess -= b.bytes;
            sizeKeepFrom = b.last_offset + 1;
          }
          keepFrom = Math.max(keepFrom ?? 0, sizeKeepFrom);
        }
        if (keepFrom === undefined || keepFrom <= p.log_start) return;
        const removed = db.stmt('DELETE FROM log_batches WHERE topic_id = ? AND partition = ? AND last_offset < ? RETURNING bytes').all(topic.id, partition, keepFrom) as Array<{ bytes: number }>;
        const bytes = removed.reduce((n, r) => n + r.bytes, 0);
        const start = db.stmt('SELECT base_offset FROM log_batches WHERE topic_id = ? AND partition = ? ORDER BY last_offset LIMIT 1').get(topic.id, partition) as { base_offset: number } | undefined;
        db.stmt('UPDATE log_partitions SET log_start = ?, bytes = bytes - ? WHERE topic_id = ? AND partition = ?').run(start ? start.base_offset : p.next_offset, bytes, topic.id, partition);
        report.expiredBatches += removed.length;
      },
      { topic: topic.name, partition },
    );
  }

  #compact(topic: TopicMeta, partition: number, force: boolean, report: MaintenanceReport): void {
    const db = this.#db;
    db.write(
      () => {
        const p = this.#partitionRow(topic, partition);
        if (!p || (p.dirty_bytes === 0 && !force)) return;
        if (!force && p.dirty_bytes < this.#options.minDirtyRatio * p.bytes) return;
        const rows = db
          .stmt('SELECT id, base_offset, last_offset, record_count, payload FROM log_batches WHERE topic_id = ? AND partition = ? ORDER BY last_offset')
          .all(topic.id, partition) as Array<{ id: number; base_offset: number; last_offset: number; record_count: number; payload: Uint8Array }>;
        const batches = rows.map((row) => {
          const records: ConsumedRecord[] = [];
          const budget = { records: Number.POSITIVE_INFINITY, bytes: Number.POSITIVE_INFINITY, taken: 0 };
          decodeBatch(row.payload, { path: db.path, topic: topic.name, partition, baseOffset: row.base_offset, lastOffset: row.last_offset }, 0, records, budget);
          return { id: row.id, records };
        });
        const latest = new Map<string, number>();
        for (const b of batches) for (const r of b.records) if (r.key) latest.set(r.key.toString('latin1'), r.offset);
        const tombstoneCutoff = Date.now() - this.#options.tombstoneRetentionMs;
        const survives = (r: ConsumedRecord) => (r.key === null || latest.get(r.key.toString('latin1')) === r.offset) && !(r.value === null && r.timestamp < tombstoneCutoff);

        const removeIds: number[] = [];
        const writes: ConsumedRecord[][] = [];
        let pending: ConsumedRecord[] = [];
        let pendingBytes = 0;
        let removed = 0;
        const flush = () => {
          if (pending.length > 0) writes.push(pending);
          pending = [];
          pendingBytes = 0;
        };
        for (const b of batches) {
          const kept = b.records.filter(survives);
          removed += b.records.length - kept.length;
          if (kept.length === b.records.length && kept.length >= SMALL_BATCH_RECORDS) {
            flush();
            continue;
          }
          removeIds.push(b.id);
          for (const r of kept) {
            pending.push(r);
            pendingBytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
            if (pendingBytes >= REPACK_BYTES) flush();
          }
        }
        flush();
        // Rewrite only if records go, or if several small batches can become one.
        if (removed === 0 && removeIds.length <= 1) {
          db.stmt('UPDATE log_partitions SET dirty_bytes = 0, compacted_at = ? WHERE topic_id = ? AND partition = ?').run(Date.now(), topic.id, partition);
          return;
        }
        const del = db.stmt('DELETE FROM log_batches WHERE id = ?');
        for (const id of removeIds) del.run(id);
        const insert = db.stmt('INSERT INTO log_batches (topic_id, partition, base_offset, last_offset, record_count, first_ts, max_ts, bytes, payload) ' + 'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
        for (const records of writes) {
          const base = records[0]!.offset;
          const e = encodeStored(records, base);
          insert.run(topic.id, partition, base, base + e.lastDelta, e.count, e.firstTimestamp, e.maxTimestamp, e.dataBytes, e.payload);
        }
        const total = db.stmt('SELECT coalesce(sum(bytes), 0) AS bytes FROM log_batches WHERE topic_id = ? AND partition = ?').get(topic.id, partition) as { bytes: number };
        db.stmt('UPDATE log_partitions SET bytes = ?, dirty_bytes = 0, compacted_at = ? WHERE topic_id = ? AND partition = ?').run(total.bytes, Date.now(), topic.id, partition);
        report.compactedRecords += removed;
        report.compactedPartitions++;
      },
      { topic: topic.name, partition },
    );
  }

  #partitionRow(topic: TopicMeta, partition: number): PartitionRow | undefined {
    return this.#db.stmt('SELECT partition, log_start, next_offset, bytes, dirty_bytes FROM log_partitions WHERE topic_id = ? AND partition = ?').get(topic.id, partition) as PartitionRow | undefined;
  }

  /** Gives free pages back to the file system once a good share of the file is free. */
  #reclaimSpace(): void {
    const free = (this.#db.stmt('PRAGMA freelist_count').get() as { freelist_count: number }).freelist_count;
    const total = (this.#db.stmt('PRAGMA page_count').get() as { page_count: number }).page_count;
    if (free > 256 && free > total / 4) this.#db.exec('PRAGMA incremental_vacuum');
  }
}
