/**
 * The write of one `send`: encoded batches go into `log_batches`, each after bumping its
 * partition's next offset, all in one write transaction. Runs on the writer thread.
 */
import { StaleTopicError } from '../../runtime/errors.ts';
import type { LogDatabase } from './database.ts';

/** One encoded batch of a send; its payload is `payloads[offset, offset + size)`. */
export interface AppendBatch {
  topicId: number;
  partition: number;
  count: number;
  lastDelta: number;
  firstTimestamp: number;
  maxTimestamp: number;
  dataBytes: number;
  offset: number;
  size: number;
}

/** Appends the batches in one transaction; returns the base offset each got. */
export function appendBatches(db: LogDatabase, batches: AppendBatch[], payloads: Buffer): number[] {
  const bump = db.stmt('UPDATE log_partitions SET next_offset = next_offset + ?, bytes = bytes + ?, dirty_bytes = dirty_bytes + ? ' + 'WHERE topic_id = ? AND partition = ? RETURNING next_offset');
  const insert = db.stmt('INSERT INTO log_batches (topic_id, partition, base_offset, last_offset, record_count, first_ts, max_ts, bytes, payload) ' + 'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  return db.write(() =>
    batches.map((b) => {
      const row = bump.get(b.count, b.dataBytes, b.dataBytes, b.topicId, b.partition) as { next_offset: number } | undefined;
      if (!row) throw new StaleTopicError(b.topicId);
      const base = row.next_offset - b.count;
      insert.run(b.topicId, b.partition, base, base + b.lastDelta, b.count, b.firstTimestamp, b.maxTimestamp, b.dataBytes, payloads.subarray(b.offset, b.offset + b.size));
      return base;
    }),
  );
}
