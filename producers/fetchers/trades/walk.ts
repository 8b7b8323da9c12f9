/**
 * The complete trade history of one market over offset-paged, newest-first pages, with no row
 * skipped however deep the history goes.
 *
 * The API refuses (or, in older profiles, silently repeats) pages past an offset cap that has
 * moved over time, so the cap is learned from the API's own answer, never assumed. When the
 * next page would pass the cap, the window is split: every row newer than the oldest one seen
 * has been read (pages are newest first), so the walk continues in [start, oldest] from offset 0,
 * skipping the rows of that boundary second it already has. Whether the API honours `start` and
 * `end` is learned the same way: if a narrowed window still returns newer rows, windows are
 * ignored, and the unreachable rest of the history is reported as a gap instead of being lost
 * silently. A short page ends the walk only when the server is known to serve pages that long
 * (limits are clamped silently); otherwise the walk asks once more.
 */

/** One API row with its fill key and time (Unix seconds). */
export interface TradeRow {
  key: string;
  ts: number;
  raw: Record<string, unknown>;
}

export interface TradePageRequest {
  offset: number;
  limit: number;
  /** Unix seconds; always sent (the API's default start is ~3 years back). */
  start: number;
  /** Unix seconds as sent. */
  end: number;
}

export type TradePageResult =
  | { kind: 'rows'; rows: TradeRow[] }
  /** The API refused the offset; `maxOffset` when its message names the cap. */
  | { kind: 'offset-refused'; maxOffset?: number; message: string };

/** What the walks of one endpoint have learned about it, shared by every market and worker. */
export interface EndpointKnowledge {
  /** Largest offset the API accepts, once learned. */
  maxOffset?: number;
  /** Largest page the API has ever returned (a clamp is at least this). */
  honouredLimit: number;
  windows: 'unknown' | 'honoured' | 'ignored';
  /** True once the API refused an offset: past the cap it errs, so an empty page is a real end. */
  refusesPastCap: boolean;
  /** True once `end` was seen to exclude its own second. */
  endExclusive: boolean;
}

export function newKnowledge(): EndpointKnowledge {
  return { honouredLimit: 0, windows: 'unknown', refusesPastCap: false, endExclusive: false };
}

/** Resumable progress of one market's walk; JSON-safe (it is stored in the cursor). */
export interface TradeWalkState {
  /** Unix seconds, inclusive bounds of the history still to read. */
  start: number;
  end: number;
  /** End of the whole walk (for gap reports and the follow high-water mark). */
  initialEnd: number;
  offset: number;
  /** Oldest and newest row times read so far in this walk. */
  oldest?: number;
  newest?: number;
  /** Keys already published at the second `oldest`, to skip when a split re-reads it. */
  oldestKeys: string[];
  /** Keys at the second `end` published before the last split. */
  boundaryKeys: string[];
  /** Keys of the previous page, to spot a repeated page and rows shifted by new arrivals. */
  lastPageKeys: string[];
  /** Keys published at the second `newest` (an incremental pass starts there and skips them). */
  newestKeys: string[];
  /** Keys to skip wherever they appear (the newest second of the previous pass). */
  skipKeys: string[];
  /** True while a split only checks that an empty page was the real end (not a hidden cap). */
  verifying?: boolean;
  pages: number;
  records: number;
  complete: boolean;
}

export function initialWalkState(start: number, end: number, skipKeys: string[] = []): TradeWalkState {
  return {
    start: Math.max(1, Math.floor(start)),
    end: Math.floor(end),
    initialEnd: Math.floor(end),
    offset: 0,
    oldestKeys: [],
    boundaryKeys: [],
    lastPageKeys: [],
    newestKeys: [],
    skipKeys,
    pages: 0,
    records: 0,
    complete: false,
  };
}

export interface TradeGap {
  /** Unix seconds, inclusive. */
  start: number;
  end: number;
  reason: 'offset-cap' | 'offset-cap-one-second';
  detail: string;
}

export interface WalkStep {
  /** New rows of this page, not published before in this walk. */
  rows: TradeRow[];
  /** The state to store once `rows` are durable. */
  state: TradeWalkState;
  gap?: TradeGap;
  /** The request this step answered (absent for steps that only split or report). */
  request?: TradePageRequest;
  /**
   * A full page that only repeats the previous one: the sign of a cap past which the server
   * repeats itself, or of rows that moved under the walk. Not trusted until a probe confirms it.
   */
  suspectCap?: boolean;
}

export type FetchTradePage = (req: TradePageRequest) => Promise<TradePageResult>;

/**
 * Walks from `initial` to the end of the history, one step per page. The caller publishes each
 * step's rows and state before pulling the next, so a restart from the last stored state
 * re-reads at most the page in flight.
 */
export async function* walkTrades(initial: TradeWalkState, fetchPage: FetchTradePage, knowledge: EndpointKnowledge, limit: number): AsyncGenerator<WalkStep> {
  let s: TradeWalkState = structuredClone(initial);
  while (!s.complete) {
    if (knowledge.maxOffset !== undefined && s.offset > knowledge.maxOffset) {
      const split = splitWindow(s, knowledge, `offset ${s.offset} is past the learned cap ${knowledge.maxOffset}`);
      s = split.state;
      yield split;
      continue;
    }
    const request: TradePageRequest = { offset: s.offset, limit, start: s.start, end: s.end + (knowledge.endExclusive ? 1 : 0) };
    const res = await fetchPage(request);
    if (res.kind === 'offset-refused') {
      const cap = res.maxOffset ?? s.offset - 1;
      knowledge.refusesPastCap = true;
      knowledge.maxOffset = Math.min(knowledge.maxOffset ?? cap, cap);
      const split = splitWindow(s, knowledge, res.message);
      s = split.state;
      yield { ...split, request };
      continue;
    }
    const step = readPage(s, res.rows, knowledge, limit);
    if (step.suspectCap) {
      const probe = { ...request, offset: request.offset + res.rows.length };
      const checked = confirmCap(s, res.rows.length, await fetchPage(probe), knowledge, limit);
      yield { ...checked, request };
      s = checked.state;
      continue;
    }
    yield { ...step, request };
    s = step.state;
  }
}

/**
 * Decides a suspected cap by asking one page further. Past a cap that repeats, that page repeats
 * too: it is as full as the suspect and holds no row older than the walk has read. A page that
 * holds such a row, or is short, shows rows that moved under the walk (they arrived at the head
 * while it paged): the suspect page is known rows only, and the walk moves past it.
 */
function confirmCap(prev: TradeWalkState, suspectRows: number, probe: TradePageResult, k: EndpointKnowledge, limit: number): WalkStep {
  const s = copyState(prev);
  if (probe.kind === 'rows') {
    const oldestKeys = new Set(s.oldestKeys);
    const unread = probe.rows.some((r) => r.ts >= s.start && r.ts <= s.end && (s.oldest === undefined || r.ts < s.oldest || (r.ts === s.oldest && !oldestKeys.has(r.key))));
    if (!unread && probe.rows.length >= suspectRows) {
      k.maxOffset = Math.min(k.maxOffset ?? s.offset - 1, s.offset - 1);
      return splitWindow(s, k, `pages at offsets ${s.offset} and ${s.offset + suspectRows} repeat the rows before them`);
    }
    if (!unread && probe.rows.length < Math.min(limit, Math.max(k.honouredLimit, suspectRows))) {
      s.complete = true;
      s.lastPageKeys = [];
      s.pages += 1;
      return { rows: [], state: s };
    }
  } else {
    // The probe went past a cap the server refuses: that is the cap, and the suspect page was below it.
    const cap = probe.maxOffset ?? s.offset + suspectRows - 1;
    k.refusesPastCap = true;
    k.maxOffset = Math.min(k.maxOffset ?? cap, cap);
  }
  s.offset += suspectRows;
  s.pages += 1;
  return { rows: [], state: s };
}

/** A copy of a state that later changes may not leak into (its lists are replaced, never mutated, except these). */
function copyState(prev: TradeWalkState): TradeWalkState {
  return { ...prev, oldestKeys: [...prev.oldestKeys], newestKeys: [...prev.newestKeys] };
}

function readPage(prev: TradeWalkState, rows: TradeRow[], k: EndpointKnowledge, limit: number): WalkStep {
  const s = copyState(prev);
  const narrowed = s.end < s.initialEnd;
  const newer = rows.filter((r) => r.ts > s.end);
  if (narrowed && newer.length > 0 && s.offset === 0) {
    // A narrowed window that still serves newer rows: the API ignores `end`.
    k.windows = 'ignored';
    if (s.verifying) {
      // Only checking an empty page after full ones: with no windows there is no way to look
      // past it, and an API that refuses or repeats past its cap does not answer empty there.
      s.complete = true;
      s.lastPageKeys = [];
      return { rows: [], state: s };
    }
    return reportRest(s, 'offset-cap', 'the API ignores start/end on this endpoint, so history past the offset cap is out of reach');
  }
  if (narrowed && s.offset === 0 && rows.length > 0) {
    if (!k.endExclusive && s.boundaryKeys.length > 0 && rows.every((r) => r.ts < s.end)) {
      // Rows of the boundary second exist but `end` left them all out: it is exclusive.
      k.endExclusive = true;
      return { rows: [], state: s };
    }
    if (k.windows === 'unknown') k.windows = 'honoured';
  }

  const pageKeys = new Set<string>();
  const previous = new Set(s.lastPageKeys);
  let repeats = 0;
  const fresh: TradeRow[] = [];
  const known = new Set([...s.boundaryKeys, ...s.oldestKeys, ...s.skipKeys]);
  const taken = new Set<string>();
  const seen = { has: (key: string) => previous.has(key) || known.has(key) || taken.has(key) };
  let reachedStart = false;
  for (const r of rows) {
    pageKeys.add(r.key);
    if (previous.has(r.key)) repeats++;
    if (r.ts < s.start) {
      reachedStart = true;
      continue;
    }
    if (r.ts > s.end || seen.has(r.key)) continue;
    taken.add(r.key);
    fresh.push(r);
  }
  const clampKnown = Math.min(limit, k.honouredLimit);
  // Older profiles answer past the cap with the same rows again; a short page of repeats is only the end.
  const repeated = rows.length > 0 && s.offset > 0 && repeats === rows.length && rows.length >= clampKnown;
  if (repeated) return { rows: [], state: s, suspectCap: true };

  for (const r of fresh) {
    if (s.oldest === undefined || r.ts < s.oldest) {
      s.oldest = r.ts;
      s.oldestKeys = [r.key];
    } else if (r.ts === s.oldest) {
      s.oldestKeys.push(r.key);
    }
    if (s.newest === undefined || r.ts > s.newest) {
      s.newest = r.ts;
      s.newestKeys = [r.key];
    } else if (r.ts === s.newest) {
      s.newestKeys.push(r.key);
    }
  }
  // A page with repeated rows may carry more than the server's page (rows served again on top of
  // it): only a clean page says how long the server's pages are.
  if (repeats === 0) k.honouredLimit = Math.max(k.honouredLimit, rows.length);
  s.lastPageKeys = [...pageKeys];
  s.pages += 1;
  s.records += fresh.length;

  if (reachedStart) {
    s.complete = true;
  } else if (rows.length === 0) {
    const trusted = s.offset === 0 || k.refusesPastCap || (k.maxOffset !== undefined && s.offset <= k.maxOffset);
    if (trusted) s.complete = true;
    else return splitWindow(s, k, 'empty page after full ones: checking the rest of the window', 'verify');
  } else if (rows.length < clampKnown) {
    s.complete = true;
  } else {
    // Rows repeated from the previous page (a server repeating rows, or rows pushed down by new
    // arrivals) do not move the offset on: the walk may re-read a few rows but never skips one.
    s.offset += rows.length - repeats;
  }
  if (s.complete) s.lastPageKeys = [];
  return { rows: fresh, state: s };
}

/**
 * Continues in [start, oldest] from offset 0. A "cap" split where every row read sits in the
 * window's last second cannot narrow further: those rows past the cap are out of reach, reported
 * as a one-second gap, and the walk moves on below that second. A "verify" split (an empty page
 * after full ones, where the API may hide a cap) re-reads from the oldest second to be sure.
 */
function splitWindow(prev: TradeWalkState, k: EndpointKnowledge, why: string, kind: 'cap' | 'verify' = 'cap'): WalkStep {
  const s = structuredClone(prev);
  s.offset = 0;
  s.lastPageKeys = [];
  s.verifying = kind === 'verify';
  if (k.windows === 'ignored') {
    if (kind === 'verify') {
      s.complete = true;
      return { rows: [], state: s };
    }
    return reportRest(s, 'offset-cap', `${why}; the API ignores start/end on this endpoint`);
  }
  if (s.oldest === undefined) {
    s.complete = true;
    return { rows: [], state: s };
  }
  if (s.oldest >= s.end) {
    const gap: TradeGap | undefined =
      kind === 'cap' ? { start: s.end, end: s.end, reason: 'offset-cap-one-second', detail: `${why}; more rows at second ${s.end} than one walk can reach` } : undefined;
    s.end -= 1;
    s.boundaryKeys = [];
    if (s.end < s.start) s.complete = true;
    return gap ? { rows: [], state: s, gap } : { rows: [], state: s };
  }
  s.end = s.oldest;
  s.boundaryKeys = [...s.oldestKeys];
  return { rows: [], state: s };
}

function reportRest(prev: TradeWalkState, reason: TradeGap['reason'], detail: string): WalkStep {
  const s = structuredClone(prev);
  const end = s.oldest ?? s.end;
  s.complete = true;
  s.lastPageKeys = [];
  if (end < s.start) return { rows: [], state: s };
  return { rows: [], state: s, gap: { start: s.start, end, reason, detail } };
}
