/**
 * Deterministic partition assignment among a group's live members, as Kafka's RangeAssignor
 * does it: per topic, the members subscribed to it, sorted by id, each take a contiguous range
 * of partitions; the first `partitions % members` members take one extra. Every member computes
 * the same answer from the same membership table, so no leader is needed.
 */

export interface MemberSubscription {
  memberId: string;
  topics: readonly string[];
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Partitions per member id; members with nothing assigned map to an empty list. */
export function rangeAssign(members: readonly MemberSubscription[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
  const result = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]));
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const partitions = partitionCounts.get(topic);
    if (partitions === undefined) continue;
    const subscribers = members
      .filter((m) => m.topics.includes(topic))
      .map((m) => m.memberId)
      .sort();
    const each = Math.floor(partitions / subscribers.length);
    const extra = partitions % subscribers.length;
    let next = 0;
    subscribers.forEach((memberId, i) => {
      const count = each + (i < extra ? 1 : 0);
      const mine = result.get(memberId)!;
      for (let p = next; p < next + count; p++) mine.push({ topic, partition: p });
      next += count;
    });
  }
  return result;
}
