import { expect } from 'chai';
import { expectTruthKeys, ingest, settingsFor, truthKeys, writtenKeys } from './helpers/ingest.ts';
import { simAndLogPerTest } from './helpers/sim-and-log.ts';

/**
 * Without Gamma a token's span comes from the CLOB listing: from when it accepted orders (after the
 * market's first price points) to its end date (before a late close). Those units must stay open
 * until Gamma's creation and close times are known, and then be read to the whole span.
 */
describe('price history span after a failed Gamma listing', function () {
  this.timeout(120_000);
  const start = simAndLogPerTest();
  const WORLD = { port: 0, seed: 12, markets: 8, tradesPerMarket: 5, pricePoints: 40, leaderboardSize: 10, limits: false };
  const GAMMA_DOWN = { seed: 1, rules: [{ kind: 'error' as const, rate: 1, routes: ['gamma:*'], status: 503 }] };

  async function failedGammaRun() {
    const { sim, log } = await start(WORLD);
    sim.setFaults(GAMMA_DOWN);
    const first = await ingest(log, settingsFor(sim, { mode: 'prices', resolution: 'minute', attempts: 1 }));
    expect(first.failures, 'the Gamma listings failed').to.be.greaterThan(0);
    const truth = truthKeys(sim, ['price-point']);
    const written = (await writtenKeys(log))['price-point']!;
    const lost = [...truth['price-point']!].filter((k) => !written.has(k));
    // The CLOB span misses points: the failure is real, and it is what the next run must repair.
    expect(lost.length, 'points outside the CLOB span').to.be.greaterThan(0);
    sim.setFaults({ seed: 1, rules: [] });
    return { sim, log, truth };
  }

  it('--retry-failures replays the Gamma listing, then reads each token over its whole life', async () => {
    const { sim, log, truth } = await failedGammaRun();
    const replay = await ingest(log, settingsFor(sim, { retryFailures: true, resolution: 'minute' }));
    expect(replay.failures).to.equal(0);
    expectTruthKeys(await writtenKeys(log), truth);
    // Only what was missing was asked: no window of the span read before was read again.
    const windows = sim.requestLog.entries().filter((e) => e.route === 'clob:/prices-history');
    const asked = new Set(windows.map((e) => e.query));
    expect(asked.size).to.equal(windows.length);
  });

  it('a later run reads the rest of each token once Gamma answers', async () => {
    const { sim, log, truth } = await failedGammaRun();
    const again = await ingest(log, settingsFor(sim, { mode: 'prices', resolution: 'minute' }));
    expect(again.failures).to.equal(0);
    expectTruthKeys(await writtenKeys(log), truth);
  });
});

/**
 * The CLOB listing says a market accepted orders a minute after Gamma says it was created, and its
 * first price points lie in that minute. A run that knows a market only from the CLOB listing (the
 * Gamma listing was done by an earlier, killed or failed, run of the generation) must still read
 * each token from the creation its cursor kept from Gamma.
 */
describe('price history start when this run lists a market only on the CLOB', function () {
  this.timeout(120_000);
  const start = simAndLogPerTest();

  it('--retry-failures after failed CLOB listing and price requests reads each token from Gamma’s creation time', async () => {
    const { sim, log } = await start({ port: 0, seed: 13, markets: 8, tradesPerMarket: 5, pricePoints: 40, leaderboardSize: 10, limits: false });
    sim.setFaults({ seed: 1, rules: [{ kind: 'error', rate: 1, routes: ['clob:/markets', 'clob:/prices-history'], status: 503 }] });
    const first = await ingest(log, settingsFor(sim, { mode: 'prices', resolution: 'minute', attempts: 1 }));
    expect(first.failures, 'the CLOB listing and every price unit failed').to.be.greaterThan(1);
    expect((await writtenKeys(log))['price-point']!.size).to.equal(0);
    sim.setFaults({ seed: 1, rules: [] });
    const replay = await ingest(log, settingsFor(sim, { retryFailures: true, resolution: 'minute' }));
    expect(replay.failures).to.equal(0);
    expectTruthKeys(await writtenKeys(log), truthKeys(sim, ['price-point']), { once: true });
  });

  it('Gamma’s word learned by a replay whose price requests failed is kept in the cursors: the next replay, which lists nothing, reads the whole life', async () => {
    const { sim, log } = await start({ port: 0, seed: 14, markets: 8, tradesPerMarket: 5, pricePoints: 40, leaderboardSize: 10, limits: false });
    const pricesDown = { kind: 'error' as const, rate: 1, routes: ['clob:/prices-history'], status: 503 };
    sim.setFaults({ seed: 1, rules: [{ kind: 'error', rate: 1, routes: ['gamma:*'], status: 503 }, pricesDown] });
    const first = await ingest(log, settingsFor(sim, { mode: 'prices', resolution: 'minute', attempts: 1 }));
    expect(first.failures, 'the Gamma listings and every price unit failed').to.be.greaterThan(2);
    // The Gamma listing is replayed and succeeds; the price units fail again.
    sim.setFaults({ seed: 1, rules: [pricesDown] });
    const second = await ingest(log, settingsFor(sim, { retryFailures: true, resolution: 'minute', attempts: 1 }));
    expect(second.failures).to.be.greaterThan(0);
    expect(sim.requestLog.entries().filter((e) => e.route.startsWith('gamma:') && e.status === 200).length, 'Gamma listed the markets').to.be.greaterThan(0);
    sim.setFaults({ seed: 1, rules: [] });
    const before = sim.requestLog.size;
    const third = await ingest(log, settingsFor(sim, { retryFailures: true, resolution: 'minute' }));
    expect(
      sim.requestLog
        .entries()
        .slice(before)
        .filter((e) => e.route.startsWith('gamma:')),
      'this replay lists nothing',
    ).to.have.length(0);
    expect(third.failures).to.equal(0);
    expectTruthKeys(await writtenKeys(log), truthKeys(sim, ['price-point']), { once: true });
  });
});
