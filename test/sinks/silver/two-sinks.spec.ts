import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { SinkError } from '../../../runtime/errors.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { SILVER_TOPIC_KEYS } from '../../../sinks/silver/index.ts';
import { openAsWriter } from '../../../sinks/silver/open-writer.ts';
import { rejectionOf } from '../../expect-error.ts';
import type { ChildResult } from '../../run-child.ts';
import { cleanWorld, openTestLog, type TestLog } from './clean-world.ts';

const CHILD = fileURLToPath(new URL('./sink-child.ts', import.meta.url));
const READER = fileURLToPath(new URL('./reader-child.ts', import.meta.url));

type Exit = Pick<ChildResult, 'code' | 'stdout' | 'stderr'>;

/** Sum of the log's end offsets over Silver's topics: what a complete Silver file stores. */
async function logEnd(log: TestLog): Promise<number> {
  let total = 0;
  for (const k of SILVER_TOPIC_KEYS) for (const p of await log.transport.admin().offsets(TOPICS[k].name)) total += p.high;
  return total;
}

interface SinkChild {
  child: ChildProcess;
  /** Resolves once the child announced its first commit (or exited without one). */
  firstCommit: Promise<void>;
  /** Resolves once the child announced `n` commits in all, or printed `text` on stderr (or exited). */
  commits(n: number): Promise<void>;
  said(text: string): Promise<void>;
  commitsSoFar(): number;
  exited: Promise<Exit>;
}

function startSink(args: string): SinkChild {
  const child = spawn(process.execPath, [CHILD, args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let done = false;
  const waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];
  const wake = () => {
    for (const w of waiters.filter((x) => done || x.ready())) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const until = (ready: () => boolean) => (done || ready() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ ready, resolve })));
  const commitsSoFar = () => stdout.split('commit\n').length - 1;
  child.stdout!.on('data', (d) => {
    stdout += d;
    wake();
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
    wake();
  });
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code) => {
      done = true;
      wake();
      resolve({ code, stdout, stderr });
    }),
  );
  return {
    child,
    firstCommit: until(() => commitsSoFar() >= 1),
    commits: (n) => until(() => commitsSoFar() >= n),
    said: (text) => until(() => stderr.includes(text)),
    commitsSoFar,
    exited,
  };
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

describe('a Silver sink started as a standby on a file another sink writes', function () {
  this.timeout(300_000);
  let log: TestLog;
  before(async () => {
    log = await openTestLog();
  });
  after(async () => {
    await log.close();
  });

  it('waits without writing while the writer lives, takes over after its kill -9, and the file ends holding every record once', async () => {
    const world = cleanWorld(15_5, { markets: 20, tradesPerMarket: 300, wallets: 40, pricesPerToken: 5 });
    const half = Math.floor(world.trades.length / 2);
    await log.publish('events', world.events);
    await log.publish('markets', world.markets);
    await log.publish('tokens', world.tokens);
    await log.publish('trades', world.trades.slice(0, half));
    const path = join(log.dir, 'silver.duckdb');
    const common = { dir: log.dir, path, snapshotPath: join(log.dir, 'silver.snapshot.duckdb'), snapshotIntervalMs: 1, batchRows: 100, batchMaxMs: 20, groupId: 'standby', announceCommits: true };
    const active = startSink(JSON.stringify({ ...common, until: 'signal' }));
    await active.firstCommit;
    const standby = startSink(JSON.stringify({ ...common, until: 'caught-up', standby: true, logLevel: 'info' }));
    await standby.said('waiting as a standby');

    // The writer takes the second half; the standby writes nothing while it lives.
    const before = active.commitsSoFar();
    await log.publish('trades', world.trades.slice(half));
    await log.publish('prices', world.prices);
    await active.commits(before + 1);
    expect(standby.commitsSoFar(), 'the standby committed while the writer lived').to.equal(0);
    expect(standby.child.exitCode, 'the standby ended while the writer lived').to.equal(null);
    active.child.kill('SIGKILL');
    await active.exited;

    const ended = await standby.exited;
    expect(ended.code, ended.stderr.slice(-2000)).to.equal(0);
    expect(ended.stderr).to.include('taking over as its writer');
    expect(await scalar(path, 'SELECT sum(next_offset) FROM silver_offsets'), 'offsets stored').to.equal(await logEnd(log));
    expect(await scalar(path, 'SELECT count(*) FROM TradeFact'), 'trades').to.equal(new Set(world.trades.map((t) => t.trade_id)).size);
    expect(await scalar(path, 'SELECT count(*) FROM PriceHistoryFact'), 'prices').to.equal(new Set(world.prices.map((p) => `${p.token_id}:${p.timestamp}`)).size);
  });
});

/** A process holding the Silver file open read-only until `release`. */
async function holdReadOnly(path: string): Promise<{ pid: number; release: () => Promise<void> }> {
  const child = spawn(process.execPath, [READER, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('held') && resolve());
    child.once('exit', (code) => reject(new Error(`the reader exited (${code}) before it held ${path}`)));
  });
  return {
    pid: child.pid!,
    release: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}

describe('a Silver sink started while a reader has the file open', function () {
  this.timeout(120_000);
  let log: TestLog;
  before(async () => {
    log = await openTestLog();
  });
  after(async () => {
    await log.close();
  });

  it('waits for the reader to let go, then writes every record (pma status polling the file made a starting sink fail)', async () => {
    const world = cleanWorld(15_6, { markets: 6, tradesPerMarket: 20, wallets: 10, pricesPerToken: 3 });
    await log.publishWorld(world);
    const path = join(log.dir, 'silver.duckdb');
    const common = { dir: log.dir, path, batchRows: 100, batchMaxMs: 20, groupId: 'reader', announceCommits: true, logLevel: 'info' };
    const first = await startSink(JSON.stringify({ ...common, until: 'caught-up' })).exited;
    expect(first.code, first.stderr).to.equal(0);
    await log.publish(
      'trades',
      world.trades.map((t) => ({ ...t, trade_id: `again-${t.trade_id}` })),
    );

    const reader = await holdReadOnly(path);
    const sink = startSink(JSON.stringify({ ...common, until: 'caught-up' }));
    await sink.said('waiting for it to let go');
    expect(sink.child.exitCode, 'the sink gave up while a reader held the file').to.equal(null);
    expect(sink.commitsSoFar()).to.equal(0);
    await reader.release();
    const ended = await sink.exited;
    expect(ended.code, ended.stderr.slice(-2000)).to.equal(0);
    expect(await scalar(path, 'SELECT sum(next_offset) FROM silver_offsets'), 'offsets stored').to.equal(await logEnd(log));
    expect(await scalar(path, 'SELECT count(*) FROM TradeFact'), 'trades').to.equal(2 * new Set(world.trades.map((t) => t.trade_id)).size);
  });

  it('gives up, naming the process, when the reader holds on past the wait', async () => {
    const path = join(log.dir, 'silver.duckdb');
    const reader = await holdReadOnly(path);
    try {
      const err = await rejectionOf(openAsWriter(path, { readerWaitMs: 1_000 }, new AbortController().signal, silentLogger), SinkError);
      expect(err.message).to.equal(`process ${reader.pid} has held ${path} open for over 1 s, so no sink can write it`);
      expect(err.context).to.deep.include({ path, pid: reader.pid });
    } finally {
      await reader.release();
    }
  });
});
