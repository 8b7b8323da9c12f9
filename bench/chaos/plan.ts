/**
 * A chaos scenario as a pure function of its seed: the simulated world (size, profile, fault
 * mix), how many times each process is SIGKILLed and after how long, and the storage faults.
 * The same seed, kind and transport give the same plan, so a failure replays with its seed
 * (what the processes did between two kills still depends on the machine's timing, as with any
 * real process: the plan, not the interleaving, is what the seed fixes).
 */
import type { FaultRule } from '../../simulator/http/faults.ts';
import type { SimOptionsInput } from '../../simulator/index.ts';
import { seededRandom } from './seeded-random.ts';

export const SCENARIO_KINDS = ['kills', 'faults-retry', 'disk-full', 'silver-deleted', 'bronze-deleted', 'log-truncated', 'log-overwritten'] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

export const STAGES = ['ingest', 'process', 'bronze', 'silver'] as const;
export type Stage = (typeof STAGES)[number];

export type Transport = 'embedded' | 'kafka';
export type Profile = 'current' | '2025-12';

export interface ChaosPlan {
  seed: number;
  kind: ScenarioKind;
  transport: Transport;
  profile: Profile;
  world: SimOptionsInput;
  /** Per stage, the delay (ms) after which each of its successive runs is SIGKILLed. */
  kills: Record<Stage, number[]>;
  /** Tries per request (1 in the fault-mix scenario, so failures reach pma.failures). */
  attempts: number;
  /** disk-full: moments (ms after the start) the disk fills, and how long each stays full. */
  diskFull: Array<{ atMs: number; forMs: number }>;
  /** Broker bounces during the run (Kafka only, behind a flag: issue 15). */
  brokerBounces: number[];
  /** Which damaged file to pick when there are several (a fraction of the sorted list). */
  pick: number;
}

export interface PlanOptions {
  transport?: Transport;
  /** Forced profile; by default the seed picks it. */
  profile?: Profile;
  /** Kills over all stages (default 8). */
  kills?: number;
  /** Storage faults for disk-full (default 2). */
  diskFulls?: number;
  brokerBounces?: number;
}

/** Faults a client meets on the wire; the producers must retry or record every one of them. */
function faultMix(random: () => number, heavy: boolean): FaultRule[] {
  const rate = (lo: number, hi: number) => Math.round((lo + random() * (hi - lo)) * 1000) / 1000;
  const scale = heavy ? 1 : 0.3;
  return [
    { kind: 'error', rate: rate(0.02, 0.08) * scale },
    { kind: 'reset', rate: rate(0.01, 0.04) * scale },
    { kind: 'malformed', rate: rate(0.005, 0.02) * scale },
    { kind: 'truncated', rate: rate(0.005, 0.02) * scale },
    { kind: 'rate-limit', rate: rate(0.01, 0.04) * scale },
    { kind: 'duplicate', rate: rate(0.02, 0.08), rows: 1 + Math.floor(random() * 3) },
    { kind: 'unknown-field', rate: rate(0.01, 0.05) },
  ];
}

export function planFor(seed: number, kind: ScenarioKind, options: PlanOptions = {}): ChaosPlan {
  const random = seededRandom(seed);
  const profile: Profile = options.profile ?? (random() < 0.5 ? 'current' : '2025-12');
  const world: SimOptionsInput = {
    seed: 1 + Math.floor(random() * 1_000_000),
    profile,
    markets: 6 + Math.floor(random() * 6),
    tradesPerMarket: 30 + Math.floor(random() * 50),
    pricePoints: 30 + Math.floor(random() * 50),
    leaderboardSize: 20 + Math.floor(random() * 40),
    faultSeed: 1 + Math.floor(random() * 1_000_000),
    faults: kind === 'faults-retry' ? faultMix(random, true) : random() < 0.5 ? faultMix(random, false) : [],
    // The 2025-12 caps scaled down to the small world, so that some histories and boards are out of
    // reach and their gap records are checked (pages of 40 trades and 20 board rows reach them exactly).
    ...(profile === '2025-12' ? { overrides: { data: { tradesMaxOffset: 80, tradesLimitMax: 40, leaderboardMaxOffset: 40, leaderboardLimitMax: 20 } } } : {}),
  };
  const total = options.kills ?? 8;
  const kills: Record<Stage, number[]> = { ingest: [], process: [], bronze: [], silver: [] };
  // Ingest is the longest and the one with the most state to lose: it gets the most kills.
  const weights: Record<Stage, number> = { ingest: 0.4, process: 0.2, bronze: 0.2, silver: 0.2 };
  for (let k = 0; k < total; k++) {
    let r = random();
    let stage: Stage = 'silver';
    for (const s of Object.keys(weights) as Stage[]) {
      if (r < weights[s]) {
        stage = s;
        break;
      }
      r -= weights[s];
    }
    kills[stage].push(Math.round(1_200 + random() * 4_000));
  }
  const diskFull =
    kind === 'disk-full' ? Array.from({ length: options.diskFulls ?? 2 }, (_, i) => ({ atMs: Math.round(1_500 + i * 6_000 + random() * 3_000), forMs: Math.round(800 + random() * 1_500) })) : [];
  const brokerBounces = Array.from({ length: options.brokerBounces ?? 0 }, (_, i) => Math.round(2_000 + i * 8_000 + random() * 4_000));
  return { seed, kind, transport: options.transport ?? 'embedded', profile, world, kills, attempts: kind === 'faults-retry' ? 1 : 6, diskFull, brokerBounces, pick: random() };
}

/** The command line that replays a plan. */
export function replayLine(plan: ChaosPlan): string {
  return `PMA_CHAOS_SEED=${plan.seed} (pma bench chaos --seed ${plan.seed} --scenarios ${plan.kind} --transport ${plan.transport} --profile ${plan.profile})`;
}
