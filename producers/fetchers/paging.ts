/**
 * The paging schemes of the listing endpoints, as resumable walks that yield one page at a time
 * (the caller publishes each page and its state before pulling the next):
 * - offset + limit (Gamma offset routes, the leaderboard): the server clamps `limit` silently and
 *   refuses offsets past a cap that moves, so both are learned, never assumed;
 * - opaque keyset cursors (Gamma /markets/keyset, /events/keyset): follow `next_cursor` until it
 *   is missing or empty, or a page is empty;
 * - the CLOB listing cursor: the page carrying the end marker `LTE=` is the last one, and a
 *   cursor past the end is answered with a 400 that also means "done".
 */

export interface OffsetKnowledge {
  /** Largest page the server has returned: its clamp is at least this. */
  honouredLimit: number;
  /** Largest offset the server accepts, once a refusal taught it. */
  maxOffset?: number;
}

export interface OffsetState {
  offset: number;
  /** Keys of the previous page (rows a page repeats do not move the offset on); a resumed walk keeps them in its cursor. */
  lastKeys?: string[];
  pages: number;
  records: number;
  complete: boolean;
  /** True when the walk ended at the offset cap with a full page before it (more rows exist). */
  capped: boolean;
}

export type OffsetPageResult<T> = { kind: 'rows'; rows: T[] } | { kind: 'offset-refused'; maxOffset?: number; message: string };

export interface OffsetStep<T> {
  rows: T[];
  state: OffsetState;
  offset: number;
  /** The API's refusal message when the walk ended at the cap. */
  capMessage?: string;
}

export function initialOffsetState(): OffsetState {
  return { offset: 0, lastKeys: [], pages: 0, records: 0, complete: false, capped: false };
}

/**
 * `keyOf` identifies rows: rows repeated from the previous page (a server repeating rows, or rows
 * pushed down by new arrivals) do not move the offset on and are not yielded again, so the walk
 * may re-read a few rows but never skips one.
 */
export async function* walkOffset<T>(
  initial: OffsetState,
  fetchPage: (offset: number, limit: number) => Promise<OffsetPageResult<T>>,
  knowledge: OffsetKnowledge,
  limit: number,
  keyOf: (row: T) => string = (row) => JSON.stringify(row),
): AsyncGenerator<OffsetStep<T>> {
  const s = { ...initial };
  while (!s.complete) {
    const offset = s.offset;
    if (knowledge.maxOffset !== undefined && offset > knowledge.maxOffset) {
      s.complete = true;
      s.capped = true;
      yield { rows: [], state: { ...s }, offset, capMessage: `offset ${offset} is past the learned cap ${knowledge.maxOffset}` };
      return;
    }
    const res = await fetchPage(offset, limit);
    if (res.kind === 'offset-refused') {
      const cap = res.maxOffset ?? offset - 1;
      knowledge.maxOffset = Math.min(knowledge.maxOffset ?? cap, cap);
      s.complete = true;
      s.capped = offset > 0;
      yield { rows: [], state: { ...s }, offset, capMessage: res.message };
      return;
    }
    const n = res.rows.length;
    const previous = new Set(s.lastKeys ?? []);
    const keys = res.rows.map(keyOf);
    const fresh = res.rows.filter((_, i) => !previous.has(keys[i]!));
    const repeats = n - fresh.length;
    const clampKnown = Math.min(limit, knowledge.honouredLimit);
    // A page with repeated rows is longer than the clamp: taken for it, the next full page would
    // look short and end the walk early. Without the previous page's keys repeats cannot be told.
    if (offset === 0 || s.lastKeys !== undefined) knowledge.honouredLimit = Math.max(knowledge.honouredLimit, n - repeats);
    s.pages += 1;
    s.records += fresh.length;
    s.lastKeys = keys;
    if (n === 0 || n < clampKnown) s.complete = true;
    else if (repeats === n && n < previous.size) {
      // Only the previous page's last rows again: the list ended there (the server repeated them).
      s.complete = true;
    } else if (repeats === n) {
      // The same page again past a cap the server does not refuse: the list goes no further.
      knowledge.maxOffset = Math.min(knowledge.maxOffset ?? offset - 1, offset - 1);
      s.complete = true;
      s.capped = true;
    } else s.offset += n - repeats;
    yield { rows: fresh, state: { ...s }, offset, ...(s.capped ? { capMessage: `page at offset ${offset} repeats the previous one` } : {}) };
  }
}

export interface CursorState {
  /** The cursor to send next; undefined for the first page. */
  cursor?: string;
  pages: number;
  records: number;
  complete: boolean;
}

export interface CursorPage<T> {
  rows: T[];
  /** As received; missing or empty means no more pages. */
  next?: string | null;
}

export type CursorPageResult<T> = { kind: 'page'; page: CursorPage<T> } | { kind: 'past-end' };

export interface CursorStep<T> {
  rows: T[];
  state: CursorState;
  /** The cursor this page was asked with. */
  sent?: string;
}

/** The CLOB listing's end marker (base64 of "-1"). */
export const CLOB_END_CURSOR = 'LTE=';

/**
 * Follows opaque cursors. `endMarker` is a cursor value meaning "this was the last page" (the
 * CLOB's `LTE=`); a `past-end` answer (the CLOB's 400 for a cursor past the end) ends the walk.
 */
export async function* walkCursor<T>(initial: CursorState, fetchPage: (cursor: string | undefined) => Promise<CursorPageResult<T>>, endMarker?: string): AsyncGenerator<CursorStep<T>> {
  const s = { ...initial };
  while (!s.complete) {
    const sent = s.cursor;
    if (endMarker !== undefined && sent === endMarker) {
      s.complete = true;
      yield { rows: [], state: { ...s }, sent };
      return;
    }
    const res = await fetchPage(sent);
    if (res.kind === 'past-end') {
      s.complete = true;
      yield { rows: [], state: { ...s }, sent };
      return;
    }
    const { rows, next } = res.page;
    s.pages += 1;
    s.records += rows.length;
    const ended = rows.length === 0 || next === undefined || next === null || next === '' || next === endMarker || next === sent;
    if (ended) s.complete = true;
    else s.cursor = next;
    yield { rows, state: { ...s }, sent };
  }
}
