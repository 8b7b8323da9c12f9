import { expect } from 'chai';
import { TOPICS } from '../../schemas/topics.ts';
import { expectTruthKeys, ingest, settingsFor, truthKeys, writtenKeys } from './helpers/ingest.ts';
import { readAll } from './helpers/log.ts';
import { simAndLogPerTest } from './helpers/sim-and-log.ts';

describe('producers against the simulator', function () {
  this.timeout(120_000);
  const start = simAndLogPerTest();

  it('a full --mode all run writes exactly the ground truth, each key once', async () => {
    const { sim, log } = await start({ port: 0, seed: 11, markets: 40, tradesPerMarket: 60, pricePoints: 50, leaderboardSize: 30, limits: false });
    const summary = await ingest(log, settingsFor(sim, { resolution: 'minute' }));
    expect(summary.failures).to.equal(0);
    const truth = truthKeys(sim);
    // Every market snapshots its open interest; holders exist wherever a market has fills.
    expect(truth['open-interest']!.size).to.equal(truth['clob-market']!.size);
    expect(truth.holder!.size).to.be.greaterThan(truth['clob-market']!.size);
    expectTruthKeys(await writtenKeys(log), truth, { once: true });
  });
});

describe('producers against the 2025-12 simulator profile', function () {
  this.timeout(120_000);
  const start = simAndLogPerTest();

  it('learns the repeating offset cap, finds windows ignored, reads every reachable row and reports exactly the unreachable histories as gaps', async () => {
    const { sim, log } = await start({ port: 0, seed: 3, profile: '2025-12', markets: 25, tradesPerMarket: 300, pricePoints: 20, leaderboardSize: 30, limits: false });
    const summary = await ingest(log, settingsFor(sim, { resolution: 'minute', tradesPageSize: 500 }));
    expect(summary.failures).to.equal(0);
    expectTruthKeys(await writtenKeys(log), truthKeys(sim));
    const codec = await log.serde.codecFor<{ market: string | null; endpoint: string; reason: string }>(TOPICS.gaps);
    const gaps = await Promise.all((await readAll(log.transport, TOPICS.gaps.name)).map((r) => codec.decode(r.value!)));
    const truthGaps = [...sim.truth({ types: ['gap'] })].filter((g) => g.endpoint === 'data:/trades');
    expect(truthGaps.length).to.be.greaterThan(0);
    expect(new Set(gaps.filter((g) => g.endpoint === 'data:/trades').map((g) => g.market))).to.deep.equal(new Set(truthGaps.map((g) => g.market)));
  });
});
