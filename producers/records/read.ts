/**
 * Reads a whole topic, from its first record to its end at the time of the call, with a
 * throw-away consumer group that never commits (reading leaves no progress behind).
 */
import { randomUUID } from 'node:crypto';
import type { ConsumedRecord, Transport } from '../../transport/types.ts';

export async function readTopic(transport: Transport, topic: string, onRecord: (r: ConsumedRecord) => Promise<void> | void, signal?: AbortSignal): Promise<void> {
  const admin = transport.admin();
  if (!(await admin.describeTopic(topic))) return;
  const ends = new Map((await admin.offsets(topic)).map((p) => [p.partition, p.high]));
  const remaining = new Map([...ends].filter(([, high]) => high > 0));
  if (remaining.size === 0) return;
  const consumer = transport.consumer({ groupId: `pma-reader-${randomUUID()}`, fromBeginning: true });
  try {
    await consumer.subscribe([topic]);
    while (remaining.size > 0) {
      const batches = await consumer.poll({ waitMs: 500, signal });
      for (const b of batches) {
        const end = ends.get(b.partition) ?? 0;
        for (const r of b.records) if (r.offset < end) await onRecord(r);
        const last = b.records.at(-1);
        if (last && last.offset + 1 >= end) remaining.delete(b.partition);
      }
      for (const [partition, high] of remaining) {
        const pos = consumer.position(topic, partition);
        if (pos !== undefined && pos >= high) remaining.delete(partition);
      }
    }
  } finally {
    await consumer.close();
  }
}
