import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../../runtime/logger.ts';
import { runSilverSink, type SilverSinkOptions } from '../../../sinks/silver/index.ts';
import { rebuildSilver } from '../../../sinks/silver/rebuild.ts';
import { cleanWorld, openTestLog, type TestLog } from './clean-world.ts';
import { silverCounts, silverDifferences } from './compare.ts';

describe('silver rebuild (pma replay --layer silver)', function () {
  this.timeout(120_000);
  let log: TestLog;
  let path: string;
  let reference: string;
  const world = cleanWorld(21, { markets: 10, tradesPerMarket: 120, wallets: 25, pricesPerToken: 8 });
  const deps = () => ({ transport: log.transport, serde: log.serde, logger: silentLogger, signal: new AbortController().signal });
  const sink = (extra: Partial<SilverSinkOptions> = {}) =>
    runSilverSink({ path, snapshotPath: null, snapshotIntervalMs: 60_000, groupId: 'live', batchRows: 400, batchMaxMs: 100, until: 'caught-up', serveQueries: false, ...extra }, deps());

  before(async () => {
    log = await openTestLog();
    path = join(log.dir, 'silver.duckdb');
    // Built incrementally: three runs with new records, re-sent ones and later versions in between.
    const third = Math.floor(world.trades.length / 3);
    await log.publish('markets', world.markets);
    await log.publish('trades', world.trades.slice(0, third));
    await sink();
    await log.publish(
      'tokens',
      world.tokens.map((t) => ({ ...t, winner: false, price: 0.5 })),
    );
    await log.publish('trades', world.trades.slice(third - 50, 2 * third));
    await log.publish('events', world.events);
    await log.publish('openInterest', world.openInterest.slice(3));
    await log.publish('holders', world.holders.slice(0, 10));
    await sink();
    await log.publish('tokens', world.tokens);
    await log.publish('trades', world.trades.slice(2 * third));
    await log.publish('trades', world.trades.slice(0, 30));
    await log.publish('prices', world.prices);
    await log.publish('leaderboard', world.leaderboard);
    await log.publish('holders', world.holders);
    await log.publish('openInterest', world.openInterest.slice(0, 5));
    await log.publish(
      'markets',
      world.markets.map((m) => ({ ...m, observed_ts: m.observed_ts + 10_000, description: '' })),
    );
    await sink();
    reference = join(log.dir, 'incremental.duckdb');
    copyFileSync(path, reference);
  });
  after(async () => {
    await log.close();
  });

  it('from the beginning, in place: equal row for row to the incremental build; previous file kept; snapshot republished', async () => {
    const r = await rebuildSilver({ silverPath: path, start: { from: 'beginning' }, groupId: 'replay-1', batchRows: 1_000 }, deps());
    expect(r.reason).to.equal('caught-up');
    expect(r.previous).to.equal(`${path}.previous`);
    expect(await silverDifferences(reference, path)).to.deep.equal([]);
    expect(await silverDifferences(reference, `${path}.previous`)).to.deep.equal([]);
    expect(await silverDifferences(reference, join(log.dir, 'silver.snapshot.duckdb'))).to.deep.equal([]);
    expect((await silverCounts(path)).TradeFact).to.equal(world.trades.length);
  });

  it('from a time, into another directory: applying records again changes nothing', async () => {
    const into = join(log.dir, 'repair');
    const middle = world.markets[5]!.observed_ts;
    const r = await rebuildSilver({ silverPath: path, into, start: { from: 'timestamp', timestamp: middle }, groupId: 'replay-2', batchRows: 1_000 }, deps());
    expect(r.records).to.be.greaterThan(0);
    expect(await silverDifferences(reference, join(into, 'silver.duckdb'))).to.deep.equal([]);
  });

  it('refuses to replace a file a running sink writes, and a non-empty --into', async () => {
    const stop = new AbortController();
    const running = runSilverSink(
      { path, snapshotPath: null, snapshotIntervalMs: 60_000, groupId: 'live', batchRows: 400, batchMaxMs: 100, until: 'signal', serveQueries: true },
      { ...deps(), signal: stop.signal },
    );
    try {
      for (let i = 0; i < 100 && !existsSync(`${path}.endpoint.json`); i++) await new Promise((r) => setTimeout(r, 50));
      const err = await rebuildSilver({ silverPath: path, start: { from: 'beginning' }, groupId: 'replay-3', batchRows: 1_000 }, deps()).catch((e: Error) => e);
      expect((err as Error).message).to.match(/is writing .*stop it first/);
    } finally {
      stop.abort();
      await running;
    }
    const err = await rebuildSilver({ silverPath: path, into: log.dir, start: { from: 'beginning' }, groupId: 'replay-4', batchRows: 1_000 }, deps()).catch((e: Error) => e);
    expect((err as Error).message).to.match(/exists already/);
  });
});
