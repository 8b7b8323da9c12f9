/**
 * The trade history of one market at a time, from the Data API, maker rows included
 * (`takerOnly=false`), each row labelled with the side of the fill it is (taker or maker).
 *
 * The rows of a page are labelled by asking the same span once more for taker rows only
 * (`takerOnly=true`, start and end at the page's oldest and newest second): a row in that answer
 * is the taker's, any other row of the span the maker's. Where the API ignores time windows the
 * label cannot be had and is left out (downstream reads it as unknown).
 *
 * A market's walk is resumable from its cursor; when it completed in an earlier run, this run
 * reads only what is newer (an incremental pass from the newest second seen), and markets that
 * closed before that are skipped.
 */
import { toRawTrade } from '../../../schemas/raw/index.ts';
import type { IngestContext } from '../../context.ts';
import { paramsText } from '../../http/apis.ts';
import { tradeKey } from '../../keys.ts';
import type { ControlRecord } from '../../records/publisher.ts';
import { HEADERS } from '../../records/headers.ts';
import type { TradeUnit } from '../markets/discovery.ts';
import { TRADES_ENDPOINT } from '../markets/discovery.ts';
import { tradesPage, type TradeRowJson } from '../shapes.ts';
import { capFromMessage, readDetail, refusal, unitStatus } from '../units.ts';
import {
  type EndpointKnowledge,
  initialWalkState,
  newKnowledge,
  type TradePageRequest,
  type TradePageResult,
  type TradeRow,
  type TradeWalkState,
  walkTrades,
} from './walk.ts';

/** Keys kept per boundary list in a stored cursor (a hot second beyond this only risks a duplicate). */
const MAX_STORED_KEYS = 5_000;

export interface TradesFetcherOptions {
  /** Label rows as taker or maker. Default true. */
  roles?: boolean;
}

export class TradesFetcher {
  readonly #ctx: IngestContext;
  readonly knowledge: EndpointKnowledge = newKnowledge();
  readonly #roles: boolean;

  constructor(ctx: IngestContext, options: TradesFetcherOptions = {}) {
    this.#ctx = ctx;
    this.#roles = options.roles ?? true;
  }

  /** Backfills (or resumes, or incrementally extends to `until`) one market's trades. */
  run(unit: TradeUnit, until?: number): Promise<'complete' | 'stopped' | 'failed'> {
    return this.#ctx.runUnit({ fetcher: 'trades', endpoint: TRADES_ENDPOINT, scope: unit.conditionId }, () => this.#market(unit.conditionId, until));
  }

  async #market(conditionId: string, until?: number): Promise<void> {
    const ctx = this.#ctx;
    const stored = ctx.cursors.get(TRADES_ENDPOINT, conditionId);
    const status = unitStatus(stored, ctx.generation);
    const detail = readDetail(stored);
    if (status === 'done' && until === undefined) return;
    const end = Math.floor(until ?? ctx.settings.until ?? ctx.generation);
    let state: TradeWalkState;
    if (status === 'resume' && detail.walk) {
      state = { ...(detail.walk as TradeWalkState), lastPageKeys: [] };
    } else if (stored?.complete && stored.lastTimestamp !== null) {
      const hwm = Math.floor(stored.lastTimestamp / 1000);
      const closedMs = typeof detail.closedMs === 'number' ? detail.closedMs : undefined;
      if ((closedMs !== undefined && closedMs < stored.lastTimestamp) || hwm >= end) {
        // Nothing newer can exist: mark it done for this generation without a request.
        await ctx.publisher.control([ctx.cursorRecord({ ...stored, detail: JSON.stringify({ ...detail, gen: ctx.generation }) })]);
        return;
      }
      state = initialWalkState(hwm, end, (detail.newestKeys as string[] | undefined) ?? []);
    } else {
      state = initialWalkState(ctx.settings.since ?? 1, end);
    }
    const before = stored?.complete ? stored.records : 0;
    let lastParams = paramsText({ market: conditionId });
    let fetchedAt = Date.now();
    const fetchPage = async (req: TradePageRequest): Promise<TradePageResult> => {
      const params = this.#params(conditionId, req, false);
      lastParams = paramsText(params);
      try {
        const res = await ctx.caller.call({ api: 'data', endpoint: '/trades', params }, tradesPage);
        fetchedAt = res.fetchedAt;
        return { kind: 'rows', rows: res.value.map(toRow) };
      } catch (err) {
        const r = refusal(err);
        if (r && r.status === 400 && /offset/i.test(r.message)) return { kind: 'offset-refused', maxOffset: capFromMessage(r.message), message: r.message };
        throw err;
      }
    };
    let current = detail;
    for await (const step of walkTrades(state, fetchPage, this.knowledge, ctx.settings.tradesPageSize)) {
      const control: ControlRecord[] = [];
      if (step.gap) {
        control.push(
          ctx.gapRecord('trades', {
            endpoint: TRADES_ENDPOINT,
            market: conditionId,
            token: null,
            start: step.gap.start * 1000,
            end: step.gap.end * 1000 + 999,
            reason: step.gap.reason,
            detail: step.gap.detail,
          }),
        );
      }
      const takers = step.rows.length > 0 && this.#roles ? await this.#takerKeys(conditionId, step.rows) : undefined;
      current = mergeDetail(current, step.state, ctx.generation);
      control.push(this.#cursor(conditionId, step.state, current, before));
      const res = await ctx.publisher.page({
        encoder: ctx.enc.rawTrades,
        toRaw: toRawTrade,
        items: step.rows.map((r) => ({
          key: r.key,
          api: r.raw,
          headers: takers ? { [HEADERS.fillRole]: takers.has(r.key) ? 'taker' : 'maker' } : undefined,
        })),
        source: { endpoint: TRADES_ENDPOINT, params: lastParams, fetchedAt },
        control,
      });
      ctx.metrics.published('trades', ctx.enc.rawTrades.topic, res.published);
      if (res.deadLettered) ctx.metrics.deadLettered('trades', 'schema-mismatch', res.deadLettered);
    }
  }

  #params(conditionId: string, req: TradePageRequest, takerOnly: boolean) {
    return { market: conditionId, takerOnly, limit: req.limit, offset: req.offset, start: req.start, end: req.end };
  }

  /**
   * Keys of the taker rows in the span of `rows` (asked with takerOnly=true), or undefined when
   * the API cannot answer that (it ignores time windows, or the span is deeper than its cap).
   */
  async #takerKeys(conditionId: string, rows: TradeRow[]): Promise<Set<string> | undefined> {
    if (this.knowledge.windows === 'ignored') return undefined;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const r of rows) {
      if (r.ts < lo) lo = r.ts;
      if (r.ts > hi) hi = r.ts;
    }
    const keys = new Set<string>();
    const limit = this.#ctx.settings.tradesPageSize;
    for (let offset = 0; ; ) {
      if (this.knowledge.maxOffset !== undefined && offset > this.knowledge.maxOffset) return undefined;
      const params = { market: conditionId, takerOnly: true, limit, offset, start: lo, end: hi + (this.knowledge.endExclusive ? 1 : 0) };
      let page: TradeRowJson[];
      try {
        page = (await this.#ctx.caller.call({ api: 'data', endpoint: '/trades', params }, tradesPage)).value;
      } catch (err) {
        const r = refusal(err);
        if (r && r.status === 400 && /offset/i.test(r.message)) return undefined;
        throw err;
      }
      for (const row of page) {
        if (row.timestamp < lo || row.timestamp > hi) return undefined;
        keys.add(tradeKey(row));
      }
      if (page.length === 0 || page.length < Math.min(limit, this.knowledge.honouredLimit || limit)) return keys;
      offset += page.length;
    }
  }

  #cursor(conditionId: string, s: TradeWalkState, detail: Record<string, unknown>, before: number): ControlRecord {
    const ctx = this.#ctx;
    return ctx.cursorRecord({
      ...ctx.cursorOf(TRADES_ENDPOINT, conditionId),
      offset: s.offset,
      page: s.pages,
      windowStart: s.start * 1000,
      windowEnd: s.end * 1000,
      lastTimestamp: s.newest !== undefined ? s.newest * 1000 : (ctx.cursors.get(TRADES_ENDPOINT, conditionId)?.lastTimestamp ?? null),
      oldestTimestamp: s.oldest !== undefined ? s.oldest * 1000 : (ctx.cursors.get(TRADES_ENDPOINT, conditionId)?.oldestTimestamp ?? null),
      complete: s.complete,
      records: before + s.records,
      detail: JSON.stringify(detail),
    });
  }
}

function toRow(raw: TradeRowJson): TradeRow {
  return { key: tradeKey(raw), ts: raw.timestamp, raw };
}

function trim(keys: string[] | undefined): string[] {
  return keys && keys.length > MAX_STORED_KEYS ? keys.slice(0, MAX_STORED_KEYS) : (keys ?? []);
}

/** The cursor detail after a step: generation, the walk (minus what a restart need not keep) and the newest keys. */
function mergeDetail(prev: Record<string, unknown>, s: TradeWalkState, gen: number): Record<string, unknown> {
  const prevNewest = (prev.newestKeys as string[] | undefined) ?? [];
  const prevHwm = (prev.walk as TradeWalkState | undefined)?.newest;
  const newestKeys = s.newest === undefined ? prevNewest : prevHwm !== undefined && prevHwm === s.newest ? [...new Set([...prevNewest, ...s.newestKeys])] : s.newestKeys;
  return {
    ...prev,
    gen,
    walk: {
      ...s,
      lastPageKeys: [],
      oldestKeys: trim(s.oldestKeys),
      boundaryKeys: trim(s.boundaryKeys),
      newestKeys: trim(s.newestKeys),
      skipKeys: trim(s.skipKeys),
    },
    newestKeys: trim(newestKeys),
  };
}
