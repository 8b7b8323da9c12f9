/**
 * The taker rows of one market where the API ignores time windows (the 2025-12 profile), to label
 * the rows of the full listing: the market's taker-only listing, paged by offset from its newest
 * row only as deep as the rows being labelled need (and its offset cap allows). A fill is one
 * taker row and one maker row in the full listing, so the taker-only listing reaches twice as far
 * back in time: every row the full listing can reach can be labelled.
 *
 * Rows arrive at the head: a listing whose first page was asked before a page of rows was fetched
 * may miss that page's newest rows, and is read again from the head before it labels them.
 */
import type { EndpointKnowledge, TradeRow } from './walk.ts';

export type Role = 'taker' | 'maker';

/** A page of the taker-only listing at an offset, or the API's refusal of that offset. */
export type TakerPage = { kind: 'rows'; rows: Array<Pick<TradeRow, 'key' | 'ts'>> } | { kind: 'offset-refused' };

export type FetchTakerPage = (offset: number, limit: number) => Promise<TakerPage>;

export class TakerListing {
  readonly #fetch: FetchTakerPage;
  readonly #knowledge: EndpointKnowledge;
  readonly #limit: number;
  /** Taker row keys read so far, with their times. */
  #keys = new Map<string, number>();
  #offset = 0;
  #previous = new Set<string>();
  #oldest: number | undefined;
  #newest: number | undefined;
  /** Unix ms when the first page was asked (0 before). */
  #startedAt = 0;
  #capped = false;
  /** True once the listing ended: every taker row of the market has been read. */
  done = false;

  constructor(fetch: FetchTakerPage, knowledge: EndpointKnowledge, limit: number) {
    this.#fetch = fetch;
    this.#knowledge = knowledge;
    this.#limit = limit;
  }

  /** The roles of rows fetched at `fetchedAt` (Unix ms); rows left out cannot be told. */
  async roles(rows: readonly TradeRow[], fetchedAt: number): Promise<Map<string, Role>> {
    if (this.#stale(rows, fetchedAt)) this.#restart();
    let lo = Number.POSITIVE_INFINITY;
    for (const r of rows) if (r.ts < lo) lo = r.ts;
    await this.#reach(lo);
    const out = new Map<string, Role>();
    for (const r of rows) {
      if (this.#keys.has(r.key)) out.set(r.key, 'taker');
      else if (this.done || (this.#oldest !== undefined && r.ts > this.#oldest)) out.set(r.key, 'maker');
    }
    return out;
  }

  /**
   * Reads the listing to its end (or cap). Then, if it ended, the market's first trade time and the
   * rows older than `second` (less `readAtSecond` rows of that second already read) are known.
   */
  async history(second: number, readAtSecond: number): Promise<{ firstTrade: number; rowsBefore: number } | undefined> {
    await this.#reach(Number.NEGATIVE_INFINITY);
    if (!this.done || this.#oldest === undefined) return undefined;
    let older = 0;
    let at = 0;
    for (const ts of this.#keys.values()) {
      if (ts < second) older++;
      else if (ts === second) at++;
    }
    // One taker row and one maker row per fill (the full listing shows each match once per participant).
    return { firstTrade: this.#oldest, rowsBefore: 2 * older + Math.max(0, 2 * at - readAtSecond) };
  }

  /** Rows newer than anything read, fetched after this listing started, may have arrived since. */
  #stale(rows: readonly TradeRow[], fetchedAt: number): boolean {
    if (this.#startedAt === 0 || this.#startedAt > fetchedAt) return false;
    return rows.some((r) => !this.#keys.has(r.key) && (this.#newest === undefined || r.ts >= this.#newest));
  }

  #restart(): void {
    this.#keys = new Map();
    this.#offset = 0;
    this.#previous = new Set();
    this.#oldest = undefined;
    this.#newest = undefined;
    this.#startedAt = 0;
    this.#capped = false;
    this.done = false;
  }

  /** Pages on until a row older than `lo` was read (so every taker row at `lo` or newer was), the end, or the cap. */
  async #reach(lo: number): Promise<void> {
    const k = this.#knowledge;
    while (!this.done && !this.#capped && (this.#oldest === undefined || this.#oldest >= lo)) {
      if (k.maxOffset !== undefined && this.#offset > k.maxOffset) {
        this.#capped = true;
        return;
      }
      if (this.#startedAt === 0) this.#startedAt = Date.now();
      const page = await this.#fetch(this.#offset, this.#limit);
      if (page.kind === 'offset-refused') {
        this.#capped = true;
        return;
      }
      const rows = page.rows;
      let repeats = 0;
      const keys = new Set<string>();
      for (const r of rows) {
        keys.add(r.key);
        if (this.#previous.has(r.key)) repeats++;
        this.#keys.set(r.key, r.ts);
        if (this.#oldest === undefined || r.ts < this.#oldest) this.#oldest = r.ts;
        if (this.#newest === undefined || r.ts > this.#newest) this.#newest = r.ts;
      }
      if (rows.length === 0 || rows.length < Math.min(this.#limit, k.honouredLimit || this.#limit)) {
        this.done = true;
        return;
      }
      // Past a cap that repeats, nothing new comes: what lies deeper stays untold.
      if (this.#offset > 0 && repeats === rows.length) {
        this.#capped = true;
        return;
      }
      // Repeated rows (pushed down by arrivals at the head) do not move the offset: none is skipped.
      this.#offset += rows.length - repeats;
      this.#previous = keys;
    }
  }
}
