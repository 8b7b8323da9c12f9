import { expect } from 'chai';
import { type Cursor, CursorStore } from '../../producers/records/cursors.ts';
import { RUN_ENDPOINT } from '../../producers/run.ts';
import { SERVER_TIME_CALLS } from '../../producers/server-time.ts';
import { HttpError } from '../../runtime/errors.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { Simulator } from '../../simulator/index.ts';
import { expectTruthKeys, ingest, settingsFor, truthKeys, writtenKeys } from './helpers/ingest.ts';
import type { TestLog } from './helpers/log.ts';
import { simAndLogPerTest } from './helpers/sim-and-log.ts';

const timeFaults = (sim: Simulator) => sim.requestLog.entries().filter((e) => e.route === 'clob:/time' && e.faults.length > 0).length;

/** The horizon the last run of these modes stored in its run cursor (Unix s). */
async function storedHorizon(log: TestLog, scope: string): Promise<number> {
  const store = await CursorStore.load(log.transport, TOPICS.cursors.name, await log.serde.codecFor<Cursor>(TOPICS.cursors));
  return JSON.parse(store.get(RUN_ENDPOINT, scope)!.detail!).horizon as number;
}

describe("ingest and the API's clock (clob:/time)", function () {
  this.timeout(60_000);
  const start = simAndLogPerTest();

  it('a /time request whose connection is reset, with one try per request, is asked again and the run reads everything', async () => {
    const { sim, log } = await start({ port: 0, seed: 21, markets: 4, tradesPerMarket: 10, pricePoints: 10, limits: false });
    sim.setFaults({ seed: 1, rules: [{ kind: 'reset', rate: 1, routes: ['clob:/time'], max: 1 }] });
    const summary = await ingest(log, settingsFor(sim, { mode: 'markets,trades,prices', attempts: 1 }));
    expect(timeFaults(sim)).to.equal(1);
    expect(summary.failures).to.equal(0);
    expectTruthKeys(await writtenKeys(log), truthKeys(sim, ['gamma-market', 'clob-market', 'trade', 'price-point']), { once: true });
  });

  it('--retry-failures goes on when its /time request is reset', async () => {
    const { sim, log } = await start({ port: 0, seed: 22, markets: 4, tradesPerMarket: 10, pricePoints: 10, limits: false });
    sim.setFaults({ seed: 1, rules: [{ kind: 'reset', rate: 1, routes: ['clob:/time'], max: 1 }] });
    const replay = await ingest(log, settingsFor(sim, { retryFailures: true, attempts: 1 }));
    expect(timeFaults(sim)).to.equal(1);
    expect(replay.failures).to.equal(0);
  });

  it('when /time never answers, the local clock corrected by the skew the last run measured stands in', async () => {
    const { sim, log } = await start({ port: 0, seed: 23, markets: 3, tradesPerMarket: 5, pricePoints: 5, limits: false });
    const options = settingsFor(sim, { mode: 'markets', attempts: 1, fresh: false });
    await ingest(log, options);
    const apiNow = Number(await (await fetch(`${sim.urls.clob}/time`)).text());
    sim.setFaults({ seed: 1, rules: [{ kind: 'error', rate: 1, routes: ['clob:/time'], status: 503 }] });
    const second = await ingest(log, options);
    expect(timeFaults(sim)).to.equal(SERVER_TIME_CALLS);
    expect(second.failures).to.equal(0);
    // The simulator's clock stands still while this machine's runs on: within a few seconds of it, not of the local clock.
    const horizon = await storedHorizon(log, 'markets');
    expect(horizon).to.be.within(apiNow - 1, apiNow + 5);
  });

  it('an API nothing listens on still ends the run at once, naming the refused connection', async () => {
    const { sim, log } = await start({ port: 0, seed: 24, markets: 2, limits: false });
    const options = settingsFor(sim, { attempts: 1 });
    const err = await ingest(log, { ...options, urls: { ...options.urls, clob: 'http://127.0.0.1:1' } }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(HttpError);
    expect((err as HttpError).message).to.match(/the CLOB API cannot be reached .*ECONNREFUSED.*offline, use --source sim/);
    expect((err as HttpError).context).to.include({ endpoint: 'clob:/time', socketError: 'ECONNREFUSED' });
  });
});
