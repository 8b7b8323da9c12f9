import { expect } from 'chai';
import { startSimulator, type Simulator } from '../../simulator/index.ts';
import { ingest, settingsFor, truthKeys, writtenKeys } from './helpers/ingest.ts';
import { openTestLog, type TestLog } from './helpers/log.ts';

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
