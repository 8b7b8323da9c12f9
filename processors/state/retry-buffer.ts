/**
 * Records that wait for reference data (a trade whose market or event is not known yet). Bounded
 * in count and in time: a record leaves when what it waits for arrives, when its wait is over
 * (`waitMs` once the reference data is all read, so what it waits for is not coming; `maxWaitMs`
 * while some is still on its way), or, when the buffer is full, oldest first to make room; the
 * caller sends the ones that leave unresolved rather than dropping them.
 */
export class RetryBuffer<T> {
  readonly capacity: number;
  readonly waitMs: number;
  readonly maxWaitMs: number;
  /** Insertion order = deadline order (every item waits the same time). */
  readonly #items = new Map<number, { item: T; keys: string[]; deadline: number }>();
  readonly #byKey = new Map<string, Set<number>>();
  #nextId = 0;

  constructor(capacity: number, waitMs: number, maxWaitMs = waitMs) {
    this.capacity = capacity;
    this.waitMs = waitMs;
    this.maxWaitMs = Math.max(waitMs, maxWaitMs);
  }

  get size(): number {
    return this.#items.size;
  }

  /** Holds `item` until one of `keys` is released or its wait ends. Returns what had to leave to make room. */
  hold(item: T, keys: string[], now: number): T[] {
    const evicted: T[] = [];
    while (this.#items.size >= this.capacity) {
      const [id] = this.#items.keys();
      evicted.push(this.#remove(id!)!);
    }
    const id = this.#nextId++;
    this.#items.set(id, { item, keys, deadline: now + this.waitMs });
    for (const k of keys) {
      const set = this.#byKey.get(k) ?? new Set<number>();
      set.add(id);
      this.#byKey.set(k, set);
    }
    return evicted;
  }

  /** Takes out every item waiting on `key` (its reference data arrived). */
  release(key: string): T[] {
    const ids = this.#byKey.get(key);
    if (!ids) return [];
    return [...ids].map((id) => this.#remove(id)!);
  }

  /** Takes out every item whose wait is over: `waitMs` when `settled` (no reference data on its way), else `maxWaitMs`. */
  expired(now: number, settled = true): T[] {
    const out: T[] = [];
    const extra = settled ? 0 : this.maxWaitMs - this.waitMs;
    for (const [id, entry] of this.#items) {
      if (entry.deadline + extra > now) break;
      out.push(this.#remove(id)!);
    }
    return out;
  }

  /** Takes out every item `which` picks, without sending it (its input is read again elsewhere). */
  takeWhere(which: (item: T) => boolean): T[] {
    return [...this.#items].filter(([, entry]) => which(entry.item)).map(([id]) => this.#remove(id)!);
  }

  /** Takes out everything (the run is ending). */
  drain(): T[] {
    return [...this.#items.keys()].map((id) => this.#remove(id)!);
  }

  /** Time until the next deadline, or undefined when empty. */
  nextDeadline(): number | undefined {
    for (const entry of this.#items.values()) return entry.deadline;
    return undefined;
  }

  #remove(id: number): T | undefined {
    const entry = this.#items.get(id);
    if (!entry) return undefined;
    this.#items.delete(id);
    for (const k of entry.keys) {
      const set = this.#byKey.get(k);
      set?.delete(id);
      if (set?.size === 0) this.#byKey.delete(k);
    }
    return entry.item;
  }
}
