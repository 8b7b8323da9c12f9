/**
 * Which input offsets are finished, per partition, and what may be committed. Records finish out
 * of order (a trade held for its market, a classification that runs long), so the committable
 * offset of a partition is the lowest one still open: committing past an open record would lose
 * it on a crash. Offsets of one partition begin in increasing order.
 */
import { parsePartitionKey, partitionKey } from '../../transport/partition-key.ts';
import type { Consumer, TopicPartitionOffset } from '../../transport/types.ts';

class PartitionDone {
  readonly #open = new Set<number>();
  /** Open offsets in the order they began; finished ones are dropped lazily from the front. */
  readonly #queue: number[] = [];
  #head = 0;
  #end = -1;
  /** The offset last handed out for commit. */
  committed = -1;

  begin(offset: number): void {
    this.#open.add(offset);
    this.#queue.push(offset);
    if (offset + 1 > this.#end) this.#end = offset + 1;
  }

  skip(offset: number): void {
    if (offset + 1 > this.#end) this.#end = offset + 1;
  }

  finish(offset: number): void {
    this.#open.delete(offset);
  }

  get openCount(): number {
    return this.#open.size;
  }

  /** The next offset to read on restart, or -1 if nothing was seen. */
  committable(): number {
    while (this.#head < this.#queue.length && !this.#open.has(this.#queue[this.#head]!)) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    return this.#head < this.#queue.length ? this.#queue[this.#head]! : this.#end;
  }
}

export class DoneTracker {
  readonly #partitions = new Map<string, PartitionDone>();

  /** Starts tracking a record that has work to finish. */
  begin(topic: string, partition: number, offset: number): void {
    this.#partition(topic, partition).begin(offset);
  }

  /** A record that needed no work (a tombstone, a duplicate): seen and finished at once. */
  skip(topic: string, partition: number, offset: number): void {
    this.#partition(topic, partition).skip(offset);
  }

  finish(topic: string, partition: number, offset: number): void {
    this.#partitions.get(partitionKey(topic, partition))?.finish(offset);
  }

  /** Drops a partition's progress: what this member read of it before is void (it lost the partition, or its output). */
  forget(topic: string, partition: number): void {
    this.#partitions.delete(partitionKey(topic, partition));
  }

  /** Records begun and not yet finished, over all partitions. */
  get openCount(): number {
    let n = 0;
    for (const p of this.#partitions.values()) n += p.openCount;
    return n;
  }

  /** Per partition whose finished prefix moved since the last call, the offset to commit. */
  takeCommittable(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const [key, p] of this.#partitions) {
      const offset = p.committable();
      if (offset < 0 || offset === p.committed) continue;
      p.committed = offset;
      out.push({ ...parsePartitionKey(key), offset });
    }
    return out;
  }

  /** A commit of these offsets failed: hand them out again next time. */
  uncommitted(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) {
      const p = this.#partitions.get(partitionKey(o.topic, o.partition));
      if (p && p.committed === o.offset) p.committed = -1;
    }
  }

  /**
   * Commits every moved prefix through the consumer that reads its topic. A commit that fails is
   * handed out again next time, and its error is thrown once every consumer was tried.
   */
  async commit(consumerOf: (topic: string) => Consumer): Promise<void> {
    const byConsumer = new Map<Consumer, TopicPartitionOffset[]>();
    for (const o of this.takeCommittable()) {
      const consumer = consumerOf(o.topic);
      const list = byConsumer.get(consumer);
      if (list) list.push(o);
      else byConsumer.set(consumer, [o]);
    }
    let failure: unknown;
    for (const [consumer, offsets] of byConsumer) {
      try {
        await consumer.commit(offsets);
      } catch (err) {
        this.uncommitted(offsets);
        failure ??= err;
      }
    }
    if (failure) throw failure;
  }

  #partition(topic: string, partition: number): PartitionDone {
    const key = partitionKey(topic, partition);
    let p = this.#partitions.get(key);
    if (!p) {
      p = new PartitionDone();
      this.#partitions.set(key, p);
    }
    return p;
  }
}
