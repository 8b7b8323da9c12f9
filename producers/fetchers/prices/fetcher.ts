/**
 * The price history of one outcome token over the whole life of its market (creation to close,
 * or to the run's start for open markets), in the longest windows the API accepts, at the
 * resolution the policy picks from the market's volume. Resumable from its cursor; a token
 * finished in an earlier run gets an incremental pass from its newest point unless its market
 * had already closed.
 */
import { toRawPricePoint } from '../../../schemas/raw/index.ts';
import type { IngestContext } from '../../context.ts';
import { paramsText } from '../../http/apis.ts';
import { pricePointKey } from '../../keys.ts';
import { forEachAhead } from '../../pipeline/ahead.ts';
import { resolutionPolicy } from '../../settings.ts';
import type { MarketCatalog } from '../markets/catalog.ts';
import { type MarketDetail, mergeMarketDetail, PRICES_ENDPOINT, type PriceUnit } from '../markets/discovery.ts';
import { pricesHistory } from '../shapes.ts';
import { readDetail, refusal, unitStatus } from '../units.ts';
import { initialPriceState, newPriceKnowledge, type PriceKnowledge, type PriceWalkState, type PriceWindowRequest, type PriceWindowResult, walkPrices } from './walk.ts';

/** Where a history starts when nothing says when its market was created (Polymarket's first year). */
const EARLIEST = Date.parse('2020-01-01T00:00:00Z') / 1000;
/** Past a market's close, one more day is read: resolutions can come late. */
const CLOSE_SLACK_SEC = 86_400;

export class PricesFetcher {
  readonly #ctx: IngestContext;
  readonly #catalog: MarketCatalog;
  readonly knowledge: PriceKnowledge = newPriceKnowledge();

  constructor(ctx: IngestContext, catalog: MarketCatalog) {
    this.#ctx = ctx;
    this.#catalog = catalog;
  }

  run(unit: PriceUnit, until?: number): Promise<'complete' | 'stopped' | 'failed'> {
    return this.#ctx.runUnit({ fetcher: 'prices', endpoint: PRICES_ENDPOINT, scope: unit.token }, () => this.#token(unit, until));
  }

  /**
   * What is known of the token's market: this run's listings over what the cursor kept, except that
   * the earlier start and Gamma's word are kept. A run that lists the market only on the CLOB (its
   * Gamma listing was done by an earlier run of the generation) knows the later time the market
   * began accepting orders; the creation Gamma gave must still start the history.
   */
  #market(unit: PriceUnit, detail: Record<string, unknown>): MarketDetail {
    const live = this.#catalog.get(unit.conditionId);
    const kept = (detail.market as MarketDetail | undefined) ?? { conditionId: unit.conditionId };
    return live ? mergeMarketDetail(kept, live) : kept;
  }

  async #token(unit: PriceUnit, until?: number): Promise<void> {
    const ctx = this.#ctx;
    const policy = resolutionPolicy(ctx.settings);
    const stored = ctx.cursors.get(PRICES_ENDPOINT, unit.token);
    const status = unitStatus(stored, ctx.generation);
    const detail = readDetail(stored);
    if (status === 'done' && until === undefined) return;
    const market = this.#market(unit, detail);
    const horizon = Math.floor(until ?? Math.min(ctx.settings.until ?? Number.POSITIVE_INFINITY, ctx.horizon));
    const closeSec = market.closed ? (market.closedMs ?? market.endMs) : undefined;
    const end = closeSec !== undefined ? Math.min(horizon, Math.floor(closeSec / 1000) + CLOSE_SLACK_SEC) : horizon;
    let spanStart = market.startMs !== undefined ? Math.floor(market.startMs / 1000) : EARLIEST;
    if (market.startMs === undefined) ctx.logger.debug('no creation time known for this market; reading its prices from 2020', { token: unit.token });
    if (ctx.settings.since !== undefined) spanStart = Math.max(spanStart, ctx.settings.since);
    const covered = detail.covered as [number, number] | undefined;
    let state: PriceWalkState;
    // Whether this walk reads the span the CLOB listing gave (Gamma had not listed the market when it began).
    let provisional = false;
    if (status === 'resume' && covered && (detail.walk as PriceWalkState | undefined)?.complete) {
      // Read over the span the CLOB listing gave; only Gamma's creation and close complete it.
      if (!market.gamma) return;
      const extension = extend(detail.walk as PriceWalkState, covered, spanStart, end);
      if (!extension) {
        await ctx.publisher.control([ctx.cursorRecord({ ...stored!, complete: true, detail: JSON.stringify({ gen: ctx.generation, market, walk: detail.walk }) })]);
        return;
      }
      state = extension;
    } else if (status === 'resume' && detail.walk) {
      state = detail.walk as PriceWalkState;
      provisional = covered !== undefined;
    } else if (stored?.complete && detail.walk) {
      const prev = detail.walk as PriceWalkState;
      const from = (prev.newest ?? prev.end) + 1;
      if (from > end) {
        await ctx.publisher.control([ctx.cursorRecord({ ...stored, detail: JSON.stringify({ ...detail, gen: ctx.generation, market }) })]);
        return;
      }
      state = { ...prev, next: from, end, skipTs: [], complete: false };
    } else {
      state = initialPriceState(policy, spanStart, end, market.volume);
      provisional = !market.gamma;
    }
    const readFrom = Math.min(state.next, covered?.[0] ?? state.next);
    let finished = false;
    let oldest = stored?.oldestTimestamp ?? null;
    const paramsOf = (req: PriceWindowRequest) => ({ market: unit.token, startTs: req.startTs, endTs: req.endTs, fidelity: req.fidelity });
    const fetchWindow = async (req: PriceWindowRequest): Promise<PriceWindowResult> => {
      try {
        const res = await ctx.caller.call({ api: 'clob', endpoint: '/prices-history', params: paramsOf(req) }, pricesHistory);
        return { kind: 'points', points: res.value.history.map((p) => ({ t: p.t, p: p.p, raw: p })), fetchedAt: res.fetchedAt };
      } catch (err) {
        const r = refusal(err);
        if (r && r.status === 400 && /too long/i.test(r.message)) return { kind: 'window-refused', message: r.message };
        throw err;
      }
    };
    // The next window is fetched while this one is published.
    await forEachAhead(walkPrices(state, fetchWindow, this.knowledge, policy), async (step) => {
      const fetchedAt = step.fetchedAt;
      const context = { token: unit.token, fidelity: step.request.fidelity, startTs: step.request.startTs, endTs: step.request.endTs, fetchedAt };
      const s = step.state;
      if (step.points.length > 0) oldest = Math.min(oldest ?? Number.POSITIVE_INFINITY, Math.min(...step.points.map((p) => p.t)) * 1000);
      finished = s.complete;
      const cursor = ctx.cursorRecord({
        ...ctx.cursorOf(PRICES_ENDPOINT, unit.token),
        page: s.windows + 1,
        windowStart: step.request.startTs * 1000,
        windowEnd: step.request.endTs * 1000,
        lastTimestamp: s.newest !== undefined ? s.newest * 1000 : null,
        oldestTimestamp: oldest,
        complete: s.complete && !provisional,
        // The walk's own count runs across passes: an incremental pass starts from the last state.
        records: s.records,
        detail: JSON.stringify({ gen: ctx.generation, market, walk: s, ...(provisional ? { covered: [readFrom, s.end] } : {}) }),
      });
      const res = await ctx.publisher.page({
        encoder: ctx.enc.rawPrices,
        toRaw: (api) => toRawPricePoint(api, context),
        items: step.points.map((p) => ({ key: pricePointKey(unit.token, p.t), api: p.raw })),
        source: { endpoint: PRICES_ENDPOINT, params: paramsText(paramsOf(step.request)), fetchedAt },
        control: [cursor],
      });
      ctx.metrics.published('prices', ctx.enc.rawPrices.topic, res.published);
      if (res.deadLettered) ctx.metrics.deadLettered('prices', 'schema-mismatch', res.deadLettered);
    });
    // The CLOB span is read and Gamma's is known: read the rest of it now (this recursion ends, as
    // the extension is not provisional).
    if (finished && provisional && market.gamma && !ctx.stop.aborted) await this.#token(unit, until);
  }
}

/**
 * The walk that completes a history read over [covered] to the span Gamma gives, stepping over
 * what was read; undefined when there is nothing left to read.
 */
function extend(prev: PriceWalkState, covered: [number, number], start: number, end: number): PriceWalkState | undefined {
  const [from, to] = covered;
  const before = start < from;
  const after = end > to;
  if (!before && !after) return undefined;
  const base = { ...prev, skipTs: [], complete: false };
  if (before) return { ...base, next: start, end: Math.max(end, to), skip: { from, to } };
  return { ...base, next: to + 1, end, skip: undefined };
}
