/**
 * Every leaderboard the Data API offers (category × time period × ranking), each read to the end
 * of its list. A board is one unit with its own cursor; a category the API does not know is
 * skipped with a warning (older API versions lack ESPORTS); a board longer than the offset cap
 * allows is read to the cap and the rest reported as a gap.
 *
 * Every row of one pass over a board carries one snapshot time, the pass's start (its generation),
 * kept in the board's cursor so that a board resumed later (after a stop, a crash, or by
 * `--retry-failures` in a new generation) goes on with the snapshot it began. Rows are told apart
 * downstream by board, wallet and snapshot: a page fetched again within the pass repeats its
 * rows exactly, a later pass adds a snapshot of its own.
 */
import { toRawLeaderboardRow } from '../../schemas/raw/index.ts';
import type { IngestContext } from '../context.ts';
import { paramsText } from '../http/apis.ts';
import { leaderboardKey } from '../keys.ts';
import { BoundedQueue, drainWith } from '../pipeline/queue.ts';
import { LEADERBOARD_CATEGORIES } from '../settings.ts';
import { initialOffsetState, type OffsetKnowledge, type OffsetPageResult, type OffsetState, walkOffset } from './paging.ts';
import { leaderboardPage } from './shapes.ts';
import { capFromMessage, readDetail, refusal, unitStatus } from './units.ts';

const ENDPOINT = 'data:/v1/leaderboard';

export interface Board {
  category: string;
  timePeriod: string;
  orderBy: string;
}

export function boardScope(b: Board): string {
  return `${b.timePeriod}/${b.orderBy}/${b.category}`;
}

export class LeaderboardFetcher {
  readonly #ctx: IngestContext;
  readonly #knowledge: OffsetKnowledge = { honouredLimit: 0 };
  readonly #refusedCategories = new Set<string>();

  constructor(ctx: IngestContext) {
    this.#ctx = ctx;
  }

  boards(): Board[] {
    const s = this.#ctx.settings;
    const out: Board[] = [];
    for (const category of s.leaderboardCategories ?? LEADERBOARD_CATEGORIES)
      for (const timePeriod of s.leaderboardPeriods) for (const orderBy of s.leaderboardOrders) out.push({ category, timePeriod, orderBy });
    return out;
  }

  /** Reads every board (or only `only`), `workers` at a time. */
  async run(only?: Board[]): Promise<void> {
    // Boards interrupted part-way go first, so their page in flight at the last stop is read again at once.
    const resuming = (b: Board) => (unitStatus(this.#ctx.cursors.get(ENDPOINT, boardScope(b)), this.#ctx.generation) === 'resume' ? 0 : 1);
    const boards = [...(only ?? this.boards())].sort((a, b) => resuming(a) - resuming(b));
    const task = this.#ctx.metrics.task('leaderboard', 'boards');
    task?.grow(boards.length);
    const queue = new BoundedQueue<Board>(boards.length || 1);
    for (const b of boards) await queue.push(b);
    queue.close();
    await drainWith(
      queue,
      this.#ctx.settings.workers,
      async (board) => {
        const outcome = await this.#ctx.runUnit({ fetcher: 'leaderboard', endpoint: ENDPOINT, scope: boardScope(board) }, () => this.#board(board));
        if (outcome !== 'stopped') task?.advance();
      },
      this.#ctx.stop,
    );
    task?.end(this.#ctx.stop.aborted ? 'stopped' : 'done');
  }

  async #board(board: Board): Promise<void> {
    const ctx = this.#ctx;
    const scope = boardScope(board);
    if (this.#refusedCategories.has(board.category)) return;
    const stored = ctx.cursors.get(ENDPOINT, scope);
    const status = unitStatus(stored, ctx.generation);
    if (status === 'done') return;
    const detail = status === 'resume' ? readDetail(stored) : {};
    const start: OffsetState =
      status === 'resume' && stored
        ? { offset: stored.offset ?? 0, ...lastKeysOf(detail.keys), pages: stored.page ?? 0, records: stored.records, complete: false, capped: false }
        : initialOffsetState();
    const snapshot = boardSnapshot(detail.snap, ctx.generation);
    const limit = ctx.settings.leaderboardPageSize;
    let lastParams = '';
    let fetchedAt = 0;
    const fetchPage = async (offset: number, l: number): Promise<OffsetPageResult<Record<string, unknown>>> => {
      const params = { category: board.category, timePeriod: board.timePeriod, orderBy: board.orderBy, limit: l, offset };
      lastParams = paramsText(params);
      try {
        const res = await ctx.caller.call({ api: 'data', endpoint: '/v1/leaderboard', params }, leaderboardPage);
        fetchedAt = res.fetchedAt;
        return { kind: 'rows', rows: res.value };
      } catch (err) {
        const r = refusal(err);
        if (r && /offset/i.test(r.message)) return { kind: 'offset-refused', maxOffset: capFromMessage(r.message), message: r.message };
        if (r && /category/i.test(r.message)) throw new CategoryRefused(r.message);
        throw err;
      }
    };
    try {
      for await (const step of walkOffset(start, fetchPage, this.#knowledge, limit, (row) => leaderboardKey(board, row as { proxyWallet: string }))) {
        const control = [
          ctx.cursorRecord({
            ...ctx.cursorOf(ENDPOINT, scope),
            offset: step.state.offset,
            page: step.state.pages,
            records: step.state.records,
            complete: step.state.complete,
            lastTimestamp: fetchedAt || null,
            // The last page's keys: a resumed walk tells the rows a server repeats from it, else it steps past as many rows.
            detail: JSON.stringify({ gen: ctx.generation, snap: snapshot, keys: step.state.lastKeys ?? null }),
          }),
        ];
        if (step.state.capped) {
          control.push(
            ctx.gapRecord('leaderboard', {
              endpoint: ENDPOINT,
              market: null,
              token: null,
              start: null,
              end: null,
              reason: 'offset-cap',
              detail: `board ${scope} goes on past offset ${step.offset}: ${step.capMessage ?? ''}`.trim(),
            }),
          );
        }
        // The record's `fetchedAt` is the board's snapshot; the page's own fetch time is in the headers.
        const context = { ...board, fetchedAt: snapshot };
        const res = await ctx.publisher.page({
          encoder: ctx.enc.rawLeaderboard,
          toRaw: (api) => toRawLeaderboardRow(api, context),
          items: step.rows.map((row) => ({ key: leaderboardKey(board, row as { proxyWallet: string }), api: row })),
          source: { endpoint: ENDPOINT, params: lastParams, fetchedAt },
          control,
        });
        ctx.metrics.published('leaderboard', ctx.enc.rawLeaderboard.topic, res.published);
        if (res.deadLettered) ctx.metrics.deadLettered('leaderboard', 'schema-mismatch', res.deadLettered);
      }
    } catch (err) {
      if (!(err instanceof CategoryRefused)) throw err;
      if (!this.#refusedCategories.has(board.category)) {
        this.#refusedCategories.add(board.category);
        ctx.logger.warn('the API does not offer this leaderboard category; skipping it', { category: board.category, reason: err.message });
      }
    }
  }
}

/** The snapshot a board's rows carry: the one its cursor began, else this pass's start (Unix ms). */
function boardSnapshot(stored: unknown, generation: number): number {
  return typeof stored === 'number' && Number.isSafeInteger(stored) && stored > 0 ? stored : generation * 1000;
}

/** The previous page's keys a cursor kept, when it kept them (cursors written before they were kept have none). */
function lastKeysOf(stored: unknown): { lastKeys?: string[] } {
  return Array.isArray(stored) && stored.every((k) => typeof k === 'string') ? { lastKeys: stored } : {};
}

class CategoryRefused extends Error {}
