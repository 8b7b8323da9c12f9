/**
 * The settings of `pma ingest` (and of the ingest stage of `pma run`): one zod schema for the
 * `ingest` section of the config file, `PMA_INGEST_*` variables and the command's flags.
 */
import { z } from 'zod';
import { booleanish, port, positiveInt, stringList } from '../runtime/config.ts';
import { DEFAULT_RESOLUTION, type ResolutionPolicy } from './fetchers/prices/resolution.ts';

export const MODES = ['markets', 'events', 'trades', 'prices', 'leaderboard', 'holders', 'open-interest'] as const;
export type Mode = (typeof MODES)[number];

/** ISO-8601 date-time or Unix seconds, to Unix seconds. */
const instant = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = typeof v === 'number' || /^\d+(\.\d+)?$/.test(String(v).trim()) ? Number(v) * 1000 : Date.parse(String(v));
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 date-time or Unix seconds' });
    return z.NEVER;
  }
  return Math.floor(ms / 1000);
});

const url = z
  .string()
  .trim()
  .regex(/^(https?|wss?):\/\/\S+$/, 'must be an http(s) or ws(s) URL');
const positive = z.coerce.number().positive();

const resolution = z.union([z.enum(['adaptive', 'hourly', 'minute']), z.coerce.number().int().positive()]);

export const ingestSettingsSchema = z
  .object({
    source: z.enum(['live', 'sim']).default('live'),
    gammaUrl: url.optional(),
    dataUrl: url.optional(),
    clobUrl: url.optional(),
    wsUrl: url.optional(),
    mode: stringList.default(['all']).pipe(z.array(z.enum(['all', ...MODES]))),
    /** Markets to take (the first N distinct condition ids listed). */
    limit: positiveInt.optional(),
    since: instant.optional(),
    until: instant.optional(),
    /** Seconds after which the run stops gracefully. */
    timeout: positive.optional(),
    fresh: booleanish.default(false),
    follow: booleanish.default(false),
    retryFailures: booleanish.default(false),
    /** Concurrent units per fetcher (trade markets, boards); prices have their own default. */
    workers: positiveInt.default(4),
    tradeWorkers: positiveInt.optional(),
    /**
     * Concurrent price tokens. The price-history budget (100 requests/s) at ~150 ms a request
     * needs about 15 in flight to be used, hence a larger default than the other fetchers.
     */
    priceWorkers: positiveInt.default(16),
    metricsPort: port.optional(),
    /** Published limit table to respect, or "off". */
    rateLimits: z.enum(['current', '2025-12', 'off']).default('current'),
    /** Per limit group ("data:/trades", "clob", "global"…): requests per 10 s, or "off". */
    rateLimitOverrides: z.record(z.string(), z.union([z.coerce.number().positive(), z.literal('off')])).default({}),
    /** Share of each published limit to use. */
    rateLimitHeadroom: z.coerce.number().gt(0).max(1).default(0.985),
    /** Tries per request before it goes to pma.failures. */
    attempts: positiveInt.default(6),
    retryBaseMs: positiveInt.default(250),
    retryMaxMs: positiveInt.default(20_000),
    connectTimeout: positive.default(10),
    requestTimeout: positive.default(30),
    /** Connections per API host. */
    connections: positiveInt.default(8),
    /** Trade feed: the v2 keyset feed where served (auto), or always v1 offset/window paging. */
    tradesFeed: z.enum(['auto', 'v1']).default('auto'),
    /** Rows asked per v2 /trades page (the v2 feed refuses more than its maximum, 1,000 today). */
    tradesV2PageSize: positiveInt.default(1_000),
    /** Label trade rows taker or maker (costs a taker-only request per page). */
    fillRoles: booleanish.default(true),
    /** Rows asked per /trades page (the server may clamp it silently; the walk copes). */
    tradesPageSize: positiveInt.default(1_000),
    leaderboardPageSize: positiveInt.default(50),
    /** Holders asked per outcome token (the API serves at most 20). */
    holdersLimit: positiveInt.max(20).default(20),
    /** Condition ids per /oi request (the route takes a comma list; a long one makes a long URL). */
    openInterestBatch: positiveInt.max(200).default(50),
    listPageSize: positiveInt.default(100),
    /** Price resolution: adaptive (by volume and moves), hourly, minute, or a fidelity in minutes. */
    resolution: resolution.default('adaptive'),
    lowVolume: positive.default(DEFAULT_RESOLUTION.lowVolume),
    highVolume: positive.default(DEFAULT_RESOLUTION.highVolume),
    movePercent: positive.default(DEFAULT_RESOLUTION.movePercent),
    /** Units waiting between chain stages. */
    queueSize: positiveInt.default(1_000),
    /** Follow mode: seconds between polls of markets, trades and prices. */
    pollInterval: positive.default(30),
    /** Follow mode: seconds between relistings of the markets (new and changed ones). */
    relistInterval: positive.default(300),
    /** Follow mode: seconds between snapshots of every market's top holders. */
    holdersInterval: positive.default(3_600),
    /** Follow mode: seconds between snapshots of every market's open interest. */
    openInterestInterval: positive.default(900),
    /** Follow mode: tokens per WebSocket connection. */
    wsBatch: positiveInt.default(400),
    /** Follow mode: seconds between PINGs. */
    wsPing: positive.default(10),
    /** Follow mode: a socket silent for this many seconds is reconnected. */
    wsSilence: positive.default(60),
    /** Progress line interval (seconds) when not on a terminal. */
    progressInterval: positive.default(10),
    leaderboardCategories: stringList.optional(),
    leaderboardPeriods: stringList.default(['DAY', 'WEEK', 'MONTH', 'ALL']),
    leaderboardOrders: stringList.default(['PNL', 'VOL']),
  })
  .strict()
  .refine((s) => s.since === undefined || s.until === undefined || s.since < s.until, {
    message: 'since must be before until',
    path: ['since'],
  });

export type IngestSettings = z.output<typeof ingestSettingsSchema>;

export const INGEST_KEYS = Object.keys(ingestSettingsSchema.shape) as Array<keyof IngestSettings>;

/** The modes a run does, with "all" expanded. */
export function selectedModes(s: Pick<IngestSettings, 'mode'>): Set<Mode> {
  return new Set(s.mode.includes('all') ? MODES : (s.mode as Mode[]));
}

/** Whether the modes snapshot every market (holders, open interest), and so need the market listings. */
export function wantsSnapshots(modes: ReadonlySet<Mode>): boolean {
  return modes.has('holders') || modes.has('open-interest');
}

export function resolutionPolicy(s: IngestSettings): ResolutionPolicy {
  const base = { ...DEFAULT_RESOLUTION, lowVolume: s.lowVolume, highVolume: s.highVolume, movePercent: s.movePercent };
  if (s.resolution === 'adaptive') return base;
  const fixed = s.resolution === 'hourly' ? 60 : s.resolution === 'minute' ? 1 : s.resolution;
  return { ...base, mode: 'fixed', fixedFidelity: fixed };
}

/** Every leaderboard category the current API offers (spec §4.8). */
export const LEADERBOARD_CATEGORIES = ['OVERALL', 'POLITICS', 'SPORTS', 'ESPORTS', 'CRYPTO', 'CULTURE', 'MENTIONS', 'WEATHER', 'ECONOMICS', 'TECH', 'FINANCE'] as const;
