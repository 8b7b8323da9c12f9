import { expect } from 'chai';
import { TOPICS } from '../../schemas/topics.ts';
import { expectTruthKeys, ingest, settingsFor, truthKeys, writtenKeys } from './helpers/ingest.ts';
import { readAll } from './helpers/log.ts';
import { simAndLogPerTest } from './helpers/sim-and-log.ts';

describe('pma ingest --retry-failures', function () {
  this.timeout(60_000);
  const start = simAndLogPerTest();

  it('records requests that gave up in pma.failures, goes on, and replays exactly those later', async () => {
    const { sim, log } = await start({ port: 0, seed: 8, markets: 10, tradesPerMarket: 20, pricePoints: 20, leaderboardSize: 30, limits: false });
    // Every leaderboard request fails, whatever the retries.
    sim.setFaults({ seed: 1, rules: [{ kind: 'error', rate: 1, routes: ['data:/v1/leaderboard'], status: 503 }] });
    const first = await ingest(log, settingsFor(sim, { mode: 'leaderboard,trades', attempts: 2, leaderboardCategories: 'OVERALL,SPORTS' }));
    expect(first.failures).to.equal(16);
    expect((await writtenKeys(log))['leaderboard-row']!.size).to.equal(0);
    // The rest of the run went on.
    expect((await writtenKeys(log)).trade!.size).to.equal(truthKeys(sim, ['trade']).trade!.size);
    const failures = await readAll(log.transport, TOPICS.failures.name);
    expect(failures).to.have.length(16);
    const f = (await (await log.serde.codecFor(TOPICS.failures)).decode(failures[0]!.value!)) as Record<string, unknown>;
    expect(f).to.include({ endpoint: 'data:/v1/leaderboard', status: 503, attempts: 2 });
    expect(JSON.parse(f.params as string)).to.include.keys('category', 'timePeriod', 'orderBy', 'offset');

    sim.setFaults({ seed: 1, rules: [] });
    const before = sim.requestLog.size;
    const replay = await ingest(log, settingsFor(sim, { retryFailures: true, leaderboardCategories: 'OVERALL,SPORTS' }));
    expect(replay.failures).to.equal(0);
    const boards = sim.requestLog
      .entries()
      .slice(before)
      .filter((e) => e.route === 'data:/v1/leaderboard');
    expect(boards.length).to.be.greaterThan(0);
    // Only the failed units were replayed: no trades were asked for again.
    expect(
      sim.requestLog
        .entries()
        .slice(before)
        .filter((e) => e.route.includes('trades')),
    ).to.have.length(0);
    const rows = (await writtenKeys(log))['leaderboard-row']!;
    const truth = [...sim.truth({ types: ['leaderboard-row'] })].filter((r) => r.category === 'OVERALL' || r.category === 'SPORTS');
    expect(rows.size).to.equal(truth.length);
    for (const r of truth) expect(rows.has(r.key), r.key).to.equal(true);

    // A second replay finds every failed unit complete and asks for nothing.
    const again = sim.requestLog.size;
    await ingest(log, settingsFor(sim, { retryFailures: true }));
    expect(
      sim.requestLog
        .entries()
        .slice(again)
        .filter((e) => e.route !== 'clob:/time'),
    ).to.have.length(0);
  });

  it('a replayed unit that fails again further on is replayed again at once, so one replay reads a deep history to its end', async () => {
    const { sim, log } = await start({ port: 0, seed: 9, markets: 3, tradesPerMarket: 200, pricePoints: 5, limits: false });
    const trades = ['data:/trades', 'data:/v2/trades'];
    // Small pages: a market's history is dozens of requests.
    const options = { mode: 'trades', attempts: 1, tradesV2PageSize: 20, tradesPageSize: 20 };
    sim.setFaults({ seed: 2, rules: [{ kind: 'error', rate: 0.1, routes: trades, status: 503, max: 1 }] });
    const first = await ingest(log, settingsFor(sim, options));
    expect(first.failures).to.equal(1);

    // Three more failures, each on a different request further along the failed market's walk.
    sim.setFaults({ seed: 102, rules: [{ kind: 'error', rate: 0.2, routes: trades, status: 503, max: 3 }] });
    const before = sim.requestLog.size;
    const replay = await ingest(log, settingsFor(sim, { ...options, retryFailures: true }));
    const faulted = sim.requestLog
      .entries()
      .slice(before)
      .filter((e) => e.faults.length > 0);
    expect(faulted, 'the replay met every fault').to.have.length(3);
    expect(new Set(faulted.map((e) => e.query)).size, 'on three different requests').to.equal(3);
    expect(replay.failures).to.equal(0);
    expectTruthKeys(await writtenKeys(log), truthKeys(sim, ['trade']), { once: true });
  });

  it('a replayed unit whose failed request fails again is left for the next replay', async () => {
    const { sim, log } = await start({ port: 0, seed: 9, markets: 3, tradesPerMarket: 200, pricePoints: 5, limits: false });
    const trades = ['data:/trades', 'data:/v2/trades'];
    const options = { mode: 'trades', attempts: 1, tradesV2PageSize: 20, tradesPageSize: 20 };
    sim.setFaults({ seed: 2, rules: [{ kind: 'error', rate: 0.1, routes: trades, status: 503, max: 1 }] });
    await ingest(log, settingsFor(sim, options));
    // The same fault seed fails the same request again (the simulator's draws restart with its rules).
    sim.setFaults({ seed: 2, rules: [{ kind: 'error', rate: 0.1, routes: trades, status: 503 }] });
    const before = sim.requestLog.size;
    const replay = await ingest(log, settingsFor(sim, { ...options, retryFailures: true }));
    const asked = sim.requestLog
      .entries()
      .slice(before)
      .filter((e) => e.route !== 'clob:/time');
    expect(asked, 'the failed request, once').to.have.length(1);
    expect(asked[0]!.faults).to.deep.equal(['error']);
    expect(replay.failures).to.equal(1);
  });
});
