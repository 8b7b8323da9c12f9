/**
 * Which offsets of each partition are safe to commit: records finish out of order (their
 * classifications run concurrently), but a committed offset must never pass a record that is
 * still in flight. Records are added in offset order per partition; the committable offset is
 * the one after the longest finished prefix.
 */
interface Entry {
  offset: number;
  done: boolean;
}

export class OffsetTracker {
  readonly #partitions = new Map<string, { topic: string; partition: number; entries: Entry[]; index: Map<number, Entry>; next: number | null }>();

  /** Starts tracking a record; offsets of one partition must be added in increasing order. */
  add(topic: string, partition: number, offset: number): void {
    const p = this.#partition(topic, partition);
    const entry = { offset, done: false };
    p.entries.push(entry);
    p.index.set(offset, entry);
  }

  done(topic: string, partition: number, offset: number): void {
    const entry = this.#partition(topic, partition).index.get(offset);
    if (entry) entry.done = true;
  }

  /** Records added and not yet finished, over all partitions. */
  get pending(): number {
    let n = 0;
    for (const p of this.#partitions.values()) n += p.entries.filter((e) => !e.done).length;
    return n;
  }

  /** Offsets that moved since the last call: the next offset after each finished prefix. */
  takeCommittable(): Array<{ topic: string; partition: number; offset: number }> {
    const out: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const p of this.#partitions.values()) {
      let moved = false;
      while (p.entries.length > 0 && p.entries[0]!.done) {
        const e = p.entries.shift()!;
        p.index.delete(e.offset);
        p.next = e.offset + 1;
        moved = true;
      }
      if (moved && p.next !== null) out.push({ topic: p.topic, partition: p.partition, offset: p.next });
    }
    return out;
  }

  #partition(topic: string, partition: number) {
    const key = `${topic}:${partition}`;
    let p = this.#partitions.get(key);
    if (!p) {
      p = { topic, partition, entries: [], index: new Map(), next: null };
      this.#partitions.set(key, p);
    }
    return p;
  }
}
