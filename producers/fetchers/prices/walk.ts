/**
 * A token's whole price history over /prices-history in the longest windows the API accepts.
 * The window cap (15 days when measured) is learned from the API's refusal and shared. Points
 * past the requested end (the "now" point the API appends for live markets) and before the
 * start are dropped; consecutive windows do not overlap. A middle-tier token that moves a lot
 * switches to fine points and re-reads the window where the move showed.
 */
import { HttpError } from '../../../runtime/errors.ts';
import { type MoveRange, type ResolutionPolicy, startResolution, type Tier, widenAndCheck } from './resolution.ts';

export interface PricePoint {
  t: number;
  p: number;
  raw: Record<string, unknown>;
}

export interface PriceWindowRequest {
  /** Unix seconds, inclusive. */
  startTs: number;
  endTs: number;
  fidelity: number;
}

export type PriceWindowResult =
  | { kind: 'points'; points: PricePoint[]; fetchedAt?: number }
  /** The API refused the window as too long. */
  | { kind: 'window-refused'; message: string };

export interface PriceKnowledge {
  /** Longest window (seconds) the API accepts, as far as known. */
  maxWindowSec: number;
}

/** The window cap measured in 2026 (15 days); shrunk on refusal. */
export const FIRST_WINDOW_SEC = 1_296_000;

export function newPriceKnowledge(): PriceKnowledge {
  return { maxWindowSec: FIRST_WINDOW_SEC };
}

/** Resumable progress of one token; JSON-safe. */
export interface PriceWalkState {
  /** Unix seconds: next window starts here. */
  next: number;
  /** Unix seconds, inclusive end of the history to read. */
  end: number;
  fidelity: number;
  tier: Tier;
  range: MoveRange;
  /** Newest point time published. */
  newest?: number;
  /** Point times of the window being re-read finely that the coarse read already published. */
  skipTs: number[];
  /** Unix seconds, inclusive: a span read already (by an earlier walk) that this one steps over. */
  skip?: { from: number; to: number };
  windows: number;
  records: number;
  complete: boolean;
}

export function initialPriceState(policy: ResolutionPolicy, start: number, end: number, volume: number | undefined): PriceWalkState {
  const { tier, fidelity } = startResolution(policy, volume);
  const s = Math.floor(start);
  const e = Math.floor(end);
  return { next: s, end: e, fidelity, tier, range: {}, skipTs: [], windows: 0, records: 0, complete: s > e };
}

export interface PriceStep {
  points: PricePoint[];
  state: PriceWalkState;
  request: PriceWindowRequest;
  /** Unix ms when the response arrived. */
  fetchedAt: number;
}

export type FetchPriceWindow = (req: PriceWindowRequest) => Promise<PriceWindowResult>;

export async function* walkPrices(initial: PriceWalkState, fetchWindow: FetchPriceWindow, knowledge: PriceKnowledge, policy: ResolutionPolicy): AsyncGenerator<PriceStep> {
  let s: PriceWalkState = structuredClone(initial);
  while (!s.complete) {
    let endTs = Math.min(s.end, s.next + knowledge.maxWindowSec);
    if (s.skip && s.next < s.skip.from) endTs = Math.min(endTs, s.skip.from - 1);
    const request: PriceWindowRequest = { startTs: s.next, endTs, fidelity: s.fidelity };
    const res = await fetchWindow(request);
    if (res.kind === 'window-refused') {
      const tried = request.endTs - request.startTs;
      if (tried <= 60) {
        throw new HttpError(`prices-history refuses even a ${tried}-second window: ${res.message}`, { endpoint: 'clob:/prices-history', params: JSON.stringify(request) }, { retryable: false });
      }
      knowledge.maxWindowSec = Math.min(knowledge.maxWindowSec, Math.floor(tried / 2));
      continue;
    }
    const next = structuredClone(s);
    const skip = new Set(s.skipTs);
    const points = res.points.filter((p) => p.t >= request.startTs && p.t <= request.endTs && !skip.has(p.t));
    next.skipTs = [];
    if (
      next.tier === 'mid' &&
      widenAndCheck(
        next.range,
        points.map((p) => p.p),
        policy,
      )
    ) {
      next.tier = 'high';
      next.fidelity = policy.fineFidelity;
      if (next.fidelity !== request.fidelity) {
        // Keep the coarse points already read; re-read this window finely, without repeating them.
        next.records += points.length;
        next.skipTs = [...s.skipTs, ...points.map((p) => p.t)];
        for (const p of points) if (next.newest === undefined || p.t > next.newest) next.newest = p.t;
        yield { points, state: next, request, fetchedAt: res.fetchedAt ?? Date.now() };
        s = next;
        continue;
      }
    }
    next.windows += 1;
    next.records += points.length;
    for (const p of points) if (next.newest === undefined || p.t > next.newest) next.newest = p.t;
    next.next = request.endTs + 1;
    if (next.skip && next.next >= next.skip.from && next.next <= next.skip.to) next.next = next.skip.to + 1;
    if (next.next > next.end) next.complete = true;
    yield { points, state: next, request, fetchedAt: res.fetchedAt ?? Date.now() };
    s = next;
  }
}
