import { expect } from 'chai';
import type { GapRecord } from '../../producers/context.ts';
import { HEADERS } from '../../producers/records/headers.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { Simulator } from '../../simulator/index.ts';
import { expectTruthKeys, ingest, settingsFor, truthKeys, writtenKeys } from './helpers/ingest.ts';
import { readAll, type TestLog } from './helpers/log.ts';
import { simAndLogPerTest } from './helpers/sim-and-log.ts';
import { neverArrived } from './helpers/unreachable.ts';

/** A 2025-12 world (offset cap 1,000 repeating past it, windows ignored) with markets deeper than the cap. */
const WORLD = { port: 0, seed: 3, profile: '2025-12' as const, markets: 10, tradesPerMarket: 900, pricePoints: 10, leaderboardSize: 10, limits: false, requestLogSize: 100_000 };

async function gapsOf(log: TestLog): Promise<GapRecord[]> {
  const codec = await log.serde.codecFor(TOPICS.gaps);
  const out: GapRecord[] = [];
  for (const r of await readAll(log.transport, TOPICS.gaps.name)) out.push((await codec.decode(r.value!)) as GapRecord);
  return out;
}

interface TruthGap {
  market: string;
  from: number;
  to: number;
  missingRows: number;
}

function truthGaps(sim: Simulator): Map<string, TruthGap> {
  const out = new Map<string, TruthGap>();
  for (const g of sim.truth({ types: ['gap'] })) if (g.endpoint === 'data:/trades') out.set(g.market as string, g as unknown as TruthGap);
  return out;
}

describe('trades past the 2025-12 offset cap', function () {
  this.timeout(120_000);
  const start = simAndLogPerTest();

  it('rows moving under the walk are not taken for the cap: every reachable row is read, and gaps name exactly the markets deeper than the cap', async () => {
    const { sim, log } = await start({
      ...WORLD,
      faultSeed: 4,
      faults: [
        { kind: 'shift', rate: 0.6, rows: 4 },
        { kind: 'duplicate', rate: 0.2, rows: 3 },
      ],
    });
    const summary = await ingest(log, settingsFor(sim, { mode: 'trades' }));
    expect(summary.failures).to.equal(0);
    expect((sim.stats() as { faults: Record<string, number> }).faults.shift ?? 0, 'shifts').to.be.greaterThan(0);
    const got = await writtenKeys(log);
    expectTruthKeys(got, truthKeys(sim, ['trade']), { unreachable: { trade: neverArrived(sim, got.trade!) } });

    const want = truthGaps(sim);
    expect(want.size, 'markets deeper than the cap').to.be.greaterThan(0);
    const gaps = (await gapsOf(log)).filter((g) => g.endpoint === 'data:/trades');
    expect(gaps.map((g) => g.market).sort()).to.deep.equal([...want.keys()].sort());
    for (const g of gaps) expect(g.end, g.market!).to.equal(want.get(g.market!)!.to * 1000 + 999);

    // A rerun has nothing to add: what the first run left out is out of reach.
    const before = got.trade!.size;
    await ingest(log, settingsFor(sim, { mode: 'trades' }));
    expect((await writtenKeys(log)).trade!.size).to.equal(before);
  });

  it('labels every row taker or maker, and each gap starts no later than the first trade, with recordsMissing where the taker listing reaches it', async () => {
    const { sim, log } = await start(WORLD);
    const summary = await ingest(log, settingsFor(sim, { mode: 'trades' }));
    expect(summary.failures).to.equal(0);
    const roles = new Map<string, string>();
    for (const r of sim.truth({ types: ['trade'] })) roles.set(r.key, (r.role as string).toLowerCase());
    const wrong: string[] = [];
    let rows = 0;
    for (const r of await readAll(log.transport, TOPICS.rawTrades.name)) {
      rows++;
      const key = r.key!.toString();
      const got = r.headers[HEADERS.fillRole] ?? 'unknown';
      if (got !== roles.get(key)) wrong.push(`${key}: ${got}, truth ${roles.get(key)}`);
    }
    expect(rows).to.be.greaterThan(0);
    expect(wrong.slice(0, 5), `${wrong.length} of ${rows} rows`).to.deep.equal([]);

    const want = truthGaps(sim);
    const gaps = (await gapsOf(log)).filter((g) => g.endpoint === 'data:/trades');
    expect(gaps.map((g) => g.market).sort()).to.deep.equal([...want.keys()].sort());
    let exact = 0;
    for (const g of gaps) {
      const t = want.get(g.market!)!;
      expect(g.start, g.market!)
        .to.be.a('number')
        .and.to.be.at.most(t.from * 1000);
      // Not before 2020: a start from the market's listing, not the epoch.
      expect(g.start!, g.market!).to.be.greaterThan(Date.parse('2020-01-01T00:00:00Z'));
      expect(g.end, g.market!).to.equal(t.to * 1000 + 999);
      // The taker-only listing reaches 1,500 fills: within that, the first trade and the count are known.
      const fills = (t.missingRows + 1_500) / 2;
      if (fills <= 1_500) {
        expect(g.start, g.market!).to.equal(t.from * 1000);
        expect(g.recordsMissing, g.market!).to.equal(t.missingRows);
        exact++;
      } else {
        expect(g.recordsMissing, g.market!).to.equal(null);
      }
    }
    expect(exact, 'gaps with a known count').to.be.greaterThan(0);
  });
});
