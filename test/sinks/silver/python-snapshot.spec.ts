import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { SILVER_TABLES } from '../../../sinks/silver/index.ts';
import { describeNeeding, pythonWith } from '../../prerequisite.ts';
import { cleanWorld, openTestLog, type TestLog } from './clean-world.ts';

const CHILD = fileURLToPath(new URL('./sink-child.ts', import.meta.url));
const { python, missing } = pythonWith(['duckdb']);
// Undefined while the suite is pending; only the tests read it, and they do not run then.
const PYTHON = python as string;

/** Reads every row of every Silver table with Python's duckdb; prints {table: rows}. */
const READER = `
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
out = {}
for t in sys.argv[2:]:
    out[t] = len(con.execute(f"SELECT * FROM {t}").fetchall())
print(json.dumps(out))
`;

function pythonCounts(path: string): Record<string, number> {
  const r = spawnSync(PYTHON, ['-c', READER, path, ...SILVER_TABLES], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout) as Record<string, number>;
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeNeeding('the Silver snapshot, read by Python while the sink runs', missing, function () {
  this.timeout(120_000);
  let log: TestLog;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    log = await openTestLog();
  });
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const gone = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    await log.close();
  });

  it('opens the published snapshot and reads every table, then a newer one', async () => {
    const world = cleanWorld(9, { markets: 10, tradesPerMarket: 100, wallets: 30, pricesPerToken: 6 });
    const path = join(log.dir, 'silver.duckdb');
    const snapshot = join(log.dir, 'silver.snapshot.duckdb');
    const half = world.trades.length / 2;
    await log.publishWorld({ ...world, trades: world.trades.slice(0, half) });
    child = spawn(process.execPath, [CHILD, JSON.stringify({ dir: log.dir, path, snapshotPath: snapshot, snapshotIntervalMs: 300, until: 'signal' })], {
      stdio: 'ignore',
    });
    let first: Record<string, number> = {};
    await until('a snapshot with the first half', () => {
      if (!existsSync(snapshot)) return false;
      first = pythonCounts(snapshot);
      return first.TradeFact === half;
    });
    for (const t of SILVER_TABLES) expect(first[t], t).to.be.greaterThan(0);
    const published = statSync(snapshot).mtimeMs;

    await log.publish('trades', world.trades.slice(half));
    let second: Record<string, number> = {};
    await until('a newer snapshot', () => {
      second = pythonCounts(snapshot);
      return second.TradeFact === world.trades.length;
    });
    expect(statSync(snapshot).mtimeMs).to.be.greaterThan(published);
    expect(child.exitCode, 'the sink is still running').to.equal(null);
    expect(second.MarketDim).to.equal(first.MarketDim);
  });
});
