/**
 * Two ways a stage knows it has read everything.
 *
 * `groupCaughtUp`: every partition of the topics is either assigned to this consumer with its next
 * offset at (or past) the high watermark, or assigned elsewhere with the group's committed offset
 * there. A partition still held by another member, such as one that was killed and has not yet
 * timed out, is not caught up until someone reads it, so a caught-up run never ends early because
 * a dead member held part of the log. An assigned partition that has delivered nothing yet has no
 * position on Kafka; its committed offset stands in for it.
 *
 * `LogEnds`: the end every partition had at one moment (start, or when asked to drain); a stage
 * that tracks its own positions is caught up once it has read to those ends, however much is
 * produced meanwhile.
 */
import { partitionKey } from '../../transport/partition-key.ts';
import type { Admin, Consumer, TopicPartitionOffset } from '../../transport/types.ts';

export async function groupCaughtUp(consumer: Consumer, admin: Admin, groupId: string, topics: readonly string[]): Promise<boolean> {
  const assigned = new Set(consumer.assignment().map((tp) => partitionKey(tp.topic, tp.partition)));
  for (const topic of topics) {
    const committed = new Map((await admin.groupOffsets(groupId, topic)).map((o) => [o.partition, o.offset]));
    for (const { partition, low, high } of await admin.offsets(topic)) {
      if (high <= low) continue;
      const position = assigned.has(partitionKey(topic, partition)) ? consumer.position(topic, partition) : undefined;
      const next = position ?? committed.get(partition);
      if (next === undefined || next < high) return false;
    }
  }
  return true;
}

export class LogEnds {
  readonly #ends: TopicPartitionOffset[];

  private constructor(ends: TopicPartitionOffset[]) {
    this.#ends = ends;
  }

  /** The end of every non-empty partition of the topics right now. */
  static async now(admin: Admin, topics: readonly string[]): Promise<LogEnds> {
    const ends: TopicPartitionOffset[] = [];
    for (const topic of topics) {
      for (const p of await admin.offsets(topic)) if (p.high > p.low) ends.push({ topic, partition: p.partition, offset: p.high });
    }
    return new LogEnds(ends);
  }

  /** Whether every partition is read up to its end, by the stage's own next offset per partition. */
  reached(next: (topic: string, partition: number) => number | undefined): boolean {
    return this.#ends.every((e) => (next(e.topic, e.partition) ?? -1) >= e.offset);
  }
}
