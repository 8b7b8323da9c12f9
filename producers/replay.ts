/**
 * `pma ingest --retry-failures`: replays the units whose requests gave up in earlier runs. Every
 * failure record names its unit (endpoint and scope); a unit whose cursor has since completed is
 * skipped, the others resume from their cursors, so the failed request is the first one sent.
 * Listings go first; then the price units left open because a failed Gamma listing left their
 * market's life unknown are completed with what the replayed listing tells.
 */

import { TOPICS } from '../schemas/topics.ts';
import type { Transport } from '../transport/types.ts';
import type { FailureRecord, IngestContext } from './context.ts';
import { type Board, boardScope, LeaderboardFetcher } from './fetchers/leaderboard.ts';
import { MarketCatalog } from './fetchers/markets/catalog.ts';
import { Discovery, PRICES_ENDPOINT, TRADES_ENDPOINT } from './fetchers/markets/discovery.ts';
import { CLOB_MARKETS_ENDPOINT, GAMMA_EVENTS_ENDPOINT, GAMMA_MARKETS_ENDPOINT, Listings } from './fetchers/markets/listings.ts';
import { PricesFetcher } from './fetchers/prices/fetcher.ts';
import { TradesFetcher } from './fetchers/trades/fetcher.ts';
import { readDetail } from './fetchers/units.ts';
import { readTopic } from './records/read.ts';

export interface ReplayReport {
  failures: number;
  units: number;
  skipped: number;
}

export async function replayFailures(ctx: IngestContext, transport: Transport): Promise<ReplayReport> {
  const decoder = ctx.enc.failures as unknown as { decode(b: Buffer): Promise<FailureRecord> };
  const units = new Map<string, { endpoint: string; scope: string }>();
  let failures = 0;
  await readTopic(
    transport,
    TOPICS.failures.name,
    async (r) => {
      if (!r.value) return;
      const f = await decoder.decode(r.value);
      failures++;
      units.set(`${f.endpoint}|${f.scope ?? ''}`, { endpoint: f.endpoint, scope: f.scope ?? '' });
    },
    ctx.stop,
  );
  const catalog = new MarketCatalog();
  const trades = new TradesFetcher(ctx);
  const prices = new PricesFetcher(ctx, catalog);
  const listings = new Listings(ctx, new Discovery(ctx, { catalog }));
  const boards: Board[] = [];
  let skipped = 0;
  // Listings first: they bring what the other units need to know of their markets.
  const listing = (endpoint: string) => (endpoint === CLOB_MARKETS_ENDPOINT || endpoint === GAMMA_MARKETS_ENDPOINT || endpoint === GAMMA_EVENTS_ENDPOINT ? 0 : 1);
  const ordered = [...units.values()].sort((a, b) => listing(a.endpoint) - listing(b.endpoint));
  for (const { endpoint, scope } of ordered) {
    if (ctx.stop.aborted) break;
    const cursor = ctx.cursors.get(endpoint, scope);
    if (cursor?.complete) {
      skipped++;
      continue;
    }
    ctx.logger.info('replaying a failed unit', { endpoint, scope });
    if (endpoint === TRADES_ENDPOINT) await trades.run({ conditionId: scope });
    else if (endpoint === PRICES_ENDPOINT) {
      const market = readDetail(cursor).market as { conditionId?: string } | undefined;
      await prices.run({ token: scope, conditionId: market?.conditionId ?? '' });
    } else if (endpoint === 'data:/v1/leaderboard') {
      const [timePeriod, orderBy, category] = scope.split('/');
      if (timePeriod && orderBy && category) boards.push({ timePeriod, orderBy, category });
    } else if (endpoint === CLOB_MARKETS_ENDPOINT) await listings.clobMarkets(true);
    else if (endpoint === GAMMA_MARKETS_ENDPOINT) await listings.gammaMarkets(scope === 'closed=true', true);
    else if (endpoint === GAMMA_EVENTS_ENDPOINT) await listings.gammaEvents(scope === 'closed=true');
    else ctx.logger.warn('a failure names a unit this version cannot replay', { endpoint, scope });
  }
  if (boards.length > 0) await new LeaderboardFetcher(ctx).run(boards.filter((b) => boardScope(b) !== ''));
  // Price units read over the CLOB listing's span when Gamma's listing failed: complete them now
  // that it has been replayed (those whose markets Gamma still does not list stay open).
  for (const c of [...ctx.cursors.of(PRICES_ENDPOINT)]) {
    if (ctx.stop.aborted) break;
    if (c.complete || units.has(`${PRICES_ENDPOINT}|${c.scope}`) || readDetail(c).covered === undefined) continue;
    const market = readDetail(c).market as { conditionId?: string } | undefined;
    await prices.run({ token: c.scope, conditionId: market?.conditionId ?? '' });
  }
  ctx.logger.info('failures replayed', { failures, units: units.size, skipped });
  return { failures, units: units.size, skipped };
}
