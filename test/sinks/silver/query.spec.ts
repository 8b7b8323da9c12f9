import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { silentLogger } from '../../../runtime/logger.ts';
import { formatRows } from '../../../sinks/silver/format.ts';
import { runSilverSink, type SilverSinkOptions } from '../../../sinks/silver/index.ts';
import { querySilver } from '../../../sinks/silver/query-client.ts';
import { cleanWorld, openTestLog, type TestLog } from './clean-world.ts';

const PMA = fileURLToPath(new URL('../../../cli/pma.ts', import.meta.url));
const CHILD = fileURLToPath(new URL('./sink-child.ts', import.meta.url));

/** Whether process `pid` holds a POSIX lock on `file` (Linux /proc/locks: "… POSIX ADVISORY WRITE pid maj:min:inode …"). */
function holdsLock(pid: number, file: string): boolean {
  if (!existsSync(file)) return false;
  const inode = String(statSync(file).ino);
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .some((line) => {
      const f = line.trim().split(/\s+/);
      return f[1] === 'POSIX' && f[4] === String(pid) && f[5]?.split(':')[2] === inode;
    });
}
const run = promisify(execFile);

describe('silver query output formats', () => {
  const columns = [
    { name: 'name', type: 'VARCHAR' },
    { name: 'n', type: 'BIGINT' },
    { name: 'tags', type: 'VARCHAR[]' },
  ];
  const rows = [
    ['a, "quoted"', '12', ['x', 'y']],
    [null, '3', null],
  ];

  it('aligns a table, numbers to the right, NULL shown', () => {
    expect(formatRows(columns, rows, 'table')).to.equal(['name        │  n │ tags', '────────────┼────┼──────────', 'a, "quoted" │ 12 │ ["x","y"]', 'NULL        │  3 │ NULL', ''].join('\n'));
  });

  it('writes CSV with RFC 4180 quoting and JSON as objects', () => {
    expect(formatRows(columns, rows, 'csv')).to.equal('name,n,tags\r\n"a, ""quoted""",12,"[""x"",""y""]"\r\n,3,\r\n');
    expect(JSON.parse(formatRows(columns, rows, 'json'))).to.deep.equal([
      { name: 'a, "quoted"', n: '12', tags: ['x', 'y'] },
      { name: null, n: '3', tags: null },
    ]);
  });
});

describe('pma query', function () {
  this.timeout(120_000);
  let log: TestLog;
  let path: string;
  const world = cleanWorld(4, { markets: 4, tradesPerMarket: 25, wallets: 10, pricesPerToken: 3 });
  const sinkOptions = (extra: Partial<SilverSinkOptions> = {}): SilverSinkOptions => ({
    path,
    snapshotPath: join(log.dir, 'silver.snapshot.duckdb'),
    snapshotIntervalMs: 60_000,
    groupId: 'q',
    batchRows: 1_000,
    batchMaxMs: 100,
    until: 'caught-up',
    serveQueries: false,
    ...extra,
  });

  before(async () => {
    log = await openTestLog();
    path = join(log.dir, 'silver.duckdb');
    await log.publishWorld(world);
    await runSilverSink(sinkOptions(), { transport: log.transport, serde: log.serde, logger: silentLogger, signal: new AbortController().signal });
  });
  after(async () => {
    await log.close();
  });

  it('answers from the file when no sink runs, and from the running sink when one does', async () => {
    const file = await querySilver({ silverPath: path, maxRows: 10 }, 'SELECT count(*) AS n FROM TradeFact');
    expect(file.source.kind).to.equal('file');
    expect(file.rows).to.deep.equal([[String(world.trades.length)]]);

    const stop = new AbortController();
    const running = runSilverSink(sinkOptions({ until: 'signal', serveQueries: true }), {
      transport: log.transport,
      serde: log.serde,
      logger: silentLogger,
      signal: stop.signal,
    });
    try {
      let live = await querySilver({ silverPath: path, maxRows: 10 }, 'SELECT count(*) AS n FROM TradeFact');
      for (let i = 0; i < 100 && live.source.kind !== 'live'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        live = await querySilver({ silverPath: path, maxRows: 10 }, 'SELECT count(*) AS n FROM TradeFact');
      }
      expect(live.source).to.deep.include({ kind: 'live', pid: process.pid });
      expect(live.rows).to.deep.equal(file.rows);
      const cut = await querySilver({ silverPath: path, maxRows: 5 }, 'SELECT trade_id FROM TradeFact');
      expect(cut.rows).to.have.length(5);
      expect(cut.truncated).to.equal(true);
    } finally {
      stop.abort();
      await running;
    }
  });

  it('answers from the snapshot while another process holds the file without serving queries', async () => {
    const child: ChildProcess = spawn(process.execPath, [CHILD, JSON.stringify({ dir: log.dir, path, until: 'signal', serveQueries: false })], {
      stdio: 'ignore',
    });
    try {
      // Querying before the child holds the file would take a read lock that makes the child's open fail: wait for its lock.
      for (let i = 0; i < 600 && child.exitCode === null && !holdsLock(child.pid!, path); i++) await new Promise((r) => setTimeout(r, 50));
      expect(child.exitCode).to.equal(null);
      const answer = await querySilver({ silverPath: path, maxRows: 10 }, 'SELECT count(*) FROM MarketDim');
      expect(answer.source.kind).to.equal('snapshot');
      expect(Number(answer.rows[0]![0])).to.be.greaterThan(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
    }
  });

  it('prints CSV from the command line, and refuses a statement that writes with exit code 1', async () => {
    const { stdout, stderr } = await run(process.execPath, [PMA, '--data-dir', log.dir, 'query', '--format', 'csv', 'SELECT side, count(*) AS n FROM TradeFact GROUP BY side ORDER BY side']);
    const lines = stdout.trim().split('\r\n');
    expect(lines[0]).to.equal('side,n');
    expect(lines.slice(1).map((l) => l.split(',')[0])).to.deep.equal(['BUY', 'SELL']);
    expect(stderr).to.match(/2 rows from .*silver\.duckdb/);
    const refused = await run(process.execPath, [PMA, '--data-dir', log.dir, 'query', 'DROP TABLE TradeFact']).catch((e: { code: number; stderr: string }) => e);
    expect((refused as { code: number }).code).to.equal(1);
    expect((refused as { stderr: string }).stderr).to.match(/PMA_ERR_QUERY: statement 1 is not a query/);
    expect(existsSync(path)).to.equal(true);
  });

  it('says where Silver would be when there is none', async () => {
    const err = await querySilver({ silverPath: join(log.dir, 'none.duckdb'), maxRows: 1 }, 'SELECT 1').catch((e: Error) => e);
    expect((err as { code?: string }).code).to.equal('PMA_ERR_QUERY');
    expect((err as Error).message).to.match(/no Silver to query/);
  });
});
