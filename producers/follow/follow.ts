/**
 * Follow mode, after the backfill: keep the raw topics current until stopped.
 * - Every poll interval, an incremental pass over the open markets' trades and tokens' prices
 *   (each starts at its newest record, so nothing between two passes is missed). In between, a
 *   trade the socket reports wakes a pass over the markets it reported, and only those.
 * - Every holders interval and every open-interest interval, a snapshot of the open markets' top
 *   holders and open interest, and of those closed since the last one (the backfill took every
 *   market's first; each later pass is a snapshot of its own).
 * - Every relist interval, the market listings again, for new markets (backfilled at once) and
 *   changed ones (republished only when their content changed).
 * - The CLOB market WebSocket for books, price changes and last trades, in connections of at most
 *   `wsBatch` tokens. When a connection was blind for a while, the trades of its markets are
 *   fetched over REST for that span and a continuity event says so on pma.raw.ws-market.
 */
import { toRawWsMarketEvent } from '../../schemas/raw/index.ts';
import type { IngestContext } from '../context.ts';
import { HoldersFetcher } from '../fetchers/holders.ts';
import type { MarketCatalog } from '../fetchers/markets/catalog.ts';
import { Discovery, PRICES_ENDPOINT, type PriceUnit, TRADES_ENDPOINT, type TradeUnit } from '../fetchers/markets/discovery.ts';
import { Listings } from '../fetchers/markets/listings.ts';
import { OpenInterestFetcher } from '../fetchers/open-interest.ts';
import { PricesFetcher } from '../fetchers/prices/fetcher.ts';
import { TradesFetcher } from '../fetchers/trades/fetcher.ts';
import { readDetail } from '../fetchers/units.ts';
import { wsEventKey } from '../keys.ts';
import { sleep } from '../limits/retry.ts';
import { Feeder } from '../pipeline/feeder.ts';
import { BoundedQueue, drainWith } from '../pipeline/queue.ts';
import { type Mode, wantsSnapshots } from '../settings.ts';
import { MarketSocket, type SocketGap } from './market-socket.ts';

export const WS_ENDPOINT = 'clob:ws-market';

export interface FollowStats {
  polls: number;
  wsEvents: number;
  reconnects: number;
  gapsBackfilled: number;
}

/** What the backfill learnt that follow mode goes on with (run.ts builds it). */
export interface ChainState {
  catalog: MarketCatalog;
  digests: Map<string, string>;
}

export async function runFollow(ctx: IngestContext, modes: Set<Mode>, wsUrl: string, chain: ChainState): Promise<FollowStats> {
  const s = ctx.settings;
  const stats: FollowStats = { polls: 0, wsEvents: 0, reconnects: 0, gapsBackfilled: 0 };
  const catalog = chain.catalog;
  const newTrades = new BoundedQueue<TradeUnit>(s.queueSize);
  const newPrices = new BoundedQueue<PriceUnit>(s.queueSize);
  const tradeFeed = new Feeder<TradeUnit>();
  const priceFeed = new Feeder<PriceUnit>();
  const discovery = new Discovery(ctx, {
    catalog,
    trades: modes.has('trades') ? tradeFeed : undefined,
    prices: modes.has('prices') ? priceFeed : undefined,
  });
  const listings = new Listings(ctx, discovery, { force: true, onlyChanged: true, digests: chain.digests });
  const trades = new TradesFetcher(ctx);
  const prices = new PricesFetcher(ctx, catalog);
  // Snapshot passes run beside the polls (one at a time per route): a pass over every market
  // would otherwise hold the trades back for as long as it takes.
  // A pass takes the markets open now, and once more those open at the route's last pass that
  // have closed since (their state at close); a market closed for longer no longer changes.
  const openMarkets = () => new Set([...catalog.values()].filter((m) => !isClosed(catalog, m.conditionId, m.closedMs)).map((m) => m.conditionId));
  const snapshots: Array<{ intervalMs: number; fetcher: HoldersFetcher | OpenInterestFetcher; last: number; openBefore: Set<string>; running?: Promise<void> }> = [];
  if (modes.has('holders')) snapshots.push({ intervalMs: s.holdersInterval * 1000, fetcher: new HoldersFetcher(ctx), last: Date.now(), openBefore: openMarkets() });
  if (modes.has('open-interest')) snapshots.push({ intervalMs: s.openInterestInterval * 1000, fetcher: new OpenInterestFetcher(ctx), last: Date.now(), openBefore: openMarkets() });
  const task = ctx.metrics.task('follow', 'polls');
  const dirty = new Set<string>();
  let wake: (() => void) | undefined;
  const nudge = () => wake?.();

  // A closed market gets one last pass in this process: a walk that ended before it closed (the
  // backfill stops at its horizon, a pass at its start) misses the fills made up to its close,
  // whether it closed between two passes, during the backfill, or before a relist first saw it.
  // The fetcher skips one long closed before its last walk without a request. `include` picks the
  // markets of this pass, so that a closed one counts as passed only once a pass takes it.
  const lastPassed = new Set<string>();
  const tradeUnits = (include: (conditionId: string) => boolean): TradeUnit[] => {
    const units: TradeUnit[] = [];
    for (const c of ctx.cursors.of(TRADES_ENDPOINT)) {
      if (!include(c.scope)) continue;
      if (isClosed(catalog, c.scope, readDetail(c).closedMs as number | null | undefined)) {
        if (lastPassed.has(c.scope)) continue;
        lastPassed.add(c.scope);
      }
      units.push({ conditionId: c.scope });
    }
    return units;
  };
  const openPrices = (): PriceUnit[] =>
    [...ctx.cursors.of(PRICES_ENDPOINT)]
      .map((c) => ({ c, market: readDetail(c).market as { conditionId?: string; closed?: boolean } | undefined }))
      .filter(({ market }) => market?.conditionId !== undefined && !isClosed(catalog, market.conditionId, market.closed ? 0 : undefined))
      .map(({ c, market }) => ({ token: c.scope, conditionId: market!.conditionId! }));

  // Markets found by a relist are backfilled as soon as they appear.
  const backfillNew = Promise.all([
    tradeFeed.run(newTrades, ctx.stop),
    priceFeed.run(newPrices, ctx.stop),
    drainWith(newTrades, s.tradeWorkers ?? s.workers, async (u) => void (await trades.run(u)), ctx.stop),
    drainWith(newPrices, s.priceWorkers, async (u) => void (await prices.run(u)), ctx.stop),
  ]);

  // The market channel.
  const sockets: MarketSocket[] = [];
  const socketRuns: Array<Promise<void>> = [];
  let pendingEvents: Array<{ event: Record<string, unknown>; at: number }> = [];
  let flushTimer: NodeJS.Timeout | undefined;
  const flushEvents = async () => {
    flushTimer = undefined;
    const batch = pendingEvents;
    pendingEvents = [];
    if (batch.length === 0) return;
    const res = await ctx.publisher.page({
      encoder: ctx.enc.rawMarketWs,
      toRaw: toRawWsMarketEvent,
      items: batch.map(({ event, at }) => ({ key: wsEventKey(event, at), api: event })),
      source: { endpoint: WS_ENDPOINT, params: JSON.stringify({ sockets: sockets.length }), fetchedAt: batch[batch.length - 1]!.at },
    });
    ctx.metrics.published('follow', ctx.enc.rawMarketWs.topic, res.published);
  };
  const onEvents = (events: Record<string, unknown>[], at: number) => {
    stats.wsEvents += events.length;
    for (const event of events) {
      pendingEvents.push({ event, at });
      if (event.event_type === 'last_trade_price' && typeof event.market === 'string') {
        dirty.add(event.market);
        nudge();
      }
    }
    flushTimer ??= setTimeout(() => void flushEvents().catch((err: unknown) => ctx.logger.error('publishing socket events failed', { err })), 100);
  };
  const gaps: SocketGap[] = [];
  const onGap = (gap: SocketGap) => {
    gaps.push(gap);
    nudge();
  };
  const subscribe = (tokens: string[]) => {
    const known = new Set(sockets.flatMap((k) => k.tokens));
    let fresh = tokens.filter((t) => !known.has(t));
    for (const sock of sockets) {
      const room = s.wsBatch - sock.tokens.length;
      if (room <= 0 || fresh.length === 0) continue;
      sock.add(fresh.slice(0, room));
      fresh = fresh.slice(room);
    }
    while (fresh.length > 0) {
      const sock = new MarketSocket({
        url: wsUrl,
        tokens: fresh.slice(0, s.wsBatch),
        pingMs: s.wsPing * 1000,
        silenceMs: s.wsSilence * 1000,
        logger: ctx.logger.child({ component: 'market-socket' }),
        onEvents,
        onGap,
      });
      fresh = fresh.slice(s.wsBatch);
      sockets.push(sock);
      socketRuns.push(sock.run(ctx.stop));
    }
  };

  const wantsMarkets = modes.has('markets') || modes.has('trades') || modes.has('prices') || wantsSnapshots(modes);
  // Without a listing in this process (a resumed run whose listings were done), list once now.
  let lastRelist = catalog.size > 0 ? Date.now() : 0;
  // A full pass (every open market's trades, every token's prices) comes every poll interval. In
  // between, the socket's reports wake a pass over the markets reported only: behind a full pass
  // a trade waited for hundreds of requests at the data API's 20 trade requests a second.
  let lastFull = 0;
  while (!ctx.stop.aborted) {
    const now = (await ctx.clock.now()) - 1;
    if (wantsMarkets && Date.now() - lastRelist >= s.relistInterval * 1000) {
      lastRelist = Date.now();
      await Promise.all([listings.clobMarkets(modes.has('markets')), listings.gammaMarkets(false, modes.has('markets'))]);
    }
    const gapMarkets = new Set<string>();
    const closedGaps = gaps.splice(0);
    for (const g of closedGaps) for (const t of g.tokens) gapMarkets.add(tokenMarket(ctx, catalog, t));
    const full = Date.now() - lastFull >= s.pollInterval * 1000;
    if (full) lastFull = Date.now();
    const woken = (conditionId: string) => dirty.has(conditionId) || gapMarkets.has(conditionId);
    const units = modes.has('trades') ? tradeUnits((conditionId) => full || woken(conditionId)) : [];
    const first = units.filter((u) => woken(u.conditionId)).map((u): TradeUnit => ({ ...u, trigger: gapMarkets.has(u.conditionId) ? 'gap' : 'socket' }));
    const rest = units.filter((u) => !woken(u.conditionId)).map((u): TradeUnit => ({ ...u, trigger: 'poll' }));
    dirty.clear();
    await passAll([...first, ...rest], s.tradeWorkers ?? s.workers, (u) => trades.run(u, now), ctx.stop);
    if (modes.has('prices') && full) await passAll(openPrices(), s.priceWorkers, (u) => prices.run(u, now), ctx.stop);
    for (const snap of snapshots) {
      if (ctx.stop.aborted || snap.running || Date.now() - snap.last < snap.intervalMs) continue;
      // The pass's start is its snapshot: every market of the pass carries it.
      snap.last = Date.now();
      const open = openMarkets();
      const take = [...new Set([...open, ...snap.openBefore])].sort();
      snap.openBefore = open;
      snap.running = snap.fetcher
        .run([], snap.last, take)
        .catch((err: unknown) => ctx.logger.error('a snapshot pass failed; the next one comes at its interval', { err }))
        .finally(() => {
          snap.running = undefined;
          // The next pass may be due already: the loop's sleep did not wait for it while this one ran.
          nudge();
        });
    }
    for (const g of closedGaps) {
      if (ctx.stop.aborted) break;
      stats.gapsBackfilled++;
      await ctx.publisher.page({
        encoder: ctx.enc.rawMarketWs,
        toRaw: toRawWsMarketEvent,
        items: [
          {
            key: `pma_continuity|${g.from}|${g.to}|${g.tokens[0] ?? ''}`,
            api: {
              event_type: 'pma_continuity',
              timestamp: String(g.to),
              gap_start: String(g.from),
              gap_end: String(g.to),
              tokens: String(g.tokens.length),
              backfilled: modes.has('trades') ? "trades over REST from each market's newest trade" : 'books re-snapshotted on resubscribe',
            },
          },
        ],
        source: { endpoint: WS_ENDPOINT, params: JSON.stringify({ tokens: g.tokens.length }), fetchedAt: Date.now() },
      });
    }
    if (modes.has('trades') || modes.has('prices'))
      subscribe(
        openPrices()
          .map((u) => u.token)
          .concat(wsTokensFromTrades(ctx, catalog)),
      );
    stats.polls++;
    task?.advance();
    // Reports that came in during the pass (their nudge found no sleeper) are fetched at once.
    if (dirty.size === 0 && gaps.length === 0) {
      await Promise.race([
        sleep(Math.max(0, Math.min(lastFull + s.pollInterval * 1000, ...snapshots.filter((x) => !x.running).map((x) => x.last + x.intervalMs)) - Date.now()), ctx.stop),
        new Promise<void>((resolve) => {
          wake = resolve;
        }),
      ]);
    }
    wake = undefined;
  }
  tradeFeed.close();
  priceFeed.close();
  await Promise.all(snapshots.map((x) => x.running));
  await backfillNew;
  await Promise.allSettled(socketRuns);
  if (flushTimer) clearTimeout(flushTimer);
  await flushEvents();
  stats.reconnects = sockets.reduce((n, k) => n + k.reconnects, 0);
  task?.end('stopped');
  ctx.logger.info('follow mode ended', { ...stats });
  return stats;
}

async function passAll<T>(units: T[], workers: number, run: (u: T) => Promise<unknown>, stop: AbortSignal): Promise<void> {
  const q = new BoundedQueue<T>(Math.max(1, units.length));
  for (const u of units) await q.push(u);
  q.close();
  await drainWith(q, workers, async (u) => void (await run(u)), stop);
}

function isClosed(catalog: MarketCatalog, conditionId: string, closedMs: number | undefined | null): boolean {
  const live = catalog.get(conditionId);
  if (live?.closed !== undefined) return live.closed;
  return closedMs !== undefined && closedMs !== null;
}

/** The market of a token, from this run's listings or the token's cursor. */
function tokenMarket(ctx: IngestContext, catalog: MarketCatalog, token: string): string {
  for (const m of catalog.values()) if (m.tokens.includes(token)) return m.conditionId;
  const market = readDetail(ctx.cursors.get(PRICES_ENDPOINT, token)).market as { conditionId?: string } | undefined;
  return market?.conditionId ?? '';
}

/** Tokens of open markets known from the listings (when prices are not followed, trades still want the socket). */
function wsTokensFromTrades(ctx: IngestContext, catalog: MarketCatalog): string[] {
  const out: string[] = [];
  for (const m of catalog.values()) if (!m.closed && ctx.cursors.get(TRADES_ENDPOINT, m.conditionId)) out.push(...m.tokens);
  return out;
}
