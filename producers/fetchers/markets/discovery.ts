/**
 * Turns listed markets into work for the chain: a trade unit per condition id and a price unit per
 * outcome token, each with a cursor (written with the listing page, after its records) and then
 * handed to a feeder, which moves it into the bounded queue of its workers. Units already known
 * from an earlier run are not written again; the sweep at start hands over those with work left.
 */
import type { IngestContext } from '../../context.ts';
import type { Feeder } from '../../pipeline/feeder.ts';
import { emptyCursor } from '../../records/cursors.ts';
import type { FetchTrigger } from '../../records/headers.ts';
import type { ControlRecord } from '../../records/publisher.ts';
import { readDetail } from '../units.ts';
import type { MarketCatalog, MarketInfo } from './catalog.ts';

export const TRADES_ENDPOINT = 'data:/trades';
export const PRICES_ENDPOINT = 'clob:/prices-history';

export interface TradeUnit {
  conditionId: string;
  /** Follow mode: why this market is fetched now (a header on its rows). */
  trigger?: FetchTrigger;
}

export interface PriceUnit {
  token: string;
  conditionId: string;
}

export interface DiscoveryOptions {
  catalog: MarketCatalog;
  trades?: Feeder<TradeUnit>;
  prices?: Feeder<PriceUnit>;
  /** Take at most this many markets. */
  limit?: number;
}

export interface Discovered {
  /** Condition ids taken (under `--limit`, the others are left out). */
  accepted: Set<string>;
  control: ControlRecord[];
  trades: TradeUnit[];
  prices: PriceUnit[];
}

export class Discovery {
  readonly #ctx: IngestContext;
  readonly #o: DiscoveryOptions;
  readonly #enqueuedTrades = new Set<string>();
  readonly #enqueuedPrices = new Set<string>();

  constructor(ctx: IngestContext, options: DiscoveryOptions) {
    this.#ctx = ctx;
    this.#o = options;
  }

  get catalog(): MarketCatalog {
    return this.#o.catalog;
  }

  /** True once `limit` markets are known: listings may stop. */
  get full(): boolean {
    return this.#o.limit !== undefined && this.#o.catalog.size >= this.#o.limit;
  }

  /** Whether a market may be taken (known already, or room left under the limit). */
  accepts(conditionId: string): boolean {
    return this.#o.catalog.get(conditionId) !== undefined || !this.full;
  }

  /** Merges listed markets; returns the cursor records of new units and the units to enqueue. */
  add(infos: MarketInfo[]): Discovered {
    const out: Discovered = { accepted: new Set(), control: [], trades: [], prices: [] };
    const ctx = this.#ctx;
    for (const info of infos) {
      if (!this.accepts(info.conditionId)) continue;
      out.accepted.add(info.conditionId);
      const { merged, isNew, newTokens } = this.#o.catalog.add(info);
      if (this.#o.trades && isNew && !this.#enqueuedTrades.has(merged.conditionId)) {
        if (!ctx.cursors.get(TRADES_ENDPOINT, merged.conditionId)) {
          out.control.push(
            ctx.cursorRecord({
              ...emptyCursor(TRADES_ENDPOINT, merged.conditionId),
              page: 0,
              detail: JSON.stringify({ gen: ctx.generation, closedMs: merged.closed ? (merged.closedMs ?? merged.endMs ?? null) : null, startMs: merged.startMs ?? null }),
            }),
          );
        }
        out.trades.push({ conditionId: merged.conditionId });
      }
      this.#refreshKnown(merged, out.control);
      if (this.#o.prices) {
        for (const token of newTokens) {
          if (this.#enqueuedPrices.has(token)) continue;
          if (!ctx.cursors.get(PRICES_ENDPOINT, token)) {
            out.control.push(
              ctx.cursorRecord({
                ...emptyCursor(PRICES_ENDPOINT, token),
                page: 0,
                detail: JSON.stringify({ gen: ctx.generation, market: marketDetail(merged) }),
              }),
            );
          }
          out.prices.push({ token, conditionId: merged.conditionId });
        }
      }
    }
    return out;
  }

  /**
   * Price units with work left keep in their cursors what the listings now know of their market
   * (creation time, volume, Gamma's word): a later process of the generation, whose resumed
   * listings do not list the market again, must still know it, or it would read the token over
   * the CLOB listing's span only and leave the unit open.
   */
  #refreshKnown(merged: MarketInfo, control: ControlRecord[]): void {
    const ctx = this.#ctx;
    for (const token of merged.tokens) {
      const c = ctx.cursors.get(PRICES_ENDPOINT, token);
      if (!c || c.complete) continue;
      const started = (c.page ?? 0) > 0;
      // A unit handed to this process's workers may be mid-walk: its cursor in memory can be ahead
      // of its published points, so only its walk writes it.
      if (started && this.#enqueuedPrices.has(token)) continue;
      const detail = readDetail(c);
      const kept = (detail.market as MarketDetail | undefined) ?? { conditionId: merged.conditionId };
      const market = mergeMarketDetail(kept, merged);
      if (sameMarketDetail(market, kept)) continue;
      // A started unit keeps its walk; one not started yet belongs to this generation.
      const next = started ? { ...detail, market } : { gen: ctx.generation, market };
      control.push(ctx.cursorRecord({ ...c, detail: JSON.stringify(next) }));
    }
  }

  /** Hands discovered units to their feeders (after their cursors are durable); never waits. */
  enqueue(d: Pick<Discovered, 'trades' | 'prices'>): void {
    const trades = d.trades.filter((u) => !this.#enqueuedTrades.has(u.conditionId));
    for (const u of trades) this.#enqueuedTrades.add(u.conditionId);
    const prices = d.prices.filter((u) => !this.#enqueuedPrices.has(u.token));
    for (const u of prices) this.#enqueuedPrices.add(u.token);
    if (trades.length > 0 && this.#o.trades) {
      this.#o.trades.add(trades);
      this.#ctx.metrics.task('trades', 'markets')?.grow(trades.length);
    }
    if (prices.length > 0 && this.#o.prices) {
      this.#o.prices.add(prices);
      this.#ctx.metrics.task('prices', 'tokens')?.grow(prices.length);
    }
  }
}

export interface MarketDetail {
  conditionId: string;
  startMs?: number;
  endMs?: number;
  closedMs?: number;
  closed?: boolean;
  volume?: number;
  /** True once Gamma listed the market (its creation and close times are then known). */
  gamma?: boolean;
}

export function marketDetail(m: MarketInfo): MarketDetail {
  return { conditionId: m.conditionId, startMs: m.startMs, endMs: m.endMs, closedMs: m.closedMs, closed: m.closed, volume: m.volume, gamma: m.gamma };
}

const DETAIL_FIELDS = ['conditionId', 'startMs', 'endMs', 'closedMs', 'closed', 'volume', 'gamma'] as const;

/**
 * What a unit's cursor kept of its market, completed by what a listing says now: the earlier start
 * is kept, and where only one of the two has Gamma's word (its creation, end and close), its
 * values win; otherwise the listing's known values win over the kept ones.
 */
export function mergeMarketDetail(kept: MarketDetail, live: MarketInfo): MarketDetail {
  const listed = Object.fromEntries(Object.entries(marketDetail(live)).filter(([, v]) => v !== undefined)) as Partial<MarketDetail>;
  const merged: MarketDetail = kept.gamma && !live.gamma ? { ...listed, ...kept } : { ...kept, ...listed };
  const starts = [kept.startMs, live.startMs].filter((t): t is number => t !== undefined);
  if (starts.length > 0) merged.startMs = Math.min(...starts);
  if (kept.gamma || live.gamma) merged.gamma = true;
  return merged;
}

function sameMarketDetail(a: MarketDetail, b: MarketDetail): boolean {
  return DETAIL_FIELDS.every((k) => a[k] === b[k]);
}
