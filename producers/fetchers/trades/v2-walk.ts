/**
 * A market's trade history over the Data API v2 keyset feed (`/v2/trades`): opaque cursors, no
 * offset cap, so one walk reaches the whole history of a window. The cursor names the last row
 * returned, so resuming from a stored cursor re-reads nothing; an incremental pass starts at the
 * newest second already read and skips the rows of that second it has.
 */
import type { TradeRow } from './walk.ts';

export interface V2PageRequest {
  cursor?: string;
  limit: number;
  /** Unix seconds, inclusive. */
  start: number;
  end: number;
}

export interface V2Page {
  rows: TradeRow[];
  next: string | null;
  hasMore: boolean;
}

export interface V2WalkState {
  start: number;
  end: number;
  /** The cursor to send next (undefined before the first page). */
  cursor?: string;
  oldest?: number;
  newest?: number;
  newestKeys: string[];
  skipKeys: string[];
  pages: number;
  records: number;
  complete: boolean;
}

export function initialV2State(start: number, end: number, skipKeys: string[] = []): V2WalkState {
  return { start: Math.max(1, Math.floor(start)), end: Math.floor(end), newestKeys: [], skipKeys, pages: 0, records: 0, complete: false };
}

export interface V2Step {
  rows: TradeRow[];
  state: V2WalkState;
}

export async function* walkTradesV2(initial: V2WalkState, fetchPage: (req: V2PageRequest) => Promise<V2Page>, limit: number): AsyncGenerator<V2Step> {
  let s: V2WalkState = structuredClone(initial);
  while (!s.complete) {
    const page = await fetchPage({ cursor: s.cursor, limit, start: s.start, end: s.end });
    const next: V2WalkState = { ...s, newestKeys: [...s.newestKeys] };
    const skip = s.skipKeys.length > 0 ? new Set(s.skipKeys) : undefined;
    const rows = page.rows.filter((r) => r.ts >= s.start && r.ts <= s.end && !skip?.has(r.key));
    for (const r of rows) {
      if (next.oldest === undefined || r.ts < next.oldest) next.oldest = r.ts;
      if (next.newest === undefined || r.ts > next.newest) {
        next.newest = r.ts;
        next.newestKeys = [r.key];
      } else if (r.ts === next.newest) {
        next.newestKeys.push(r.key);
      }
    }
    next.pages += 1;
    next.records += rows.length;
    if (!page.hasMore || !page.next || page.next === s.cursor || page.rows.length === 0) next.complete = true;
    else next.cursor = page.next;
    yield { rows, state: next };
    s = next;
  }
}
