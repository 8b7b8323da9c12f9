/**
 * Reads records of assigned partitions from stored batches, within a poll's limits, in one read
 * transaction (so the high watermarks match the records returned).
 */
import { TransportError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import type { ConsumedRecord, RecordBatch } from '../types.ts';
import { type DecodeBudget, decodeBatch } from './batch-codec.ts';
import type { TopicMeta } from './catalog.ts';
import type { LogDatabase } from './database.ts';
import { quarantinedCover } from './quarantine-table.ts';

/** An assigned partition and the next offset to read from it. */
export interface Position {
  topic: TopicMeta;
  partition: number;
  next: number;
}

interface BatchRow {
  base_offset: number;
  last_offset: number;
  payload: Uint8Array;
}

export interface FetchLimits {
  maxRecords: number;
  maxBytes: number;
}

/**
 * Fetches from `positions` in the order given, advancing each position past what it returns.
 * A position below the log start (records deleted by retention) or above the end is moved to
 * the nearest valid offset, with a warning.
 */
export function fetchRecords(db: LogDatabase, positions: Position[], limits: FetchLimits, logger: Logger): RecordBatch[] {
  const budget: DecodeBudget = { records: limits.maxRecords, bytes: limits.maxBytes, taken: 0 };
  const out: RecordBatch[] = [];
  const bounds = db.stmt('SELECT log_start, next_offset FROM log_partitions WHERE topic_id = ? AND partition = ?');
  const rows = db.stmt('SELECT base_offset, last_offset, payload FROM log_batches WHERE topic_id = ? AND partition = ? AND last_offset >= ? ORDER BY last_offset');
  db.read(() => {
    for (const pos of positions) {
      if (budget.taken > 0 && (budget.records <= 0 || budget.bytes <= 0)) break;
      const b = bounds.get(pos.topic.id, pos.partition) as { log_start: number; next_offset: number } | undefined;
      if (!b) continue;
      if (pos.next < b.log_start || pos.next > b.next_offset) {
        const to = pos.next < b.log_start ? b.log_start : b.next_offset;
        logger.warn('consumer position out of range; moved to the nearest offset in the log', {
          topic: pos.topic.name,
          partition: pos.partition,
          offset: pos.next,
          movedTo: to,
        });
        pos.next = to;
      }
      if (pos.next >= b.next_offset) continue;
      const records: ConsumedRecord[] = [];
      const where = { path: db.path, topic: pos.topic.name, partition: pos.partition, baseOffset: 0, lastOffset: 0 };
      // A topic that is never compacted holds every offset from its log start to its end (retention
      // removes whole batches from the start only): a hole means rows were lost from the file, and
      // stepping over it would drop those records without a word. Offsets verify --repair quarantined
      // (their loss already reported and dead-lettered) are the exception.
      const contiguous = pos.topic.cleanupPolicy === 'delete';
      let expected = pos.next;
      let reachedEnd = true;
      for (const row of rows.iterate(pos.topic.id, pos.partition, pos.next) as Iterable<BatchRow>) {
        where.baseOffset = row.base_offset;
        where.lastOffset = row.last_offset;
        if (contiguous && row.base_offset > expected && !quarantinedCover(db, pos.topic.name, pos.partition, expected, row.base_offset - 1)) throw missing(db.path, pos, expected, row.base_offset - 1);
        expected = row.last_offset + 1;
        const last = decodeBatch(row.payload, where, pos.next, records, budget);
        if (last !== row.last_offset || budget.records <= 0 || budget.bytes <= 0) {
          reachedEnd = false;
          break;
        }
      }
      if (reachedEnd && contiguous && expected < b.next_offset && !quarantinedCover(db, pos.topic.name, pos.partition, expected, b.next_offset - 1))
        throw missing(db.path, pos, expected, b.next_offset - 1);
      if (records.length > 0) pos.next = records[records.length - 1]!.offset + 1;
      // Everything below next_offset was examined: skip over offsets compaction removed.
      if (reachedEnd) pos.next = b.next_offset;
      if (records.length > 0) {
        out.push({ topic: pos.topic.name, partition: pos.partition, records, highWatermark: b.next_offset });
      }
    }
  });
  return out;
}

function missing(path: string, pos: Position, from: number, to: number): TransportError {
  return new TransportError(`records missing from the embedded log: offsets ${from} to ${to} of ${pos.topic.name}[${pos.partition}] are gone (the file was damaged or edited)`, {
    path,
    topic: pos.topic.name,
    partition: pos.partition,
    offset: from,
    lastOffset: to,
  });
}
