import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { seededRandom } from '../../bench/chaos/seeded-random.ts';
import { type Simulator, startSimulator } from '../../simulator/index.ts';
import { expectTruthKeys, truthKeys, writtenKeys } from './helpers/ingest.ts';
import { openTestLog } from './helpers/log.ts';

const PMA = new URL('../../cli/pma.ts', import.meta.url).pathname;

function startIngest(sim: Simulator, dataDir: string): ChildProcess {
  const args = [
    PMA,
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
    'ingest',
    '--source',
    'sim',
    '--gamma-url',
    sim.urls.gamma,
    '--data-url',
    sim.urls.data,
    '--clob-url',
    sim.urls.clob,
    '--ws-url',
    sim.urls.ws,
    '--rate-limits',
    'current',
    '--resolution',
    'minute',
    '--workers',
    '2',
    '--price-workers',
    '2',
  ];
  return spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PMA_INGEST_TRADES_V2_PAGE_SIZE: '40', PMA_INGEST_LEADERBOARD_PAGE_SIZE: '20' } });
}

describe('producers survive SIGKILL', function () {
  this.timeout(300_000);
  let sim: Simulator | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('after 20 kills at random moments and restarts, the union of keys is the ground truth and no page was fetched more than twice', async () => {
    const seed = Number(process.env.PMA_TEST_SEED ?? Date.now() % 100_000);
    const random = seededRandom(seed);
    sim = await startSimulator({ port: 0, seed: 21, markets: 40, tradesPerMarket: 60, pricePoints: 60, leaderboardSize: 40, limits: false, requestLogSize: 2_000_000 });
    dir = mkdtempSync(join(tmpdir(), 'pma-sigkill-'));
    const dataDir = join(dir, 'data');
    const GROUPS = ['data:/v2/trades', 'clob:/prices-history', 'data:/v1/leaderboard'];
    const asked = (from: number) => {
      const n = new Map<string, number>(GROUPS.map((g) => [g, 0]));
      for (const e of sim!.requestLog.entries().slice(from)) if (n.has(e.route)) n.set(e.route, n.get(e.route)! + 1);
      return n;
    };
    let busy = new Set(GROUPS);
    for (let kill = 0; kill < 20; kill++) {
      const before = sim.requestLog.size;
      const child = startIngest(sim, dataDir);
      const exited = once(child, 'exit');
      // Let every fetcher that still has work get a few pages done (the units interrupted by the
      // last kill go first, so their pages in flight, the one being published and the one fetched
      // ahead, are then read and published again), then kill the run at a random moment.
      const deadline = Date.now() + 6_000;
      const enough: Record<string, number> = { 'data:/v2/trades': 16, 'clob:/prices-history': 8, 'data:/v1/leaderboard': 8 };
      const progressed = () => [...busy].every((g) => (asked(before).get(g) ?? 0) >= enough[g]!);
      while (!progressed() && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      busy = new Set([...asked(before)].filter(([, n]) => n > 0).map(([g]) => g));
      await new Promise((r) => setTimeout(r, Math.floor(random() * 300)));
      // A run that finished before its kill would make the next one a new generation (a fresh
      // snapshot that lists and reads again by design), which is not what this test is about.
      expect(child.exitCode, `run ${kill} ended before it was killed`).to.equal(null);
      child.kill('SIGKILL');
      await exited;
    }
    const last = startIngest(sim, dataDir);
    let stderr = '';
    last.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const [code] = await once(last, 'exit');
    expect(code, stderr).to.equal(0);

    const log = await openTestLog(dataDir);
    try {
      expectTruthKeys(await writtenKeys(log), truthKeys(sim), { note: `seed ${seed}` });
    } finally {
      await log.transport.close();
      await log.registry.close();
    }
    const times = new Map<string, number>();
    for (const e of sim.requestLog.entries()) {
      if (e.status < 200 || e.status >= 300 || e.route === 'clob:/time') continue;
      const id = `${e.path}?${e.query}`;
      times.set(id, (times.get(id) ?? 0) + 1);
    }
    const often = [...times].filter(([, n]) => n > 2);
    expect({ seed, often: often.slice(0, 5) }).to.deep.equal({ seed, often: [] });
  });
});
