/**
 * `pma ingest --retry-failures`: replays the units whose requests gave up in earlier runs. Every
 * failure record names its unit (endpoint and scope); a unit whose cursor has since completed is
 * skipped, the others resume from their cursors, so the failed request is the first one sent.
 * Listings go first; then the price units left open because a failed Gamma listing left their
 * market's life unknown are completed with what the replayed listing tells. The markets of failed
 * holders and open-interest batches that no later pass read are read again, as one snapshot of
 * this replay's own.
 *
 * A replayed trade or price unit that gets past the request it failed on and then fails on another
 * one is run again at once (that request is replayed too), as long as each run gets further (its
 * cursor moved, or it failed on another request than the run before), up to UNIT_RUNS runs: else a
 * deep history advances by only the few pages between two failures per replay, and with one try
 * per request it is never read to its end. A request that fails twice running is left for the next
 * replay.
 */

import { TOPICS } from '../schemas/topics.ts';
import type { Transport } from '../transport/types.ts';
import { type FailureRecord, failureKey, type IngestContext } from './context.ts';
import { HOLDERS_ENDPOINT, HoldersFetcher } from './fetchers/holders.ts';
import { type Board, boardScope, LeaderboardFetcher } from './fetchers/leaderboard.ts';
import { MarketCatalog } from './fetchers/markets/catalog.ts';
import { Discovery, PRICES_ENDPOINT, TRADES_ENDPOINT } from './fetchers/markets/discovery.ts';
import { CLOB_MARKETS_ENDPOINT, GAMMA_EVENTS_ENDPOINT, GAMMA_MARKETS_ENDPOINT, Listings } from './fetchers/markets/listings.ts';
import { OPEN_INTEREST_ENDPOINT, OpenInterestFetcher } from './fetchers/open-interest.ts';
import { PricesFetcher } from './fetchers/prices/fetcher.ts';
import { backfillSnapshot } from './fetchers/snapshot-pass.ts';
import { TradesFetcher } from './fetchers/trades/fetcher.ts';
import { readDetail } from './fetchers/units.ts';
import type { Cursor } from './records/cursors.ts';
import { readTopic } from './records/read.ts';

/** Runs of one replayed unit in one replay, each after a run that failed further on than the one before. */
export const UNIT_RUNS = 20;

export interface ReplayReport {
  failures: number;
  units: number;
  skipped: number;
  /** Failures this replay recorded that a later run of the same unit got past. */
  superseded: number;
}

export async function replayFailures(ctx: IngestContext, transport: Transport): Promise<ReplayReport> {
  const decoder = ctx.enc.failures as unknown as { decode(b: Buffer): Promise<FailureRecord> };
  const units = new Map<string, { endpoint: string; scope: string; lastFailure: string }>();
  let failures = 0;
  await readTopic(
    transport,
    TOPICS.failures.name,
    async (r) => {
      if (!r.value) return;
      const f = await decoder.decode(r.value);
      failures++;
      units.set(`${f.endpoint}|${f.scope ?? ''}`, { endpoint: f.endpoint, scope: f.scope ?? '', lastFailure: failureKey(f) });
    },
    ctx.stop,
  );
  const catalog = new MarketCatalog();
  const trades = new TradesFetcher(ctx);
  const prices = new PricesFetcher(ctx, catalog);
  const listings = new Listings(ctx, new Discovery(ctx, { catalog }));
  const boards: Board[] = [];
  const snapshotMarkets = new Map<string, Set<string>>([
    [HOLDERS_ENDPOINT, new Set()],
    [OPEN_INTEREST_ENDPOINT, new Set()],
  ]);
  let skipped = 0;
  let superseded = 0;
  /**
   * Runs a unit again while it gets further each time (its cursor moved, or it failed on another
   * request than the time before); the failures it got past are superseded.
   */
  const untilStuck = async (endpoint: string, scope: string, failedOn: string, run: () => Promise<'complete' | 'stopped' | 'failed'>) => {
    let previous = failedOn;
    for (let runs = 1; ; runs++) {
      const before = progressOf(ctx.cursors.get(endpoint, scope));
      if ((await run()) !== 'failed' || runs >= UNIT_RUNS || ctx.stop.aborted) return;
      const moved = progressOf(ctx.cursors.get(endpoint, scope)) !== before;
      if (!moved && ctx.lastFailure === previous) return;
      previous = ctx.lastFailure ?? '';
      superseded++;
      ctx.logger.info('a replayed unit got further before failing again; replaying it once more', { endpoint, scope, runs });
    }
  };
  // Listings first: they bring what the other units need to know of their markets.
  const listing = (endpoint: string) => (endpoint === CLOB_MARKETS_ENDPOINT || endpoint === GAMMA_MARKETS_ENDPOINT || endpoint === GAMMA_EVENTS_ENDPOINT ? 0 : 1);
  const ordered = [...units.values()].sort((a, b) => listing(a.endpoint) - listing(b.endpoint));
  for (const { endpoint, scope, lastFailure } of ordered) {
    if (ctx.stop.aborted) break;
    const cursor = ctx.cursors.get(endpoint, scope);
    if (cursor?.complete) {
      skipped++;
      continue;
    }
    ctx.logger.info('replaying a failed unit', { endpoint, scope });
    if (endpoint === TRADES_ENDPOINT) await untilStuck(endpoint, scope, lastFailure, () => trades.run({ conditionId: scope }));
    else if (endpoint === PRICES_ENDPOINT) {
      const market = readDetail(cursor).market as { conditionId?: string } | undefined;
      await untilStuck(endpoint, scope, lastFailure, () => prices.run({ token: scope, conditionId: market?.conditionId ?? '' }));
    } else if (endpoint === 'data:/v1/leaderboard') {
      const [timePeriod, orderBy, category] = scope.split('/');
      if (timePeriod && orderBy && category) boards.push({ timePeriod, orderBy, category });
    } else if (endpoint === HOLDERS_ENDPOINT || endpoint === OPEN_INTEREST_ENDPOINT) {
      // A batch's scope is its condition ids; the markets a later pass read are not read again.
      for (const id of scope.split(',')) if (id && !ctx.cursors.get(endpoint, id)?.complete) snapshotMarkets.get(endpoint)!.add(id);
    } else if (endpoint === CLOB_MARKETS_ENDPOINT) await listings.clobMarkets(true);
    else if (endpoint === GAMMA_MARKETS_ENDPOINT) await listings.gammaMarkets(scope === 'closed=true', true);
    else if (endpoint === GAMMA_EVENTS_ENDPOINT) await listings.gammaEvents(scope === 'closed=true');
    else ctx.logger.warn('a failure names a unit this version cannot replay', { endpoint, scope });
  }
  if (boards.length > 0) await new LeaderboardFetcher(ctx).run(boards.filter((b) => boardScope(b) !== ''));
  const holders = [...snapshotMarkets.get(HOLDERS_ENDPOINT)!];
  if (holders.length > 0) await new HoldersFetcher(ctx).run([], backfillSnapshot(ctx), holders);
  const openInterest = [...snapshotMarkets.get(OPEN_INTEREST_ENDPOINT)!];
  if (openInterest.length > 0) await new OpenInterestFetcher(ctx).run([], backfillSnapshot(ctx), openInterest);
  // Price units read over the CLOB listing's span when Gamma's listing failed: complete them now
  // that it has been replayed (those whose markets Gamma still does not list stay open).
  for (const c of [...ctx.cursors.of(PRICES_ENDPOINT)]) {
    if (ctx.stop.aborted) break;
    if (c.complete || units.has(`${PRICES_ENDPOINT}|${c.scope}`) || readDetail(c).covered === undefined) continue;
    const market = readDetail(c).market as { conditionId?: string } | undefined;
    await prices.run({ token: c.scope, conditionId: market?.conditionId ?? '' });
  }
  ctx.logger.info('failures replayed', { failures, units: units.size, skipped, superseded });
  return { failures, units: units.size, skipped, superseded };
}

/** Where a unit's cursor stands, without when it was written: equal strings mean no progress. */
function progressOf(c: Cursor | undefined): string {
  if (!c) return '';
  const { updatedAt: _, ...where } = c;
  return JSON.stringify(where);
}
