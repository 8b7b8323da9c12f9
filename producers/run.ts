/**
 * One ingest run: open the log side (topics, codecs, cursors), decide the run's generation (resume
 * the unfinished one, or start a new one), and run the selected fetchers as a chain: market
 * listings discover trade and price units, feeders move them into bounded queues that worker
 * pools drain, while events and leaderboards run beside them. Stopping (the signal) lets every worker finish the
 * request in flight and publish its page and cursor; a deadline then aborts what is still
 * hanging. Follow mode keeps polling and listens to the market WebSocket until stopped.
 */
import { Registry } from 'prom-client';
import { Serde } from '../registry/serde.ts';
import type { SchemaRegistry } from '../registry/types.ts';
import { ConfigError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import type { ProgressBoard } from '../runtime/progress.ts';
import { ALL_TOPICS, TOPICS } from '../schemas/topics.ts';
import type { Transport } from '../transport/types.ts';
import { type Encoders, IngestContext } from './context.ts';
import { HoldersFetcher } from './fetchers/holders.ts';
import { LeaderboardFetcher } from './fetchers/leaderboard.ts';
import { MarketCatalog } from './fetchers/markets/catalog.ts';
import { Discovery, PRICES_ENDPOINT, type PriceUnit, TRADES_ENDPOINT, type TradeUnit } from './fetchers/markets/discovery.ts';
import { Listings } from './fetchers/markets/listings.ts';
import { OpenInterestFetcher } from './fetchers/open-interest.ts';
import { PricesFetcher } from './fetchers/prices/fetcher.ts';
import { backfillSnapshot } from './fetchers/snapshot-pass.ts';
import { TradesFetcher } from './fetchers/trades/fetcher.ts';
import { readDetail, unitStatus } from './fetchers/units.ts';
import type { ChainState } from './follow/follow.ts';
import { runFollow } from './follow/follow.ts';
import type { ApiBaseUrls } from './http/apis.ts';
import { ApiCaller } from './http/caller.ts';
import { HttpClient } from './http/client.ts';
import { RateLimiter } from './limits/rate-limiter.ts';
import { joinIngestGroup } from './liveness.ts';
import { IngestMetrics } from './metrics.ts';
import { Feeder } from './pipeline/feeder.ts';
import { BoundedQueue, drainWith } from './pipeline/queue.ts';
import { type Cursor, CursorStore, emptyCursor } from './records/cursors.ts';
import { Publisher } from './records/publisher.ts';
import { replayFailures } from './replay.ts';
import { ApiClock } from './server-time.ts';
import { type IngestSettings, type Mode, selectedModes, wantsSnapshots } from './settings.ts';

export const RUN_ENDPOINT = 'pma:ingest';

export interface IngestOptions extends IngestSettings {
  urls: ApiBaseUrls & { ws: string };
}

export interface IngestDeps {
  transport: Transport;
  /** The serde to encode with, or the schema registry to make one from. */
  serde?: Serde;
  registry?: SchemaRegistry;
  logger: Logger;
  /** First abort: no new requests, finish in-flight ones, flush, write cursors. */
  signal: AbortSignal;
  /** Where the producers' Prometheus metrics go (a private registry if absent). */
  metrics?: Registry;
  progress?: ProgressBoard;
  /** After the stop signal, in-flight requests are aborted after this long. Default 7 s. */
  graceMs?: number;
}

export interface IngestSummary {
  generation: number;
  resumed: boolean;
  stopped: boolean;
  failures: number;
  gaps: number;
  deadLetters: number;
  modes: Mode[];
}

/** The topics a run writes. */
const WRITES = [
  TOPICS.rawGammaMarkets,
  TOPICS.rawGammaEvents,
  TOPICS.rawClobMarkets,
  TOPICS.rawTrades,
  TOPICS.rawLeaderboard,
  TOPICS.rawHolders,
  TOPICS.rawOpenInterest,
  TOPICS.rawPrices,
  TOPICS.rawMarketWs,
  TOPICS.cursors,
  TOPICS.gaps,
  TOPICS.failures,
  TOPICS.dlq,
];

export async function ensureTopics(transport: Transport): Promise<void> {
  const names = new Set<string>(WRITES.map((t) => t.name));
  await transport.admin().createTopics(ALL_TOPICS.filter((t) => names.has(t.name)).map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy })));
}

export async function openEncoders(serde: Serde): Promise<Encoders> {
  const [rawGammaMarkets, rawGammaEvents, rawClobMarkets, rawTrades, rawLeaderboard, rawHolders, rawOpenInterest, rawPrices, rawMarketWs, cursors, gaps, failures] = await Promise.all([
    serde.codecFor(TOPICS.rawGammaMarkets),
    serde.codecFor(TOPICS.rawGammaEvents),
    serde.codecFor(TOPICS.rawClobMarkets),
    serde.codecFor(TOPICS.rawTrades),
    serde.codecFor(TOPICS.rawLeaderboard),
    serde.codecFor(TOPICS.rawHolders),
    serde.codecFor(TOPICS.rawOpenInterest),
    serde.codecFor(TOPICS.rawPrices),
    serde.codecFor(TOPICS.rawMarketWs),
    serde.codecFor(TOPICS.cursors),
    serde.codecFor(TOPICS.gaps),
    serde.codecFor(TOPICS.failures),
  ]);
  return { rawGammaMarkets, rawGammaEvents, rawClobMarkets, rawTrades, rawLeaderboard, rawHolders, rawOpenInterest, rawPrices, rawMarketWs, cursors, gaps, failures };
}

export async function runIngest(options: IngestOptions, deps: IngestDeps): Promise<IngestSummary> {
  const logger = deps.logger.child({ component: 'ingest' });
  const modes = selectedModes(options);
  const serde = deps.serde ?? (deps.registry ? new Serde(deps.registry) : undefined);
  if (!serde) throw new ConfigError('runIngest needs a serde or a schema registry');
  await ensureTopics(deps.transport);
  const encoders = await openEncoders(serde);
  const cursors = options.fresh ? new CursorStore() : await CursorStore.load(deps.transport, TOPICS.cursors.name, encoders.cursors as never, deps.signal);
  const runScope = [...modes].sort().join(',');
  const runCursor = cursors.get(RUN_ENDPOINT, runScope);
  const previousGen = readDetail(runCursor).gen;
  const resumed = !options.fresh && !options.retryFailures && runCursor !== undefined && !runCursor.complete && typeof previousGen === 'number';
  const generation = resumed ? (previousGen as number) : Math.floor(Date.now() / 1000);
  logger.info(resumed ? 'resuming the unfinished run' : 'starting a run', { modes: [...modes], generation, cursors: cursors.size, fresh: options.fresh });

  const hard = new AbortController();
  let graceTimer: NodeJS.Timeout | undefined;
  const onStop = () => {
    graceTimer = setTimeout(() => hard.abort(), deps.graceMs ?? 7_000);
    graceTimer.unref();
  };
  if (deps.signal.aborted) onStop();
  else deps.signal.addEventListener('abort', onStop, { once: true });

  const limiter = new RateLimiter({ profile: options.rateLimits, overrides: options.rateLimitOverrides, headroom: options.rateLimitHeadroom });
  const metrics = new IngestMetrics(deps.metrics ?? new Registry(), limiter, deps.progress);
  const client = new HttpClient({
    baseUrls: { gamma: options.urls.gamma, data: options.urls.data, clob: options.urls.clob },
    connections: options.connections,
    connectTimeoutMs: options.connectTimeout * 1000,
    requestTimeoutMs: options.requestTimeout * 1000,
  });
  const producer = deps.transport.producer({ clientId: 'pma-ingest' });
  const publisher = new Publisher({ producer, dlqTopic: TOPICS.dlq.name });
  let ctx: IngestContext | undefined;
  const caller = new ApiCaller({
    client,
    limiter,
    retry: { attempts: options.attempts, baseMs: options.retryBaseMs, maxMs: options.retryMaxMs },
    stopSignal: deps.signal,
    hardSignal: hard.signal,
    observer: metrics,
    onMalformed: (m) => ctx!.malformed(m),
  });
  const stored = readDetail(runCursor);
  const clock = new ApiClock(caller, logger, typeof stored.skew === 'number' ? stored.skew : undefined);
  const horizon = resumed && typeof stored.horizon === 'number' ? stored.horizon : (await clock.now()) - 1;
  // Failures of this run that a later run of the same unit got past: they are not left to replay.
  let superseded = 0;
  ctx = new IngestContext({ settings: options, caller, publisher, encoders, cursors, metrics, logger, stop: deps.signal, generation, horizon, clock });
  const leaveMarker = joinIngestGroup(deps.transport, logger);
  try {
    if (options.retryFailures) {
      superseded = (await replayFailures(ctx, deps.transport)).superseded;
    } else {
      await ctx.publisher.control([runRecord(ctx, runScope, false)]);
      const chain = await backfill(ctx, modes);
      await publisher.flush();
      if (!deps.signal.aborted) {
        await ctx.publisher.control([runRecord(ctx, runScope, true)]);
        if (options.follow) await runFollow(ctx, modes, options.urls.ws, chain);
      }
    }
    await publisher.flush();
  } finally {
    deps.signal.removeEventListener('abort', onStop);
    if (graceTimer) clearTimeout(graceTimer);
    await producer.close().catch((err: unknown) => logger.warn('closing the producer failed', { err }));
    await leaveMarker();
    await client.close();
  }
  const summary: IngestSummary = {
    generation,
    resumed,
    stopped: deps.signal.aborted,
    failures: ctx.failures - superseded,
    gaps: ctx.gaps,
    deadLetters: ctx.deadLetters,
    modes: [...modes],
  };
  logger.info(summary.stopped ? 'ingest stopped; the next run resumes from the cursors' : 'ingest done', { ...summary });
  return summary;
}

function runRecord(ctx: IngestContext, scope: string, complete: boolean) {
  return ctx.cursorRecord({
    ...(ctx.cursors.get(RUN_ENDPOINT, scope) ?? emptyCursor(RUN_ENDPOINT, scope)),
    complete,
    page: 1,
    lastTimestamp: Date.now(),
    // The skew stands in for the API's clock when a later run cannot read it.
    detail: JSON.stringify({ gen: ctx.generation, horizon: ctx.horizon, ...(ctx.clock.skewSec !== undefined ? { skew: ctx.clock.skewSec } : {}) }),
  });
}

/** Every selected fetcher, once, as a chain. Resolves when all have ended (or stopped). */
export async function backfill(ctx: IngestContext, modes: Set<Mode>): Promise<ChainState> {
  const s = ctx.settings;
  const wantsMarkets = modes.has('markets') || modes.has('trades') || modes.has('prices') || wantsSnapshots(modes);
  const catalog = new MarketCatalog();
  const tradeQueue = modes.has('trades') ? new BoundedQueue<TradeUnit>(s.queueSize) : undefined;
  const priceQueue = modes.has('prices') ? new BoundedQueue<PriceUnit>(s.queueSize) : undefined;
  const tradeFeed = tradeQueue ? new Feeder<TradeUnit>() : undefined;
  const priceFeed = priceQueue ? new Feeder<PriceUnit>() : undefined;
  const discovery = new Discovery(ctx, { catalog, trades: tradeFeed, prices: priceFeed, limit: s.limit });
  const listings = new Listings(ctx, wantsMarkets ? discovery : undefined);
  const trades = new TradesFetcher(ctx);
  const prices = new PricesFetcher(ctx, catalog);
  const jobs: Array<Promise<unknown>> = [];

  let releasePrices!: () => void;
  const gammaListed = new Promise<void>((r) => {
    releasePrices = r;
  });

  if (tradeQueue && tradeFeed) {
    const task = ctx.metrics.task('trades', 'markets');
    jobs.push(tradeFeed.run(tradeQueue, ctx.stop));
    jobs.push(
      drainWith(
        tradeQueue,
        s.tradeWorkers ?? s.workers,
        async (u) => {
          if ((await trades.run(u)) !== 'stopped') task?.advance();
        },
        ctx.stop,
      ).finally(() => task?.end(ctx.stop.aborted ? 'stopped' : 'done')),
    );
  }
  if (priceQueue && priceFeed) {
    const task = ctx.metrics.task('prices', 'tokens');
    // Prices start once the Gamma listing is done: it brings the volumes that pick the resolution.
    // Discovery never waits on this (the feeder holds the units), so the listing is not held up.
    jobs.push(priceFeed.run(priceQueue, ctx.stop, gammaListed));
    jobs.push(
      drainWith(
        priceQueue,
        s.priceWorkers,
        async (u) => {
          if ((await prices.run(u)) !== 'stopped') task?.advance();
        },
        ctx.stop,
      ).finally(() => task?.end(ctx.stop.aborted ? 'stopped' : 'done')),
    );
  }

  // Under --limit the events wait for the market listings: only then is it known which markets were taken.
  let marketsListed: Promise<unknown> = Promise.resolve();
  if (wantsMarkets) {
    const publish = modes.has('markets');
    const task = ctx.metrics.task('markets', 'pages');
    if (s.limit === undefined) sweepUnits(ctx, discovery, tradeFeed !== undefined, priceFeed !== undefined);
    const needGamma = modes.has('markets') || modes.has('prices');
    const gamma = needGamma ? Promise.all([listings.gammaMarkets(false, publish), listings.gammaMarkets(true, publish)]) : Promise.resolve();
    const clob = listings.clobMarkets(publish);
    marketsListed = Promise.all([gamma, clob]);
    jobs.push(
      gamma.finally(releasePrices),
      Promise.all([gamma, clob]).finally(() => {
        task?.end(ctx.stop.aborted ? 'stopped' : 'done');
        tradeFeed?.close();
        priceFeed?.close();
      }),
    );
  } else {
    releasePrices();
    tradeFeed?.close();
    priceFeed?.close();
  }
  if (modes.has('events')) {
    const task = ctx.metrics.task('events', 'pages');
    const taken = s.limit !== undefined && wantsMarkets ? (id: string) => catalog.get(id) !== undefined : undefined;
    const listed = taken ? marketsListed.then(() => undefined) : Promise.resolve();
    jobs.push(listed.then(() => Promise.all([listings.gammaEvents(false, taken), listings.gammaEvents(true, taken)])).finally(() => task?.end(ctx.stop.aborted ? 'stopped' : 'done')));
  }
  if (modes.has('leaderboard')) jobs.push(new LeaderboardFetcher(ctx).run());
  // Holders and open interest read every market the listings found, so they wait for them.
  const listed = () => [...catalog.values()].map((m) => m.conditionId);
  if (modes.has('holders')) jobs.push(marketsListed.then(() => new HoldersFetcher(ctx).run(listed(), backfillSnapshot(ctx))));
  if (modes.has('open-interest')) jobs.push(marketsListed.then(() => new OpenInterestFetcher(ctx).run(listed(), backfillSnapshot(ctx))));

  const results = await Promise.allSettled(jobs);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return { catalog, digests: listings.digests };
}

/** Hands over the trade and price units known from earlier runs that still have work in this generation. */
function sweepUnits(ctx: IngestContext, discovery: Discovery, trades: boolean, prices: boolean): void {
  const due = (c: Cursor) => unitStatus(c, ctx.generation) !== 'done';
  // Units interrupted part-way go first: the page in flight when the last run stopped is fetched
  // again at once, rather than whenever its turn comes.
  const order = (a: Cursor, b: Cursor) => rank(a) - rank(b);
  const rank = (c: Cursor) => (unitStatus(c, ctx.generation) === 'resume' ? 0 : 1);
  if (trades) {
    const units = [...ctx.cursors.of(TRADES_ENDPOINT)]
      .filter(due)
      .sort(order)
      .map((c) => ({ conditionId: c.scope }));
    discovery.enqueue({ trades: units, prices: [] });
  }
  if (prices) {
    const units = [...ctx.cursors.of(PRICES_ENDPOINT)]
      .filter(due)
      .sort(order)
      .map((c) => {
        const market = readDetail(c).market as { conditionId?: string } | undefined;
        return { token: c.scope, conditionId: market?.conditionId ?? '' };
      });
    discovery.enqueue({ trades: [], prices: units });
  }
}
