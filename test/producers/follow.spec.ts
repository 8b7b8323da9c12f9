import { expect } from 'chai';
import { TOPICS } from '../../schemas/topics.ts';
import { ingest, settingsFor } from './helpers/ingest.ts';
import { readAll } from './helpers/log.ts';
import { simAndLogPerTest } from './helpers/sim-and-log.ts';

describe('producers in follow mode', function () {
  this.timeout(120_000);
  const start = simAndLogPerTest();

  it('keeps every trade the live simulator makes while its WebSocket is dropped again and again', async () => {
    const { sim, log } = await start({
      port: 0,
      seed: 4,
      markets: 25,
      tradesPerMarket: 30,
      pricePoints: 30,
      leaderboardSize: 10,
      limits: false,
      live: true,
      liveSpeed: 20,
      liveTradeRate: 1,
      liveNewMarketRate: 120,
      wsTickMs: 100,
    });
    const stop = new AbortController();
    const options = settingsFor(sim, {
      mode: 'markets,trades',
      follow: true,
      pollInterval: 0.5,
      relistInterval: 1,
      wsPing: 0.3,
      wsSilence: 2,
      workers: 4,
    });
    const run = ingest(log, options, stop.signal);
    // The socket is cut every 1.5 s (a scaled-down "every 30 s").
    let drops = 0;
    const dropper = setInterval(() => {
      drops += sim.dropWebSockets() > 0 ? 1 : 0;
    }, 1_500);
    await new Promise((r) => setTimeout(r, 9_000));
    const madeUntil = Math.floor(sim.world.clock.now());
    const truth = [...sim.truth({ types: ['trade'], asOf: madeUntil })];
    // The follower reads up to that moment within a few polls: wait for it (bounded), then stop it.
    let written = new Set<string>();
    const deadline = Date.now() + 45_000;
    do {
      await new Promise((r) => setTimeout(r, 500));
      written = new Set((await readAll(log.transport, TOPICS.rawTrades.name)).map((r) => r.key!.toString()));
    } while (truth.some((r) => !written.has(r.key)) && Date.now() < deadline);
    clearInterval(dropper);
    stop.abort();
    const summary = await run;
    expect(summary.stopped).to.equal(true);
    expect(drops, 'socket drops').to.be.at.least(4);

    const live = truth.filter((r) => (r.timestamp as number) > sim.options.worldEnd);
    expect(live.length, 'trades made during the run').to.be.greaterThan(20);
    // Markets created during the run are found by a relist and followed too.
    const created = sim.world.marketCount(madeUntil) - sim.world.marketCount(sim.options.worldEnd);
    expect(created, 'markets created during the run').to.be.greaterThan(0);
    const missing = truth.filter((r) => !written.has(r.key));
    expect(missing.map((r) => [r.conditionId, r.timestamp]).slice(0, 5)).to.deep.equal([]);
    // Rows fetched while following say why their market was fetched then; the socket prompts most.
    const triggers = (await readAll(log.transport, TOPICS.rawTrades.name)).map((r) => r.headers['pma-fetch-trigger']).filter((t) => t !== undefined);
    expect(new Set(triggers)).to.include('socket');
    expect([...new Set(triggers)].every((t) => ['socket', 'gap', 'poll'].includes(t))).to.equal(true);

    const ws = await readAll(log.transport, TOPICS.rawMarketWs.name);
    const continuity = ws.filter((r) => r.key!.toString().startsWith('pma_continuity|'));
    expect(ws.length, 'socket events').to.be.greaterThan(continuity.length);
    expect(continuity.length, 'continuity events').to.be.at.least(2);
  });
});
