/** Offset look-ups shared by the admin and consumers: partition bounds and timestamp search. */
import type { ConsumedRecord, PartitionOffsets, TopicPartitionOffset } from '../types.ts';
import { decodeBatch } from './batch-codec.ts';
import type { TopicMeta } from './catalog.ts';
import type { LogDatabase } from './database.ts';

/** Low (log start) and high (next offset) of every partition of a topic. */
export function partitionBounds(db: LogDatabase, topic: TopicMeta): PartitionOffsets[] {
  const rows = db.stmt('SELECT partition, log_start, next_offset FROM log_partitions WHERE topic_id = ? ORDER BY partition').all(topic.id) as Array<{
    partition: number;
    log_start: number;
    next_offset: number;
  }>;
  return rows.map((r) => ({ partition: r.partition, low: r.log_start, high: r.next_offset }));
}

/**
 * Per partition, the first offset whose record timestamp is >= `timestamp` (the high watermark
 * if none). Batches whose largest timestamp is smaller are skipped without reading their records.
 */
export function offsetsForTimestamp(db: LogDatabase, topic: TopicMeta, timestamp: number): TopicPartitionOffset[] {
  const firstBatch = db.stmt('SELECT base_offset, last_offset, payload FROM log_batches WHERE topic_id = ? AND partition = ? AND max_ts >= ? ORDER BY last_offset LIMIT 1');
  return db.read(() =>
    partitionBounds(db, topic).map(({ partition, high }) => {
      const row = firstBatch.get(topic.id, partition, timestamp) as { base_offset: number; last_offset: number; payload: Uint8Array } | undefined;
      if (!row) return { topic: topic.name, partition, offset: high };
      const records: ConsumedRecord[] = [];
      const budget = { records: Number.POSITIVE_INFINITY, bytes: Number.POSITIVE_INFINITY, taken: 0 };
      decodeBatch(row.payload, { path: db.path, topic: topic.name, partition, baseOffset: row.base_offset, lastOffset: row.last_offset }, 0, records, budget);
      const hit = records.find((r) => r.timestamp >= timestamp);
      return { topic: topic.name, partition, offset: hit ? hit.offset : high };
    }),
  );
}
