/**
 * Where Silver is in each partition, from the offsets stored in the Silver file (not from the
 * consumer group, which may be ahead after a crash or behind after a restore). Decides, for each
 * fetched batch, which records are new: older ones were applied already and are dropped; a batch
 * that starts past the stored offset makes the consumer seek back, once, to the stored offset.
 */
import { partitionKey } from '../../transport/partition-key.ts';
import type { ConsumedRecord, RecordBatch } from '../../transport/types.ts';
import type { PartitionOffset } from './writer.ts';

export type Admission = { kind: 'take'; records: ConsumedRecord[]; skippedTo?: number } | { kind: 'seek'; offset: number };

export class PartitionPositions {
  readonly #next = new Map<string, PartitionOffset>();
  readonly #seeked = new Set<string>();

  constructor(stored: readonly PartitionOffset[] = []) {
    for (const o of stored) this.#next.set(partitionKey(o.topic, o.partition), { ...o });
  }

  /** The next offset to apply, if Silver has applied anything from the partition. */
  next(topic: string, partition: number): number | undefined {
    return this.#next.get(partitionKey(topic, partition))?.offset;
  }

  /**
   * What to do with a batch: take its new records, or seek to the stored offset. A batch that
   * still starts past the stored offset right after such a seek is taken (`skippedTo` tells
   * where it resumes): the records in between are gone from the log (retention).
   */
  admit(batch: RecordBatch): Admission {
    const key = partitionKey(batch.topic, batch.partition);
    const expected = this.#next.get(key)?.offset;
    const justSeeked = this.#seeked.delete(key);
    if (expected === undefined) return { kind: 'take', records: batch.records };
    const records = batch.records.filter((r) => r.offset >= expected);
    const first = records[0];
    // `from`: the consumer read on from the stored offset over offsets no record fills (Kafka's transaction markers).
    if (!first || first.offset === expected || batch.from === expected) return { kind: 'take', records };
    if (!justSeeked) {
      this.#seeked.add(key);
      return { kind: 'seek', offset: expected };
    }
    return { kind: 'take', records, skippedTo: first.offset };
  }

  /** Records that everything before `offset` of the partition is staged. */
  advance(topic: string, partition: number, offset: number): void {
    const key = partitionKey(topic, partition);
    const cur = this.#next.get(key);
    if (cur) cur.offset = offset;
    else this.#next.set(key, { topic, partition, offset });
  }

  all(): PartitionOffset[] {
    return [...this.#next.values()].map((o) => ({ ...o }));
  }
}
