/**
 * Progress lives in the log: the compacted topic pma.cursors holds, per (endpoint, scope), the
 * last completed page, window or timestamp. A run reads the whole topic once at start (the last
 * value per key wins, as compaction would leave it) and then keeps its own copy up to date as
 * it publishes new cursors through the publisher.
 */
import type { Transport } from '../../transport/types.ts';
import { readTopic } from './read.ts';

/** The Avro `Cursor` record (schemas/cursor.avsc). Times are Unix ms. */
export interface Cursor {
  endpoint: string;
  scope: string;
  offset: number | null;
  page: number | null;
  cursor: string | null;
  windowStart: number | null;
  windowEnd: number | null;
  lastTimestamp: number | null;
  oldestTimestamp: number | null;
  complete: boolean;
  records: number;
  updatedAt: number;
  detail: string | null;
}

export function cursorKey(endpoint: string, scope: string): string {
  return `${endpoint}|${scope}`;
}

export function emptyCursor(endpoint: string, scope: string): Cursor {
  return {
    endpoint,
    scope,
    offset: null,
    page: null,
    cursor: null,
    windowStart: null,
    windowEnd: null,
    lastTimestamp: null,
    oldestTimestamp: null,
    complete: false,
    records: 0,
    updatedAt: Date.now(),
    detail: null,
  };
}

export interface CursorDecoder {
  decode(buf: Buffer): Promise<unknown>;
}

export class CursorStore {
  readonly #byKey = new Map<string, Cursor>();

  get(endpoint: string, scope: string): Cursor | undefined {
    return this.#byKey.get(cursorKey(endpoint, scope));
  }

  set(c: Cursor): void {
    this.#byKey.set(cursorKey(c.endpoint, c.scope), c);
  }

  delete(endpoint: string, scope: string): void {
    this.#byKey.delete(cursorKey(endpoint, scope));
  }

  /** Every cursor of an endpoint. */
  *of(endpoint: string): Iterable<Cursor> {
    for (const c of this.#byKey.values()) if (c.endpoint === endpoint) yield c;
  }

  all(): Iterable<Cursor> {
    return this.#byKey.values();
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Reads pma.cursors from the beginning to its end at the time of the call; the last value per key wins. */
  static async load(transport: Transport, topic: string, decoder: CursorDecoder, signal?: AbortSignal): Promise<CursorStore> {
    const store = new CursorStore();
    await readTopic(
      transport,
      topic,
      async (r) => {
        const key = r.key?.toString() ?? '';
        if (r.value === null) {
          store.#byKey.delete(key);
          return;
        }
        const c = (await decoder.decode(r.value)) as Cursor;
        store.#byKey.set(cursorKey(c.endpoint, c.scope), c);
      },
      signal,
    );
    return store;
  }
}
