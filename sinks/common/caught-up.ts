/**
 * Whether a consumer group has read everything in its topics: every partition is either assigned
 * to this consumer with its next offset at (or past) the high watermark, or assigned elsewhere
 * with the group's committed offset there. A partition still held by another member, such as one
 * that was killed and has not yet timed out, is not caught up until someone reads it, so a
 * `caught-up` run never ends early because a dead member held part of the log.
 */
import type { Admin, Consumer } from '../../transport/types.ts';

export async function caughtUp(consumer: Consumer, admin: Admin, groupId: string, topics: readonly string[]): Promise<boolean> {
  const assigned = new Set(consumer.assignment().map((tp) => `${tp.topic}\u0000${tp.partition}`));
  for (const topic of topics) {
    const committed = new Map((await admin.groupOffsets(groupId, topic)).map((o) => [o.partition, o.offset]));
    for (const { partition, high } of await admin.offsets(topic)) {
      const next = assigned.has(`${topic}\u0000${partition}`) ? consumer.position(topic, partition) : committed.get(partition);
      if (next === undefined || next < high) return false;
    }
  }
  return true;
}
