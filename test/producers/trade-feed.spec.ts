import { expect } from 'chai';
import { expectTruthKeys, ingest, settingsFor, truthKeys, writtenKeys } from './helpers/ingest.ts';
import { simAndLogPerTest } from './helpers/sim-and-log.ts';

describe('trade feed fallback', function () {
  this.timeout(60_000);
  const start = simAndLogPerTest();

  it('units started before the feed is known (as after a kill) fall back to v1 where /v2/trades is not served, and fail nowhere', async () => {
    // 2025-12 serves no /v2 routes. Every market has trades and a worker of its own, so every unit
    // starts before any has learned that v2 is missing: each must fall back on its own.
    const { sim, log } = await start({ port: 0, seed: 31, profile: '2025-12', fixtures: false, markets: 4, tradesPerMarket: 30, pricePoints: 10, leaderboardSize: 10, limits: false });
    const summary = await ingest(log, settingsFor(sim, { mode: 'trades', workers: 4 }));
    expect(summary.failures, 'failures').to.equal(0);
    expectTruthKeys(await writtenKeys(log), truthKeys(sim, ['trade']));
    const v2 = sim.requestLog.entries().filter((e) => e.path.endsWith('/v2/trades'));
    // One probe per unit at most, and never for labels.
    expect(v2.length).to.be.at.most(4);
    expect(v2.filter((e) => e.query.includes('taker_only=true'))).to.have.length(0);
  });
});
