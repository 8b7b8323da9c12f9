/**
 * Price history (spec 5.4): points of a token's series inside a window, thinned to the asked
 * fidelity, plus the CLOB's observed rules: a 15-day cap on `endTs - startTs`, minimum fidelity
 * for `1w` and `1m`, `interval=max|all` anchored at "now" and reaching back only ~31 days below
 * 12-hour fidelity (so old closed markets answer `[]`), an extra trailing point stamped "now" on
 * live markets, `[]` for unknown tokens.
 */
import { plainError, type SimResponse } from '../http/types.ts';
import { priceAt, round4, seriesCount, seriesOf } from '../world/prices.ts';
import type { World } from '../world/world.ts';

export const INTERVALS: Record<string, number> = { '1h': 3_600, '6h': 21_600, '1d': 86_400, '1w': 604_800, '1m': 2_592_000 };
const MIN_FIDELITY: Record<string, number> = { '1w': 5, '1m': 10 };

/** Points [t, p] of token o of market m in [start, end], every ceil(fidelity·60 / step)-th point of the series. */
export function historyPoints(world: World, m: number, o: number, start: number, end: number, fidelity: number, now: number, nowPoint: boolean): Array<[number, number]> {
  const series = seriesOf(world, m);
  if (!series || end < start) return [];
  const count = seriesCount(world, m, series, now);
  const out: Array<[number, number]> = [];
  const stride = Math.max(1, Math.ceil((fidelity * 60) / series.step));
  const jLo = Math.max(0, Math.ceil((start - series.start) / series.step));
  const jHi = Math.min(count - 1, Math.floor((end - series.start) / series.step));
  for (let j = Math.ceil(jLo / stride) * stride; j <= jHi; j += stride) {
    const t = series.start + j * series.step;
    out.push([t, round4(priceAt(world, m, o, t))]);
  }
  if (nowPoint && !world.isClosed(m, now) && world.createdAt(m) <= now && count > 0) {
    const t = Math.floor(now);
    if (out.length === 0 || out[out.length - 1]![0] < t) out.push([t, round4(priceAt(world, m, o, t))]);
  }
  return out;
}

export interface HistoryRequest {
  startTs: number | undefined;
  endTs: number | undefined;
  interval: string | undefined;
  fidelity: number | undefined;
}

/** The window and fidelity a request asks for, or the CLOB's 400 for what it refuses. */
export function historyWindow(r: HistoryRequest, now: number, maxWindow: number, maxSpan: number): { start: number; end: number; fidelity: number } | SimResponse {
  const interval = r.interval;
  if (interval !== undefined && !(interval in INTERVALS) && interval !== 'max' && interval !== 'all') return plainError(400, `invalid filters: invalid interval '${interval}'`);
  const fidelity = r.fidelity ?? 1;
  const minF = interval ? MIN_FIDELITY[interval] : undefined;
  if (minF !== undefined && fidelity < minF) return plainError(400, `invalid filters: minimum 'fidelity' for '${interval}' range is ${minF}`);
  if (r.endTs !== undefined && r.startTs === undefined) return plainError(400, "invalid filters: 'startTs' is required with 'endTs'");
  const t = Math.floor(now);
  if (r.startTs !== undefined) {
    const end = r.endTs ?? t;
    if (end - r.startTs > maxWindow) return plainError(400, "invalid filters: 'startTs' and 'endTs' interval is too long");
    return { start: r.startTs, end, fidelity };
  }
  if (interval && interval in INTERVALS) return { start: t - INTERVALS[interval]!, end: t, fidelity };
  // max / all (and no window at all): anchored at now, shallow below 12-hour fidelity.
  return { start: fidelity >= 720 ? 0 : t - maxSpan, end: t, fidelity };
}
