/**
 * The simulator's settings: world size and shape, clock, profile, limits, faults. One zod schema
 * validates them whether they come from `startSimulator(options)`, the `sim` section of the config
 * file, `PMA_SIM_*` variables or `pma sim` flags.
 */
import { z } from 'zod';
import { booleanish } from '../runtime/config.ts';
import { type FaultRule, faultRuleSchema } from './http/faults.ts';
import type { ProfileName, ProfileOverrides } from './profiles.ts';

const isoTime = z.union([z.string(), z.date(), z.number()]).transform((v, ctx) => {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v * 1000 : Date.parse(v);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 date-time or Unix seconds' });
    return z.NEVER;
  }
  return Math.floor(ms / 1000);
});

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const rate = z.coerce.number().min(0);

/** Default world end: fixed, so every process that builds the same seed builds the same world. */
export const DEFAULT_WORLD_END = '2026-11-01T00:00:00Z';
export const DEFAULT_WORLD_START = '2023-01-01T00:00:00Z';
export const DEFAULT_PORT = 8787;

export const simOptionsSchema = z
  .object({
    host: z.string().trim().min(1).default('127.0.0.1'),
    /** 0 picks a free port. */
    port: z.coerce.number().int().min(0).max(65_535).default(DEFAULT_PORT),
    seed: z.coerce.number().int().min(0).max(0xffffffff).default(1),
    profile: z.enum(['current', '2025-12']).default('current'),
    /** Synthetic markets (fixture markets come on top unless `fixtures` is off). */
    markets: count(0, 5_000_000).default(2_000),
    /** Synthetic events grouping the synthetic markets (at most one per market). */
    events: count(0, 5_000_000).optional(),
    /** Mean fills per market (heavy-tailed around it). */
    tradesPerMarket: z.coerce.number().min(0).max(100_000).default(40),
    /**
     * A coarse world for tests and demos: this many price points per outcome token over the
     * market's life instead of one a minute (what the CLOB serves, and the default).
     */
    pricePoints: count(1, 1_000_000).optional(),
    /** Rows of the OVERALL board per category/period/order (other categories are smaller). */
    leaderboardSize: count(0, 1_000_000).default(200),
    /** Proxy wallets in the pool; default scales with the world. */
    wallets: count(10, 50_000_000).optional(),
    worldStart: isoTime.default(Date.parse(DEFAULT_WORLD_START) / 1000),
    worldEnd: isoTime.default(Date.parse(DEFAULT_WORLD_END) / 1000),
    fixtures: booleanish.default(true),
    live: booleanish.default(false),
    /** Simulated seconds per real second in live mode. */
    liveSpeed: z.coerce.number().positive().max(100_000).default(1),
    /** New fills per simulated second across the whole world in live mode. */
    liveTradeRate: rate.default(5),
    /** New markets per simulated hour in live mode. */
    liveNewMarketRate: rate.default(6),
    /** Early resolutions per simulated hour in live mode (on top of markets reaching their end date). */
    liveResolveRate: rate.default(2),
    /** Simulated seconds between order-book changes. */
    bookPeriodSec: z.coerce.number().positive().default(5),
    /** Real milliseconds between WebSocket ticks. */
    wsTickMs: z.coerce.number().int().min(10).max(60_000).default(500),
    limits: booleanish.default(true),
    /** Multiplies every published limit (e.g. 0.1 to hit them sooner in tests). */
    limitScale: z.coerce.number().positive().default(1),
    limitMode: z.enum(['delay', 'reject', 'mixed']).optional(),
    faultSeed: z.coerce.number().int().min(0).max(0xffffffff).default(1),
    faults: z.array(faultRuleSchema).default([]),
    /** Entries kept in the in-memory request log (oldest dropped first). */
    requestLogSize: count(0, 10_000_000).default(10_000),
    overrides: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  })
  .strict();

export type SimOptionsInput = z.input<typeof simOptionsSchema>;

export interface SimOptions extends Omit<z.output<typeof simOptionsSchema>, 'events' | 'wallets' | 'overrides' | 'faults'> {
  profile: ProfileName;
  events: number;
  wallets: number;
  overrides: ProfileOverrides;
  faults: FaultRule[];
}

/** Validates and completes options (derived defaults: events, wallets). */
export function parseSimOptions(input: SimOptionsInput = {}): SimOptions {
  const o = simOptionsSchema.parse(input);
  if (o.worldEnd <= o.worldStart) throw new RangeError('worldEnd must be after worldStart');
  const events = Math.min(o.events ?? Math.ceil(o.markets * 0.4), o.markets);
  const wallets = o.wallets ?? Math.max(1_000, Math.min(2_000_000, o.markets * 5));
  return { ...o, events, wallets, overrides: o.overrides as ProfileOverrides };
}
