import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { TOPICS } from '../../../schemas/topics.ts';
import { SILVER_TOPIC_KEYS } from '../../../sinks/silver/index.ts';
import type { ChildResult } from '../../run-child.ts';
import { cleanWorld, openTestLog, type TestLog } from './clean-world.ts';

const CHILD = fileURLToPath(new URL('./sink-child.ts', import.meta.url));

/** Sum of the log's end offsets over Silver's topics: what a complete Silver file stores. */
async function logEnd(log: TestLog): Promise<number> {
  let total = 0;
  for (const k of SILVER_TOPIC_KEYS) for (const p of await log.transport.admin().offsets(TOPICS[k].name)) total += p.high;
  return total;
}

/** A sink child, with a promise for its first announced commit (resolved at exit if none came). */
function startSink(args: string): { child: ChildProcess; firstCommit: Promise<void>; exited: Promise<ChildResult> } {
  const child = spawn(process.execPath, [CHILD, args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let committed: () => void = () => undefined;
  const firstCommit = new Promise<void>((resolve) => {
    committed = resolve;
  });
  child.stdout!.on('data', (d) => {
    stdout += d;
    if (stdout.includes('commit\n')) committed();
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<ChildResult>((resolve) =>
    child.once('exit', (code) => {
      committed();
      resolve({ code, stdout, stderr });
    }),
  );
  return { child, firstCommit, exited };
}

/** One number read from a Silver file, opened read-only as any reader after the sinks would. */
async function scalar(path: string, sql: string): Promise<number> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return Number((await conn.runAndReadAll(sql)).getRows()[0]![0]);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('two Silver sinks started together on one file', function () {
  this.timeout(600_000);
  let log: TestLog;
  before(async () => {
    log = await openTestLog();
  });
  after(async () => {
    await log.close();
  });

  it('exactly one writes, every time in 20 tries, and its file holds every record: publishing the snapshot never drops the file lock', async () => {
    const world = cleanWorld(15_4, { markets: 20, tradesPerMarket: 100, wallets: 40, pricesPerToken: 5 });
    await log.publishWorld(world);
    const end = await logEnd(log);
    const tradeIds = new Set(world.trades.map((t) => t.trade_id)).size;
    for (let i = 0; i < 20; i++) {
      const path = join(log.dir, `silver-${i}.duckdb`);
      // One group, as two `pma sink --layer silver` on one data dir would share: a second writer would take half the partitions.
      const args = JSON.stringify({
        dir: log.dir,
        path,
        snapshotPath: join(log.dir, `silver-${i}.snapshot.duckdb`),
        snapshotIntervalMs: 1,
        batchRows: 100,
        batchMaxMs: 20,
        groupId: `two-${i}`,
        announceCommits: true,
      });
      // Odd tries start the second sink once the first has published its first snapshot and committed: the moment a dropped lock would let it in.
      const first = startSink(args);
      if (i % 2 === 1) await first.firstCommit;
      const second = startSink(args);
      // Two writers sharing the group each wait forever for the other's partitions: bounded, then killed.
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<'stuck'>((resolve) => {
        timer = setTimeout(() => resolve('stuck'), 60_000);
      });
      const ended = await Promise.race([Promise.all([first.exited, second.exited]), stuck]);
      clearTimeout(timer);
      if (ended === 'stuck') {
        first.child.kill('SIGKILL');
        second.child.kill('SIGKILL');
        await Promise.all([first.exited, second.exited]);
        expect.fail(`try ${i}: the two sinks were both still running after 60 s, both writing the file`);
      }
      const runs = ended;
      const winners = runs.filter((r) => r.code === 0);
      expect(winners, `try ${i}: ${runs.map((r) => `exit ${r.code}: ${r.stderr.slice(0, 300)}`).join(' | ')}`).to.have.length(1);
      const loser = runs.find((r) => r.code !== 0)!;
      // Refused when opening the file, before writing anything: not later, when a commit meets the other's WAL lock.
      expect(loser.stdout, `try ${i}: the refused sink committed`).not.to.include('commit');
      expect(loser.stderr, `try ${i}`).to.match(/cannot open Silver file .*Could not set lock on file/);
      expect(await scalar(path, 'SELECT sum(next_offset) FROM silver_offsets'), `try ${i}: offsets stored`).to.equal(end);
      expect(await scalar(path, 'SELECT count(DISTINCT trade_id) FROM TradeFact'), `try ${i}: trades`).to.equal(tradeIds);
    }
  });
});
