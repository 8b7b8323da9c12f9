/**
 * Markets seen by this run, merged by condition id from the CLOB listing and the Gamma listing:
 * outcome token ids, the span of the market's life and its volume (for the price resolution).
 * New condition ids and tokens become trade and price units (their cursors are written with the
 * listing page that revealed them, so a restart knows them without listing again).
 */
import type { ClobMarketJson, GammaMarketJson } from '../shapes.ts';
import { parseTime } from '../units.ts';

export interface MarketInfo {
  conditionId: string;
  tokens: string[];
  /** Unix ms; the earliest known start of trading or creation. */
  startMs?: number;
  /** Unix ms; when the market closed, if it has. */
  closedMs?: number;
  /** Unix ms; the scheduled end. */
  endMs?: number;
  closed?: boolean;
  volume?: number;
  /** True once Gamma listed the market: only it says when the market was created and closed. */
  gamma?: boolean;
}

export function fromClob(m: ClobMarketJson): MarketInfo {
  const info: MarketInfo = { conditionId: m.condition_id, tokens: (m.tokens ?? []).map((t) => t.token_id).filter(Boolean) };
  const start = parseTime(m.accepting_order_timestamp);
  if (start !== undefined) info.startMs = start;
  const end = parseTime(m.end_date_iso);
  if (end !== undefined) info.endMs = end;
  if (typeof m.closed === 'boolean') info.closed = m.closed;
  return info;
}

export function fromGamma(m: GammaMarketJson): MarketInfo | undefined {
  if (!m.conditionId) return undefined;
  let tokens: string[] = [];
  if (m.clobTokenIds) {
    try {
      const parsed = JSON.parse(m.clobTokenIds) as unknown;
      if (Array.isArray(parsed)) tokens = parsed.map(String).filter(Boolean);
    } catch {
      // A malformed string-encoded array: tokens come from the CLOB listing instead.
    }
  }
  const info: MarketInfo = { conditionId: m.conditionId, tokens, gamma: true };
  const starts = [parseTime(m.createdAt), parseTime(m.startDate)].filter((x): x is number => x !== undefined);
  if (starts.length > 0) info.startMs = Math.min(...starts);
  const closedAt = parseTime(m.closedTime);
  if (closedAt !== undefined) info.closedMs = closedAt;
  const end = parseTime(m.endDate);
  if (end !== undefined) info.endMs = end;
  if (typeof m.closed === 'boolean') info.closed = m.closed;
  if (typeof m.volumeNum === 'number') info.volume = m.volumeNum;
  return info;
}

/** Merges what two sources know; earlier starts win, known values are not overwritten by unknowns. */
export function mergeInfo(a: MarketInfo, b: MarketInfo): MarketInfo {
  const tokens = [...a.tokens];
  for (const t of b.tokens) if (!tokens.includes(t)) tokens.push(t);
  const startMs = a.startMs === undefined ? b.startMs : b.startMs === undefined ? a.startMs : Math.min(a.startMs, b.startMs);
  return {
    conditionId: a.conditionId,
    tokens,
    startMs,
    closedMs: a.closedMs ?? b.closedMs,
    endMs: a.endMs ?? b.endMs,
    closed: a.closed ?? b.closed,
    volume: a.volume ?? b.volume,
    gamma: a.gamma || b.gamma || undefined,
  };
}

export class MarketCatalog {
  readonly #markets = new Map<string, MarketInfo>();

  get(conditionId: string): MarketInfo | undefined {
    return this.#markets.get(conditionId);
  }

  get size(): number {
    return this.#markets.size;
  }

  /** Adds or merges; returns the merged info and the tokens not seen before for this market. */
  add(info: MarketInfo): { merged: MarketInfo; isNew: boolean; newTokens: string[] } {
    const prev = this.#markets.get(info.conditionId);
    if (!prev) {
      this.#markets.set(info.conditionId, info);
      return { merged: info, isNew: true, newTokens: [...info.tokens] };
    }
    const merged = mergeInfo(prev, info);
    this.#markets.set(info.conditionId, merged);
    return { merged, isNew: false, newTokens: merged.tokens.filter((t) => !prev.tokens.includes(t)) };
  }

  values(): Iterable<MarketInfo> {
    return this.#markets.values();
  }
}
