import { expect } from 'chai';
import { TOPICS } from '../../schemas/topics.ts';
import { type Simulator, startSimulator } from '../../simulator/index.ts';
import { ingest, settingsFor, writtenKeys } from './helpers/ingest.ts';
import { openTestLog, readAll, type TestLog } from './helpers/log.ts';

describe('pma ingest options', function () {
  this.timeout(60_000);
  let sim: Simulator;
  let log: TestLog;
  beforeEach(async () => {
    sim = await startSimulator({ port: 0, seed: 13, markets: 30, tradesPerMarket: 40, pricePoints: 20, leaderboardSize: 10, limits: false });
    log = await openTestLog();
  });
  afterEach(async () => {
    await log.close();
    await sim.close();
  });

  it('--limit takes the first N markets, and only their trades and prices', async () => {
    await ingest(log, settingsFor(sim, { mode: 'markets,trades,prices', limit: 5, resolution: 'minute' }));
    const got = await writtenKeys(log);
    const markets = new Set(got['clob-market']!.keys());
    expect(markets.size).to.equal(5);
    const trades = [...sim.truth({ types: ['trade'] })].filter((r) => markets.has(r.conditionId as string));
    expect(got.trade!.size).to.equal(trades.length);
    const tokens = new Set([...sim.truth({ types: ['clob-market'] })].filter((r) => markets.has(r.key)).flatMap((r) => r.tokens as string[]));
    for (const k of got['price-point']!.keys()) expect(tokens.has(k.split('|')[0]!)).to.equal(true);
  });

  it('completes with queues far smaller than the work a listing reveals (no stage waits on another in a cycle)', async () => {
    const summary = await ingest(log, settingsFor(sim, { mode: 'markets,trades,prices', queueSize: 2, workers: 2, resolution: 'minute' }));
    expect(summary.stopped).to.equal(false);
    const got = await writtenKeys(log);
    expect(got['price-point']!.size).to.equal([...sim.truth({ types: ['price-point'] })].length);
    expect(got.trade!.size).to.equal([...sim.truth({ types: ['trade'] })].length);
  });

  it('--since and --until bound trades and prices to their window', async () => {
    const since = Date.parse('2025-06-01T00:00:00Z') / 1000;
    const until = Date.parse('2025-09-01T00:00:00Z') / 1000;
    await ingest(log, settingsFor(sim, { mode: 'trades,prices', since: '2025-06-01T00:00:00Z', until: String(until), resolution: 'minute' }));
    const got = await writtenKeys(log);
    const inWindow = [...sim.truth({ types: ['trade'] })].filter((r) => (r.timestamp as number) >= since && (r.timestamp as number) <= until);
    expect(inWindow.length).to.be.greaterThan(0);
    expect(got.trade!.size).to.equal(inWindow.length);
    for (const r of inWindow) expect(got.trade!.has(r.key)).to.equal(true);
    for (const k of got['price-point']!.keys()) {
      const t = Number(k.split('|')[1]);
      expect(t).to.be.within(since, until);
    }
  });

  it('a completed run is not repeated by the next one (only newer data is asked for), and --fresh starts over', async () => {
    await ingest(log, settingsFor(sim, { mode: 'trades' }));
    const once = (await readAll(log.transport, TOPICS.rawTrades.name)).length;
    const before = sim.requestLog.size;
    const second = await ingest(log, settingsFor(sim, { mode: 'trades' }));
    expect(second.resumed).to.equal(false);
    expect((await readAll(log.transport, TOPICS.rawTrades.name)).length).to.equal(once);
    // Markets closed long before the first run are not asked again; open ones once each.
    const open = [...sim.truth({ types: ['clob-market'] })].filter((r) => !r.closed).length;
    const asked = sim.requestLog
      .entries()
      .slice(before)
      .filter((e) => e.route.includes('trades') && e.query.includes('taker_only=false'));
    expect(asked.length).to.be.at.most(open);
    await ingest(log, settingsFor(sim, { mode: 'trades', fresh: true }));
    expect((await readAll(log.transport, TOPICS.rawTrades.name)).length).to.equal(2 * once);
  });
});
