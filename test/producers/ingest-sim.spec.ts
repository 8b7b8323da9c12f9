import { expect } from 'chai';
import { TOPICS } from '../../schemas/topics.ts';
import { type Simulator, startSimulator } from '../../simulator/index.ts';
import { ingest, settingsFor, truthKeys, writtenKeys } from './helpers/ingest.ts';
import { openTestLog, readAll, type TestLog } from './helpers/log.ts';

describe('producers against the simulator', function () {
  this.timeout(120_000);
  let sim: Simulator;
  let log: TestLog;
  afterEach(async () => {
    await log?.close();
    await sim?.close();
  });

  it('a full --mode all run writes exactly the ground truth, each key once', async () => {
    sim = await startSimulator({ port: 0, seed: 11, markets: 40, tradesPerMarket: 60, pricePoints: 50, leaderboardSize: 30, limits: false });
    log = await openTestLog();
    const summary = await ingest(log, settingsFor(sim, { resolution: 'minute' }));
    expect(summary.failures).to.equal(0);
    const got = await writtenKeys(log);
    const want = truthKeys(sim);
    for (const [type, keys] of Object.entries(want)) {
      const written = got[type]!;
      const missing = [...keys].filter((k) => !written.has(k));
      const extra = [...written.keys()].filter((k) => !keys.has(k));
      const dup = [...written].filter(([, n]) => n > 1).map(([k]) => k);
      expect({ type, missing: missing.slice(0, 5), extra: extra.slice(0, 5), dup: dup.slice(0, 5) }).to.deep.equal({ type, missing: [], extra: [], dup: [] });
      expect(written.size, type).to.equal(keys.size);
    }
  });
});

describe('producers against the 2025-12 simulator profile', function () {
  this.timeout(120_000);

  it('learns the repeating offset cap, finds windows ignored, reads every reachable row and reports exactly the unreachable histories as gaps', async () => {
    const sim = await startSimulator({ port: 0, seed: 3, profile: '2025-12', markets: 25, tradesPerMarket: 300, pricePoints: 20, leaderboardSize: 30, limits: false });
    const log = await openTestLog();
    try {
      const summary = await ingest(log, settingsFor(sim, { resolution: 'minute', tradesPageSize: 500 }));
      expect(summary.failures).to.equal(0);
      const got = await writtenKeys(log);
      const want = truthKeys(sim);
      for (const [type, keys] of Object.entries(want)) {
        const written = got[type]!;
        expect({ type, missing: [...keys].filter((k) => !written.has(k)).length, extra: [...written.keys()].filter((k) => !keys.has(k)).length }).to.deep.equal({
          type,
          missing: 0,
          extra: 0,
        });
      }
      const codec = await log.serde.codecFor<{ market: string | null; endpoint: string; reason: string }>(TOPICS.gaps);
      const gaps = await Promise.all((await readAll(log.transport, TOPICS.gaps.name)).map((r) => codec.decode(r.value!)));
      const truthGaps = [...sim.truth({ types: ['gap'] })].filter((g) => g.endpoint === 'data:/trades');
      expect(truthGaps.length).to.be.greaterThan(0);
      expect(new Set(gaps.filter((g) => g.endpoint === 'data:/trades').map((g) => g.market))).to.deep.equal(new Set(truthGaps.map((g) => g.market)));
    } finally {
      await log.close();
      await sim.close();
    }
  });
});
