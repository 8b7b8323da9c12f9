/**
 * Quarantine of damaged batches (`pma verify --repair`). A batch whose bytes fail their CRC cannot
 * be read, and a consumer meeting it cannot go past it; its records are lost. Quarantine says so
 * and lets the log move on:
 *
 *   1. one dead letter per lost offset goes to `pma.dlq` (stage "verify", reason
 *      "quarantined-batch", no key or value: they are what was lost), durable first, so a kill
 *      before step 2 sends them again rather than never;
 *   2. in one transaction the batch row moves from `log_batches` to `verify_quarantine` (bytes
 *      kept for forensics) and the partition's byte count drops by its size.
 *
 * Consumers then step over the missing offsets: fetcher.ts refuses a hole in a topic that is never
 * compacted unless quarantine-table.ts says verify quarantined it.
 */
import { sendDeadLetters } from '../../registry/dead-letter.ts';
import { TransportError } from '../../runtime/errors.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { Transport } from '../types.ts';
import { LogDatabase } from './database.ts';
import { QUARANTINE_TABLE } from './quarantine-table.ts';

export interface QuarantineRequest {
  id: number;
  topic: string;
  partition: number;
  from: number;
  to: number;
  reason: string;
}

/** Quarantines the batches; returns the records lost per batch id. */
export async function quarantineBatches(path: string, transport: Transport, batches: readonly QuarantineRequest[]): Promise<Map<number, number>> {
  const lost = new Map<number, number>();
  if (batches.length === 0) return lost;
  const { name, partitions, cleanupPolicy } = TOPICS.dlq;
  await transport.admin().createTopics([{ name, partitions, cleanupPolicy }]);
  const producer = transport.producer({ clientId: 'pma-verify-dlq' });
  try {
    for (const b of batches) {
      const letters = [];
      for (let offset = b.from; offset <= b.to; offset++) {
        letters.push({
          record: { topic: b.topic, partition: b.partition, offset, timestamp: 0, key: null, value: null, headers: {} },
          reason: 'quarantined-batch',
          error: new TransportError(`record lost: its batch failed verification (${b.reason}) and was quarantined`, { topic: b.topic, partition: b.partition, offset, path }),
          stage: 'verify',
        });
      }
      await sendDeadLetters(producer, letters);
    }
  } finally {
    await producer.close();
  }
  const db = new LogDatabase(path, { busyTimeoutMs: 10_000 });
  try {
    db.write(
      () => {
        db.exec(
          `CREATE TABLE IF NOT EXISTS ${QUARANTINE_TABLE} (id INTEGER PRIMARY KEY, topic TEXT NOT NULL, partition INTEGER NOT NULL, base_offset INTEGER NOT NULL, last_offset INTEGER NOT NULL, record_count INTEGER NOT NULL, reason TEXT NOT NULL, quarantined_at INTEGER NOT NULL, payload BLOB NOT NULL)`,
        );
        const now = Date.now();
        for (const b of batches) {
          const row = db.stmt('SELECT topic_id, record_count, bytes, payload FROM log_batches WHERE id = ?').get(b.id) as
            | { topic_id: number; record_count: number; bytes: number; payload: Uint8Array }
            | undefined;
          if (!row) continue;
          db.stmt(`INSERT INTO ${QUARANTINE_TABLE} (topic, partition, base_offset, last_offset, record_count, reason, quarantined_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(
            b.topic,
            b.partition,
            b.from,
            b.to,
            row.record_count,
            b.reason,
            now,
            row.payload,
          );
          db.stmt('DELETE FROM log_batches WHERE id = ?').run(b.id);
          db.stmt('UPDATE log_partitions SET bytes = max(0, bytes - ?) WHERE topic_id = ? AND partition = ?').run(row.bytes, row.topic_id, b.partition);
          lost.set(b.id, row.record_count);
        }
      },
      { path },
    );
  } finally {
    db.close();
  }
  return lost;
}
