import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { silentLogger } from '../../../runtime/logger.ts';
import { type Simulator, startSimulator, type TruthRecord } from '../../../simulator/index.ts';
import { marketKey, runSilverSink, type SilverSinkOptions, tokenKey, traderKey } from '../../../sinks/silver/index.ts';
import { queryRows } from '../../duckdb-rows.ts';
import { processToEnd } from '../../processors/raw-in.ts';
import { ingest, settingsFor } from '../../producers/helpers/ingest.ts';
import { openTestLog, type TestLog } from './clean-world.ts';
import { silverDifferences } from './compare.ts';

describe('end to end on the simulator: Silver holds the ground truth exactly once, with keys stable across a rebuild', function () {
  this.timeout(300_000);
  let sim: Simulator;
  let log: TestLog;
  let db: DuckDBInstance;
  let path: string;
  const sink = (file: string, extra: Partial<SilverSinkOptions> = {}) =>
    runSilverSink(
      { path: file, snapshotPath: null, snapshotIntervalMs: 60_000, groupId: 'silver', batchRows: 5_000, batchMaxMs: 500, until: 'caught-up', serveQueries: false, ...extra },
      { transport: log.transport, serde: log.serde, logger: silentLogger, signal: new AbortController().signal },
    );

  before(async () => {
    sim = await startSimulator({ port: 0, seed: 8, markets: 24, tradesPerMarket: 40, pricePoints: 30, leaderboardSize: 20, limits: false });
    log = await openTestLog();
    const summary = await ingest(log, settingsFor(sim, { resolution: 'minute' }));
    expect(summary.failures).to.equal(0);
    await processToEnd(log);
    path = join(log.dir, 'silver.duckdb');
    await sink(path);
    db = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  });
  after(async () => {
    db?.closeSync();
    await log?.close();
    await sim?.close();
  });

  const truth = (type: TruthRecord['type']) => [...sim.truth({ types: [type] })];
  const rows = (sql: string) => queryRows(db, sql);

  /** Each truth key once among the rows, and no row without a truth record. */
  function exactlyOnce(type: string, expected: string[], got: string[]): void {
    expect(expected.length, `${type}: the world should hold some`).to.be.greaterThan(0);
    const counts = new Map<string, number>();
    for (const k of got) counts.set(k, (counts.get(k) ?? 0) + 1);
    const want = new Set(expected);
    expect({
      type,
      missing: expected.filter((k) => !counts.has(k)).slice(0, 3),
      twice: [...counts].filter(([, n]) => n > 1).slice(0, 3),
      extra: [...counts.keys()].filter((k) => !want.has(k)).slice(0, 3),
    }).to.deep.equal({ type, missing: [], twice: [], extra: [] });
  }

  it('trades: every fill row once, with its keys and values', async () => {
    const got = await rows(
      `SELECT f.trade_id, f.market_sk, f.token_sk, f.trader_sk, f.side, f.price, f.size, epoch_ms(f.trade_timestamp) AS ts, f.transaction_hash, t.wallet_address
       FROM TradeFact f JOIN TraderDim t USING (trader_sk)`,
    );
    const trades = truth('trade');
    exactlyOnce(
      'trade',
      trades.map((t) => t.key),
      got.map((r) => r.trade_id as string),
    );
    const byId = new Map(got.map((r) => [r.trade_id as string, r]));
    for (const t of trades) {
      const r = byId.get(t.key)!;
      expect({
        market: r.market_sk,
        token: r.token_sk,
        trader: r.trader_sk,
        side: r.side,
        price: r.price,
        size: r.size,
        ts: Number(r.ts),
        tx: r.transaction_hash,
        wallet: r.wallet_address,
      }).to.deep.equal({
        market: marketKey(t.conditionId as string),
        token: tokenKey(t.asset as string),
        trader: traderKey(t.proxyWallet as string),
        side: t.side,
        price: t.price,
        size: t.size,
        ts: (t.timestamp as number) * 1000,
        tx: (t.transactionHash as string).toLowerCase(),
        wallet: (t.proxyWallet as string).toLowerCase(),
      });
    }
  });

  it('markets, tokens and events: one row each; token winner flags as the CLOB serves them', async () => {
    const markets = truth('clob-market');
    const got = await rows('SELECT condition_id FROM MarketDim');
    exactlyOnce(
      'market',
      markets.map((m) => (m.condition_id as string).toLowerCase()),
      got.map((r) => r.condition_id as string),
    );
    const tokens = await rows('SELECT token_id, market_sk, is_winner FROM MarketTokenDim');
    exactlyOnce(
      'token',
      markets.flatMap((m) => m.tokens as string[]),
      tokens.map((r) => r.token_id as string),
    );
    const marketOf = new Map(markets.flatMap((m) => (m.tokens as string[]).map((t) => [t, m] as const)));
    for (const t of tokens) expect(t.market_sk).to.equal(marketKey(marketOf.get(t.token_id as string)!.condition_id as string));
    // Winner flags as the CLOB serves them (open markets: none; resolved ones: the winner).
    const flags = new Map(tokens.map((t) => [t.token_id as string, t.is_winner]));
    for (const m of markets) {
      const served = (await (await fetch(`${sim.urls.clob}/markets/${m.condition_id}`)).json()) as { tokens: Array<{ token_id: string; winner: boolean }> };
      for (const t of served.tokens) expect(flags.get(t.token_id), `${m.condition_id} ${t.token_id}`).to.equal(t.winner);
    }
    expect([...flags.values()].filter(Boolean).length, 'some markets resolved').to.be.greaterThan(0);
    const events = await rows('SELECT event_id FROM EventDim');
    exactlyOnce(
      'event',
      truth('gamma-event').map((e) => e.id as string),
      events.map((r) => r.event_id as string),
    );
  });

  it('price points and leaderboard rows: every one once', async () => {
    const prices = await rows(`SELECT k.token_id, epoch(p.price_timestamp)::BIGINT AS t FROM PriceHistoryFact p JOIN MarketTokenDim k USING (token_sk)`);
    exactlyOnce(
      'price-point',
      truth('price-point').map((p) => `${p.token}|${p.t}`),
      prices.map((r) => `${r.token_id}|${r.t}`),
    );
    const board = await rows('SELECT time_period, order_by, category, wallet_address FROM LeaderboardSnapshot');
    exactlyOnce(
      'leaderboard-row',
      truth('leaderboard-row').map((l) => `${l.timePeriod}/${l.orderBy}/${l.category}/${(l.proxyWallet as string).toLowerCase()}`),
      board.map((r) => `${r.time_period}/${r.order_by}/${r.category}/${r.wallet_address}`),
    );
  });

  it('top holders and open interest: one row per market, token, wallet and snapshot, with the served figures', async () => {
    const holders = await rows('SELECT market_sk, token_sk, trader_sk, condition_id, token_id, wallet_address, amount, outcome_index, epoch_ms(snapshot_timestamp) AS snap FROM HolderSnapshot');
    const truthHolders = truth('holder');
    exactlyOnce(
      'holder',
      truthHolders.map((t) => t.key),
      holders.map((r) => `${r.condition_id}|${r.token_id}|${r.wallet_address}`),
    );
    expect(new Set(holders.map((r) => String(r.snap))).size, 'one ingest pass, one snapshot').to.equal(1);
    const byKey = new Map(holders.map((r) => [`${r.condition_id}|${r.token_id}|${r.wallet_address}`, r]));
    for (const t of truthHolders) {
      const r = byKey.get(t.key)!;
      expect([r.amount, r.outcome_index, r.market_sk, r.token_sk, r.trader_sk]).to.deep.equal([
        t.amount,
        t.outcomeIndex,
        marketKey(t.conditionId as string),
        tokenKey(t.asset as string),
        traderKey(t.proxyWallet as string),
      ]);
    }
    const oi = await rows('SELECT market_sk, condition_id, value FROM OpenInterestFact');
    exactlyOnce(
      'open-interest',
      truth('open-interest').map((t) => t.key),
      oi.map((r) => r.condition_id as string),
    );
    const oiByMarket = new Map(oi.map((r) => [r.condition_id as string, r]));
    for (const t of truth('open-interest')) expect([oiByMarket.get(t.key)!.value, oiByMarket.get(t.key)!.market_sk]).to.deep.equal([t.value, marketKey(t.conditionId as string)]);
  });

  it('a rebuild from the log gives the same rows and keys', async () => {
    const rebuilt = join(log.dir, 'rebuilt.duckdb');
    await sink(rebuilt, { groupId: 'rebuild', start: { from: 'beginning' }, batchRows: 50_000 });
    expect(await silverDifferences(path, rebuilt)).to.deep.equal([]);
  });
});
