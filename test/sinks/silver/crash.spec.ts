import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { seededRandom as rng } from '../../../bench/chaos/seeded-random.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { runSilverSink, SILVER_TOPIC_KEYS } from '../../../sinks/silver/index.ts';
import { cleanWorld, openTestLog, type TestLog } from './clean-world.ts';
import { silverCounts, silverDifferences } from './compare.ts';

const CHILD = fileURLToPath(new URL('./sink-child.ts', import.meta.url));
const NODE = process.execPath;

interface Sink {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves after the child announced this many commits (or exited). */
  commits(n: number): Promise<void>;
}

/**
 * A killed member keeps its partitions until its group session times out, so each run joins a
 * group of its own: Silver resumes from its own offsets, never from the group's.
 */
function startSink(dir: string, path: string, groupId: string): Sink {
  const child = spawn(NODE, [CHILD, JSON.stringify({ dir, path, groupId, batchRows: 300, batchMaxMs: 100, announceCommits: true })], { stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = 0;
  const waiting: Array<{ n: number; resolve: () => void }> = [];
  child.stdout!.on('data', (d: Buffer) => {
    seen += d.toString().split('commit\n').length - 1;
    for (const w of waiting.filter((x) => x.n <= seen)) w.resolve();
  });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      if (code) process.stderr.write(stderr);
      for (const w of waiting) w.resolve();
      resolve({ code, signal });
    }),
  );
  const commits = (n: number) => (n <= seen || child.exitCode !== null ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve })));
  return { child, exited, commits };
}

/** The sum of the offsets Silver stored, opening the file as a reader would after the crash. */
async function storedTotal(path: string): Promise<number> {
  try {
    const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    const conn = await instance.connect();
    try {
      return Number((await conn.runAndReadAll('SELECT coalesce(sum(next_offset), 0) FROM silver_offsets')).getRows()[0]![0]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  } catch {
    return 0;
  }
}

async function logEnd(log: TestLog): Promise<number> {
  let total = 0;
  for (const k of SILVER_TOPIC_KEYS) for (const p of await log.transport.admin().offsets(TOPICS[k].name)) total += p.high;
  return total;
}

describe('silver sink killed with SIGKILL', function () {
  this.timeout(300_000);
  let log: TestLog;
  before(async () => {
    log = await openTestLog();
  });
  after(async () => {
    await log.close();
  });

  it('at 20 random moments, restarting each time, ends equal to a clean rebuild and counts nothing twice', async () => {
    const seed = Number(process.env.PMA_TEST_SEED ?? Date.now() % 1_000_000);
    const r = rng(seed);
    const world = cleanWorld(seed, { markets: 30, tradesPerMarket: 200, wallets: 60, pricesPerToken: 10 });
    const path = join(log.dir, 'silver.duckdb');
    const rounds = 20;
    const slice = <T>(xs: T[], i: number) => xs.slice(Math.floor((xs.length * i) / rounds), Math.floor((xs.length * (i + 1)) / rounds));
    let interrupted = 0;
    let previous = 0;
    for (let i = 0; i < rounds; i++) {
      // New records arrive between restarts, some of them again (producers re-fetch).
      await log.publish('markets', slice(world.markets, i));
      await log.publish('events', slice(world.events, i));
      await log.publish('tokens', slice(world.tokens, i));
      await log.publish('trades', slice(world.trades, i));
      await log.publish(
        'trades',
        slice(world.trades, Math.floor(r() * (i + 1))).filter(() => r() < 0.3),
      );
      await log.publish('prices', slice(world.prices, i));
      await log.publish('leaderboard', slice(world.leaderboard, i));
      await log.publish('holders', slice(world.holders, i));
      await log.publish('openInterest', slice(world.openInterest, i));
      // Killed after a random number of its commits plus a random delay: mid-batch, mid-merge or mid-commit.
      const { child, exited, commits } = startSink(log.dir, path, `crash-${i}`);
      await commits(Math.floor(r() * 2));
      await new Promise((resolve) => setTimeout(resolve, r() * 60));
      child.kill('SIGKILL');
      const { signal } = await exited;
      const stored = await storedTotal(path);
      expect(stored, `round ${i} (seed ${seed}): stored offsets went back`).to.be.at.least(previous);
      previous = stored;
      if (signal === 'SIGKILL' && stored < (await logEnd(log))) interrupted++;
    }
    expect(interrupted, `kills that landed while the sink had work (seed ${seed})`).to.be.at.least(10);

    const { exited } = startSink(log.dir, path, 'crash-final');
    expect((await exited).code).to.equal(0);
    const counts = await silverCounts(path);
    expect(counts.TradeFact, `seed ${seed}`).to.equal(world.trades.length);

    const rebuilt = join(log.dir, 'rebuilt.duckdb');
    await runSilverSink(
      {
        path: rebuilt,
        snapshotPath: null,
        snapshotIntervalMs: 60_000,
        groupId: 'rebuild',
        batchRows: 50_000,
        batchMaxMs: 1_000,
        until: 'caught-up',
        start: { from: 'beginning' },
        serveQueries: false,
      },
      { transport: log.transport, serde: log.serde, logger: silentLogger, signal: new AbortController().signal },
    );
    expect(await silverDifferences(path, rebuilt), `seed ${seed}`).to.deep.equal([]);
  });
});
