import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import type { CleanRecordByTopic } from '../../schemas/clean-records.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { SILVER_TOPIC_KEYS, type SilverTopicKey } from '../../sinks/silver/index.ts';
import { embeddedLogPath } from '../../transport/index.ts';
import { describeNeeding } from '../prerequisite.ts';
import { type ChildResult, runChild } from '../run-child.ts';
import { openLogHarness, publishClean } from '../sinks/log-harness.ts';
import { cleanWorld, keyOf } from '../sinks/silver/clean-world.ts';
import { mountTmpfs, type Tmpfs, tmpfsMissing } from '../sinks/tmpfs.ts';

const PMA = fileURLToPath(new URL('../../cli/pma.ts', import.meta.url));
/** A stage that fails fast takes a few seconds (a heartbeat period at most); the old code hung for minutes. */
const FAIL_FAST_MS = 30_000;

/** Runs pma; SIGKILLed (and reported as killed) if still running after `limitMs`. */
function pma(args: string[], limitMs: number): Promise<ChildResult> {
  return runChild(process.execPath, [PMA, ...args], { env: { ...process.env, PMA_LOG_LEVEL: 'warn' }, limitMs });
}

/** One number from a DuckDB file or query, read-only. */
async function scalar(sql: string, file = ':memory:'): Promise<number> {
  const instance = await DuckDBInstance.create(file, file === ':memory:' ? {} : { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return Number((await conn.runAndReadAll(sql)).getRows()[0]![0]);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describeNeeding('pma sink and pma process on a full disk', tmpfsMissing(), function () {
  this.timeout(300_000);
  let disk: Tmpfs;
  before(() => {
    disk = mountTmpfs(24);
  });
  after(() => {
    disk?.unmount();
  });

  it('--layer silver and --layer all (and pma process, with no space at all) fail within seconds, non-zero, naming the full disk; once space is freed a rerun writes every record', async () => {
    const dataDir = join(disk.dir, 'data');
    const world = cleanWorld(5, { markets: 16, tradesPerMarket: 150, wallets: 30, pricesPerToken: 10 });
    const log = await openLogHarness(dataDir);
    const perTopic = new Map<string, number>();
    const publish = async <K extends SilverTopicKey>(k: K, records: CleanRecordByTopic[K][]) => {
      await publishClean(log, k, records, (r) => keyOf(k, r));
      perTopic.set(k, records.length);
    };
    try {
      await publish('events', world.events);
      await publish('markets', world.markets);
      await publish('tokens', world.tokens);
      await publish('trades', world.trades);
      await publish('prices', world.prices);
      await publish('leaderboard', world.leaderboard);
    } finally {
      await log.close();
    }

    // Twice each: a failed run cannot leave its consumer group (the log cannot be written), and the
    // next run finds that member still holding the partitions, which it can never claim.
    // Space left decides where the first write fails: joining the group, a heartbeat, a Silver commit, a Bronze file;
    // with none left, opening the log, which no process holds open, cannot create its -shm file
    // (SQLite calls that a disk I/O error), whichever stage opens it.
    for (const leave of [1536 * 1024, 256 * 1024, 0]) {
      disk.fill(leave);
      const stages = ['silver', 'silver', 'all', 'all'].map((layer) => ['sink', '--layer', layer]);
      if (leave === 0) stages.push(['process']);
      for (const stage of stages) {
        const what = `${stage.join(' ')} with ${leave / 1024} KiB free`;
        const r = await pma(['--data-dir', dataDir, ...stage, '--until-caught-up'], FAIL_FAST_MS);
        expect(r.killed, `${what} still running after ${FAIL_FAST_MS} ms: ${r.stderr.slice(-1500)}`).to.equal(false);
        expect(r.code, `${what}: ${r.stderr.slice(-1500)}`).to.not.equal(0);
        const last = r.stderr.trim().split('\n').at(-1)!;
        expect(last, `${what}: the error printed last: ${r.stderr.slice(-3000)}`).to.match(/^pma: PMA_ERR_\w+: .*(No space left on device|ENOSPC|disk is full)/);
        expect(last, `${what}: names the file`).to.include(dataDir);
        expect(last, `${what}: the cause, not the rollback that followed it`).to.not.match(/rollback failed/);
      }
      disk.free();
    }

    const rerun = await pma(['--data-dir', dataDir, 'sink', '--layer', 'all', '--until-caught-up'], 120_000);
    expect(rerun.code, rerun.stderr).to.equal(0);

    const silver = join(dataDir, 'silver.duckdb');
    const reopened = await openLogHarness(dataDir);
    let logEnd = 0;
    try {
      for (const k of SILVER_TOPIC_KEYS) for (const p of await reopened.transport.admin().offsets(TOPICS[k].name)) logEnd += p.high;
    } finally {
      await reopened.close();
    }
    expect(await scalar('SELECT sum(next_offset) FROM silver_offsets', silver), 'Silver offsets').to.equal(logEnd);
    expect(await scalar('SELECT count(DISTINCT trade_id) FROM TradeFact', silver), 'Silver trades').to.equal(new Set(world.trades.map((t) => t.trade_id)).size);
    for (const [k, n] of perTopic) {
      const dir = join(dataDir, 'bronze', k);
      expect(existsSync(dir), `Bronze ${k}`).to.equal(true);
      expect(await scalar(`SELECT count(*) FROM read_parquet('${dir}/dt=*/*.parquet')`), `Bronze ${k} rows`).to.equal(n);
    }
    expect(existsSync(embeddedLogPath(dataDir))).to.equal(true);
  });
});

describe('pma sink whose Silver query endpoint cannot be advertised', function () {
  this.timeout(120_000);
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'pma-advert-'));
  });
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  // A full disk refuses the advert only when little enough is left at that moment; a directory
  // where the advert's temporary file goes refuses it every time, through the same failed write.
  it('exits non-zero at once naming the advert file, instead of being kept alive by the endpoint it started', async () => {
    const log = await openLogHarness(dataDir);
    try {
      await publishClean(log, 'events', cleanWorld(7, { markets: 2, tradesPerMarket: 1, wallets: 2, pricesPerToken: 1 }).events, (r) => keyOf('events', r));
    } finally {
      await log.close();
    }
    const blocker = join(dataDir, 'silver.duckdb.endpoint.json.tmp');
    mkdirSync(blocker);
    const r = await pma(['--data-dir', dataDir, 'sink', '--layer', 'silver', '--until-caught-up'], FAIL_FAST_MS);
    expect(r.killed, `still running after ${FAIL_FAST_MS} ms: ${r.stderr.slice(-1500)}`).to.equal(false);
    expect(r.code, r.stderr).to.equal(1);
    const last = r.stderr.trim().split('\n').at(-1)!;
    expect(last).to.match(/^pma: PMA_ERR_SINK: cannot advertise the Silver query endpoint/);
    expect(last).to.include(blocker);
  });
});
