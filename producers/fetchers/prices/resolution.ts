/**
 * How finely to sample a token's price history. The original's policy, completed and made the
 * default: markets with little volume get hourly points, busy ones minute points, and the ones in
 * between start hourly and switch to minutes for good once the price has moved by a large share.
 */

export interface ResolutionPolicy {
  /** "adaptive" (default) or one fidelity for every token. */
  mode: 'adaptive' | 'fixed';
  /** Minutes between points when fixed. */
  fixedFidelity: number;
  /** Below this volume (USDC) a market is small: hourly. */
  lowVolume: number;
  /** Above this volume a market is large: minutes. */
  highVolume: number;
  /** Minutes between points for small markets. */
  coarseFidelity: number;
  /** Minutes between points for large markets. */
  fineFidelity: number;
  /** A (max − min) / min move of at least this many percent switches a middle market to fine points. */
  movePercent: number;
}

export const DEFAULT_RESOLUTION: ResolutionPolicy = {
  mode: 'adaptive',
  fixedFidelity: 60,
  lowVolume: 10_000,
  highVolume: 100_000,
  coarseFidelity: 60,
  fineFidelity: 1,
  movePercent: 5,
};

export type Tier = 'fixed' | 'low' | 'mid' | 'high';

/** The tier and starting fidelity of a token whose market traded `volume` (unknown: middle). */
export function startResolution(policy: ResolutionPolicy, volume: number | undefined): { tier: Tier; fidelity: number } {
  if (policy.mode === 'fixed') return { tier: 'fixed', fidelity: policy.fixedFidelity };
  if (volume !== undefined && volume < policy.lowVolume) return { tier: 'low', fidelity: policy.coarseFidelity };
  if (volume !== undefined && volume > policy.highVolume) return { tier: 'high', fidelity: policy.fineFidelity };
  return { tier: 'mid', fidelity: policy.coarseFidelity };
}

/** Running price range of a middle-tier token; zero prices are ignored (no trade yet). */
export interface MoveRange {
  min?: number;
  max?: number;
}

/** Widens the range with `prices`; true when the move now calls for fine points. */
export function widenAndCheck(range: MoveRange, prices: Iterable<number>, policy: ResolutionPolicy): boolean {
  for (const p of prices) {
    if (!(p > 0)) continue;
    if (range.min === undefined || p < range.min) range.min = p;
    if (range.max === undefined || p > range.max) range.max = p;
  }
  if (range.min === undefined || range.max === undefined) return false;
  return ((range.max - range.min) / range.min) * 100 >= policy.movePercent;
}
