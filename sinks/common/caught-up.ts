/**
 * Whether a consumer has read everything that was in its assigned partitions: each partition's
 * next offset is at (or past) its high watermark. Used by `until: 'caught-up'` runs.
 */
import type { Admin, Consumer } from '../../transport/types.ts';

export async function caughtUp(consumer: Consumer, admin: Admin, topics: readonly string[]): Promise<boolean> {
  const assigned = consumer.assignment();
  if (assigned.length === 0) return false;
  const highs = new Map<string, Map<number, number>>();
  for (const topic of topics) highs.set(topic, new Map((await admin.offsets(topic)).map((o) => [o.partition, o.high])));
  for (const { topic, partition } of assigned) {
    const high = highs.get(topic)?.get(partition);
    const position = consumer.position(topic, partition);
    if (high === undefined || position === undefined || position < high) return false;
  }
  return true;
}
