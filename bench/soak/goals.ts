/**
 * The soak's goals, judged from its samples after the warm-up (start-up, the static world's
 * backfill and the first Gold build are not what a long run is about). Growth is read from a
 * least-squares line through the samples, not from two single samples, so that one garbage
 * collection at either end does not decide the verdict.
 */
import type { FillCheck } from './fills.ts';
import type { SoakSample } from './sample.ts';

export interface Goal {
  goal: string;
  measured: string;
  target: string;
  met: boolean;
}

/** RSS may grow by less than this share over the measured window. */
export const RSS_GROWTH_LIMIT = 0.05;
/** Open descriptors at the end may exceed those at the start of the window by at most this many (sockets in reconnection). */
export const FD_SLACK = 8;
/** Lag in the second half of the window may be at most this many records above twice the first half's worst. */
export const LAG_SLACK = 5_000;
/** The newest fill in Silver may be at most this old at any sample (a poll interval, retries and a WebSocket outage fit inside). */
export const FRESHNESS_LIMIT_S = 180;
/** The log (file and WAL) may end at most this share above the largest size seen in the window's first half. */
export const LOG_GROWTH_LIMIT = 0.25;

/** Growth of `value` over the samples' span, as a share of the fitted value at its start. */
export function fittedGrowth(samples: readonly SoakSample[], value: (s: SoakSample) => number): number {
  const n = samples.length;
  if (n < 2) return 0;
  const xs = samples.map((s) => s.at);
  const ys = samples.map(value);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const start = my + slope * (xs[0]! - mx);
  return (slope * (xs[n - 1]! - xs[0]!)) / start;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]!;
};
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function judge(window: readonly SoakSample[], fills: FillCheck | undefined): Goal[] {
  const goals: Goal[] = [];
  const third = Math.max(1, Math.floor(window.length / 3));
  const first = window.slice(0, third);
  const last = window.slice(-third);
  const half = Math.ceil(window.length / 2);

  const rss = fittedGrowth(window, (s) => s.rssBytes);
  goals.push({
    goal: 'RSS growth after warm-up',
    measured: `${pct(rss)} (${mb(median(first.map((s) => s.rssBytes)))} → ${mb(median(last.map((s) => s.rssBytes)))})`,
    target: `< ${pct(RSS_GROWTH_LIMIT)}`,
    met: window.length >= 3 && rss < RSS_GROWTH_LIMIT,
  });
  const fdStart = median(first.map((s) => s.openFds));
  const fdEnd = median(last.map((s) => s.openFds));
  goals.push({
    goal: 'open file descriptors flat',
    measured: `${fdStart} → ${fdEnd} (max ${Math.max(...window.map((s) => s.openFds))})`,
    target: `end ≤ start + ${FD_SLACK}`,
    met: fdEnd <= fdStart + FD_SLACK,
  });
  const lagEarly = Math.max(...window.slice(0, half).map((s) => s.lag));
  const lagLate = Math.max(...window.slice(half).map((s) => s.lag));
  goals.push({
    goal: 'lag bounded (processors, Silver)',
    measured: `worst ${lagEarly} then ${lagLate} records`,
    target: `2nd half ≤ 2 × 1st + ${LAG_SLACK}`,
    met: Number.isFinite(lagLate) && lagLate <= 2 * lagEarly + LAG_SLACK,
  });
  const oldest = Math.max(...window.map((s) => s.silverTradeAgeSeconds));
  goals.push({ goal: 'Silver fresh', measured: `newest fill at most ${oldest.toFixed(0)} s old`, target: `≤ ${FRESHNESS_LIMIT_S} s`, met: oldest <= FRESHNESS_LIMIT_S });
  const logEarly = Math.max(...window.slice(0, half).map((s) => s.logBytes));
  const logEnd = window[window.length - 1]?.logBytes ?? Number.NaN;
  goals.push({
    goal: 'log file bounded',
    measured: `${mb(window[0]?.logBytes ?? Number.NaN)} → ${mb(logEnd)} (1st half max ${mb(logEarly)})`,
    target: `end ≤ 1st half max + ${pct(LOG_GROWTH_LIMIT)}`,
    met: logEnd <= logEarly * (1 + LOG_GROWTH_LIMIT),
  });
  const rawPeak = Math.max(...window.map((s) => s.rawHeldBytes));
  const rawEnd = window[window.length - 1]?.rawHeldBytes ?? Number.NaN;
  goals.push({
    goal: 'raw topics held to their retention',
    measured: `${mb(window[0]?.rawHeldBytes ?? Number.NaN)} → peak ${mb(rawPeak)} → ${mb(rawEnd)}`,
    target: 'end < peak',
    met: rawEnd < rawPeak,
  });
  if (fills) {
    goals.push({
      goal: 'every fill in Silver exactly once',
      measured: `${fills.truth} made to the cut-off; ${fills.missing.length} missing, ${fills.duplicated} duplicated, ${fills.extra.length} unknown`,
      target: '0, 0, 0',
      met: fills.truth > 0 && fills.missing.length === 0 && fills.duplicated === 0 && fills.extra.length === 0,
    });
  }
  return goals;
}
