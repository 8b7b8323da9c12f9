/**
 * Which input offsets of one partition are finished. Records finish out of order (a trade held
 * for its market finishes after later ones), so the committable offset is the lowest one still
 * open: committing past an open record would lose it on a crash.
 */
export class OffsetTracker {
  readonly #open = new Set<number>();
  /** Open offsets in the order they began (ascending); finished ones are dropped lazily from the front. */
  readonly #queue: number[] = [];
  #head = 0;
  #end = -1;

  begin(offset: number): void {
    this.#open.add(offset);
    this.#queue.push(offset);
    if (offset + 1 > this.#end) this.#end = offset + 1;
  }

  /** Marks an offset that needed no work (skipped, deduplicated) as seen and finished. */
  skip(offset: number): void {
    if (offset + 1 > this.#end) this.#end = offset + 1;
  }

  finish(offset: number): void {
    this.#open.delete(offset);
  }

  get openCount(): number {
    return this.#open.size;
  }

  /** The offset to commit (next to read on restart), or -1 if nothing was seen. */
  committable(): number {
    while (this.#head < this.#queue.length && !this.#open.has(this.#queue[this.#head]!)) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    return this.#head < this.#queue.length ? this.#queue[this.#head]! : this.#end;
  }
}
