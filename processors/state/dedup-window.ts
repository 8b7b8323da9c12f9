/**
 * Remembers the identities of the last `capacity` records emitted to one clean topic, so a record
 * seen again within that window (a page the producer fetched twice, an input re-read after a
 * restart) is dropped. The window is rebuilt on start from the tail of the clean topic itself
 * (each clean record carries its identity in a header), so it survives restarts exactly as the
 * log does: what was acknowledged is remembered, what was not is not.
 */
import { createHash } from 'node:crypto';

export class DedupWindow {
  readonly capacity: number;
  /** Identity -> its slot in the ring, so a slot emptied by `delete` evicts nothing later. */
  readonly #seen = new Map<string, number>();
  readonly #ring: Array<string | undefined>;
  #next = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`dedup window capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#ring = new Array(capacity);
  }

  get size(): number {
    return this.#seen.size;
  }

  has(id: string): boolean {
    return this.#seen.has(id);
  }

  /** Adds an identity; the oldest addition leaves when the window is full. Returns false if it was already there. */
  add(id: string): boolean {
    if (this.#seen.has(id)) return false;
    const evicted = this.#ring[this.#next];
    if (evicted !== undefined) this.#seen.delete(evicted);
    this.#ring[this.#next] = id;
    this.#seen.set(id, this.#next);
    this.#next = (this.#next + 1) % this.capacity;
    return true;
  }

  /** Forgets an identity whose record never reached the log (its transaction was void). */
  delete(id: string): void {
    const slot = this.#seen.get(id);
    if (slot === undefined) return;
    this.#seen.delete(id);
    this.#ring[slot] = undefined;
  }
}

/** A compact identity: 96 bits of SHA-256 over the given parts, base64url (16 characters). */
export function identity(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\u0000');
  }
  return h.digest('base64url').slice(0, 16);
}
