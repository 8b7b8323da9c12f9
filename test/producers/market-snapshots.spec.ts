/**
 * Top holders and open interest as history: the backfill snapshots every market; in follow mode
 * every `--holders-interval` and `--open-interest-interval` a new pass snapshots the open markets,
 * each pass under one snapshot time, and each finished pass holds exactly the simulator's ground
 * truth of the markets it covers, every key once.
 */
import { expect } from 'chai';
import type { RawHolder, RawOpenInterest } from '../../schemas/raw/index.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { until } from '../until.ts';
import { expectTruthKeys, ingest, settingsFor, truthKeys, writtenKeys } from './helpers/ingest.ts';
import { readAll, type TestLog } from './helpers/log.ts';
import { simAndLogPerTest } from './helpers/sim-and-log.ts';

/** Keys per snapshot (the raw record's fetchedAt), with how many times each was written. */
async function keysBySnapshot<T extends { fetchedAt: number | null }>(log: TestLog, topic: (typeof TOPICS)['rawHolders' | 'rawOpenInterest']): Promise<Map<number, string[]>> {
  const codec = await log.serde.codecFor<T>(topic);
  const out = new Map<number, string[]>();
  for (const r of await readAll(log.transport, topic.name)) {
    const snap = (await codec.decode(r.value!)).fetchedAt!;
    out.set(snap, [...(out.get(snap) ?? []), r.key!.toString()]);
  }
  return out;
}

describe('producers: top-holder and open-interest snapshots', function () {
  this.timeout(120_000);
  const start = simAndLogPerTest();

  it('follow mode takes a new snapshot of the open markets each interval, after a backfill of every market; every finished pass is the truth, each key once', async () => {
    const { sim, log } = await start({ port: 0, seed: 21, markets: 40, tradesPerMarket: 10, pricePoints: 10, leaderboardSize: 5, limits: false });
    const stop = new AbortController();
    const options = settingsFor(sim, { mode: 'holders,open-interest', follow: true, holdersInterval: 0.4, openInterestInterval: 0.2, pollInterval: 60, relistInterval: 60 });
    const run = ingest(log, options, stop.signal);
    const snapshots = async () => Math.min((await keysBySnapshot<RawHolder>(log, TOPICS.rawHolders)).size, (await keysBySnapshot<RawOpenInterest>(log, TOPICS.rawOpenInterest)).size);
    await until(async () => (await snapshots()) >= 4, 'four snapshots of holders and of open interest', 60_000, 100);
    stop.abort();
    expect((await run).stopped).to.equal(true);

    const truth = truthKeys(sim, ['holder', 'open-interest']);
    expect(truth.holder!.size).to.be.greaterThan(12);
    // Which markets are open (the world stands still: none closes meanwhile).
    const w = sim.world;
    const open = new Set<string>();
    for (let m = 0; m < w.marketCount(); m++) if (!w.isClosed(m)) open.add(w.conditionId(m).toLowerCase());
    expect(open.size, 'open markets').to.be.greaterThan(0);
    const ofOpen = (keys: Set<string>) => new Set([...keys].filter((k) => open.has(k.split('|')[0]!)));
    expect(ofOpen(truth.holder!).size, 'some markets are closed').to.be.lessThan(truth.holder!.size);
    for (const [topic, want] of [
      [TOPICS.rawHolders, truth.holder!],
      [TOPICS.rawOpenInterest, truth['open-interest']!],
    ] as const) {
      const passes = [...(await keysBySnapshot(log, topic))].sort(([a], [b]) => a - b);
      // The first pass (the backfill's) covers every market, later ones the open markets; the last may have been stopped part-way.
      for (const [i, [snap, keys]] of passes.slice(0, -1).entries()) {
        const expected = i === 0 ? want : ofOpen(want);
        expect({ topic: topic.name, snap, count: keys.length, keys: new Set(keys) }).to.deep.equal({ topic: topic.name, snap, count: expected.size, keys: expected });
      }
      // The first pass is the backfill's (the generation's start); later ones came at least an interval apart.
      const gaps = passes.slice(1).map(([snap], i) => snap - passes[i]![0]);
      expect(Math.min(...gaps), topic.name).to.be.at.least(topic === TOPICS.rawHolders ? 400 : 200);
    }
  });

  it('failed batches go to pma.failures naming their markets; --retry-failures reads only those, into one snapshot', async () => {
    const { sim, log } = await start({ port: 0, seed: 22, markets: 10, tradesPerMarket: 20, pricePoints: 10, leaderboardSize: 5, limits: false });
    // Half the holder requests and every open-interest request fail, whatever the retries.
    sim.setFaults({
      seed: 3,
      rules: [
        { kind: 'error', rate: 0.5, routes: ['data:/holders'], status: 503 },
        { kind: 'error', rate: 1, routes: ['data:/oi'], status: 503 },
      ],
    });
    const first = await ingest(log, settingsFor(sim, { mode: 'holders,open-interest', attempts: 1, openInterestBatch: 4 }));
    const codec = await log.serde.codecFor<{ endpoint: string; scope: string | null }>(TOPICS.failures);
    const failures = await Promise.all((await readAll(log.transport, TOPICS.failures.name)).map((r) => codec.decode(r.value!)));
    const markets = truthKeys(sim, ['open-interest'])['open-interest']!;
    const oiFailed = failures.filter((f) => f.endpoint === 'data:/oi');
    // Every market in exactly one failed batch of at most four.
    expect(oiFailed.flatMap((f) => f.scope!.split(',')).sort()).to.deep.equal([...markets].sort());
    expect(Math.max(...oiFailed.map((f) => f.scope!.split(',').length))).to.equal(4);
    const holdersFailed = failures.filter((f) => f.endpoint === 'data:/holders');
    expect(holdersFailed.length).to.be.greaterThan(0).and.lessThan(markets.size);
    expect(first.failures).to.equal(failures.length);

    sim.setFaults({ seed: 3, rules: [] });
    const before = sim.requestLog.size;
    const replay = await ingest(log, settingsFor(sim, { retryFailures: true, openInterestBatch: 4 }));
    expect(replay.failures).to.equal(0);
    const asked = sim.requestLog
      .entries()
      .slice(before)
      .filter((e) => e.route === 'data:/holders');
    // Only the markets whose holders failed were asked for again.
    expect(asked).to.have.length(holdersFailed.length);
    expectTruthKeys(await writtenKeys(log), truthKeys(sim, ['holder', 'open-interest']), { once: true });
    // The replay's open interest is one snapshot of its own.
    expect((await keysBySnapshot<RawOpenInterest>(log, TOPICS.rawOpenInterest)).size).to.equal(1);
  });
});
