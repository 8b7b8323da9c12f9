/**
 * Price paths and price-history series. The probability of outcome 0 follows a smooth random path
 * (value noise at four time scales, O(1) to evaluate at any instant) that drifts to the winner as
 * the market nears its close. Outcome 1 is its complement. Each token's history is a fixed series
 * of points every `step` seconds from the market's creation (offset by a few seconds, as the
 * real series are not minute-aligned) to its close or "now": that series is the ground truth, and
 * coarser `fidelity` requests return every n-th point of it. The step is one minute, as the CLOB
 * serves `fidelity=1`, unless the world asks for a coarse series (`pricePoints` per token).
 */
import { hash, normal, S, unit } from '../core/hash.ts';
import type { World } from './world.ts';

const SCALES = [30 * 86_400, 7 * 86_400, 86_400, 7_200] as const;
const AMPS = [1.1, 0.6, 0.3, 0.12] as const;

function valueNoise(seed: number, m: number, octave: number, x: number): number {
  const k = Math.floor(x);
  const f = x - k;
  const a = unit(seed, S.priceNoise, m, octave, k) * 2 - 1;
  const b = unit(seed, S.priceNoise, m, octave, k + 1) * 2 - 1;
  const s = f * f * (3 - 2 * f);
  return a + (b - a) * s;
}

/** Probability of outcome `o` of market `m` at time `t` (seconds), strictly inside (0, 1). */
export function priceAt(world: World, m: number, o: number, t: number): number {
  const seed = world.seed;
  let x = 1.2 * normal(seed, S.priceBase, m);
  for (let i = 0; i < SCALES.length; i++) x += AMPS[i]! * valueNoise(seed, m, i, t / SCALES[i]!);
  const winner = world.winnerOf(m);
  if (winner !== null) {
    const created = world.createdAt(m);
    const close = world.closeTime(m);
    const life = Math.max(3_600, close - created);
    const from = close - 0.2 * life;
    if (t > from) {
      const l = Math.min(1, (t - from) / (0.2 * life));
      const target = winner === 0 ? 7 : -7;
      x += l * l * (target - x);
    }
  }
  const p0 = 1 / (1 + Math.exp(-x));
  const p = o === 0 ? p0 : 1 - p0;
  return Math.min(0.9995, Math.max(0.0005, p));
}

/** Rounds to 4 decimals, the precision of the served series. */
export function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

export interface Series {
  /** First point's time. */
  start: number;
  /** Seconds between points. */
  step: number;
}

/** The history series of market m (both tokens share its timing), or null when it has none (AMM era). */
export function seriesOf(world: World, m: number): Series | null {
  if (!world.enableOrderBookOf(m)) return null;
  const created = world.createdAt(m);
  const points = world.options.pricePoints;
  const life = Math.max(60, world.closeTime(m) - created);
  const step = points === undefined ? 60 : Math.max(60, Math.round(life / points / 60) * 60);
  return { start: created + 1 + (hash(world.seed, S.priceSeriesOffset, m) % 59), step };
}

/** Number of points of the series that exist at time `t` (the series stops at the close). */
export function seriesCount(world: World, m: number, series: Series, t: number): number {
  const until = Math.min(t, world.closeTime(m));
  if (until < series.start) return 0;
  return Math.floor((until - series.start) / series.step) + 1;
}
