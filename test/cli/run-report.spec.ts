/**
 * What `pma run` and `pma status` say about a run (issue 16, section 5), checked against counts
 * taken apart from the code that prints them: rows read back from the Bronze Parquet files,
 * Silver's tables, and the simulator's own truth of which market belongs to which event.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { createWorld } from '../../simulator/index.ts';
import { truthRecords } from '../../simulator/truth.ts';
import { tempDirPerTest } from '../temp-dir.ts';

const PMA = fileURLToPath(new URL('../../cli/pma.ts', import.meta.url));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function pma(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [PMA, ...args], { env: { ...process.env, PMA_LOG_LEVEL: 'warn' }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function rows(path: string, sql: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(path, path === ':memory:' ? {} : { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRows() as unknown[][];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The final table's row of a task: what its "done" column and its records column say. */
function tableRow(stdout: string, task: string): { done: number; unit: string; records: number } {
  const m = new RegExp(`^${task}\\s+(\\d+)(?:/\\d+)? (\\w+)\\s+\\d+\\s+(\\d+)`, 'm').exec(stdout);
  expect(m, `a row for ${task} in\n${stdout}`).to.not.equal(null);
  return { done: Number(m![1]), unit: m![2]!, records: Number(m![3]) };
}

interface EndpointCount {
  endpoint: string;
  units: number;
  complete: number;
  records: number;
}

async function cursorCounts(dir: string): Promise<{ endpoints: EndpointCount[]; topics: Map<string, number> }> {
  const r = await pma(['--data-dir', dir, 'status', '--json']);
  expect(r.code, r.stderr).to.equal(0);
  const json = JSON.parse(r.stdout) as { cursors: { endpoints: EndpointCount[] }; topics: Array<{ topic: string; records: number }> };
  return {
    endpoints: json.cursors.endpoints.map(({ endpoint, units, complete, records }) => ({ endpoint, units, complete, records })),
    topics: new Map(json.topics.map((t) => [t.topic, t.records])),
  };
}

describe('what pma run and pma status say (issue 16 §5)', function () {
  this.timeout(300_000);
  const tmp = tempDirPerTest('pma-run-report-');

  it('--limit 5 writes only those five markets and their events, and the table counts what process, Bronze and Silver did', async () => {
    const r = await pma(['--data-dir', tmp.path, 'run', '--source', 'sim', '--sim-markets', '20', '--limit', '5', '--no-gold']);
    expect(r.code, r.stderr).to.equal(0);
    const silver = join(tmp.path, 'silver.duckdb');

    // Only the five markets taken, each with its listing's columns, not a bare key.
    const markets = (await rows(silver, 'SELECT condition_id, question FROM MarketDim')).map(([id, q]) => ({ id: String(id), question: q }));
    expect(
      markets.filter((m) => m.question === null).map((m) => m.id),
      'key-only MarketDim rows',
    ).to.deep.equal([]);
    expect(markets).to.have.length(5);
    const taken = new Set(markets.map((m) => m.id));

    // Their events, as the simulator's truth places them, and only those.
    const { world, profile } = createWorld({ markets: 20 });
    const eventOf = new Map<string, string>();
    for (const t of truthRecords(world, profile, { types: ['gamma-market'] })) eventOf.set(String(t.conditionId), String(t.event));
    const wantEvents = [...new Set([...taken].map((id) => eventOf.get(id)!))].sort();
    const events = (await rows(silver, 'SELECT event_id FROM EventDim ORDER BY event_id')).map(([id]) => String(id));
    expect(events).to.deep.equal(wantEvents);
    const bridged = (await rows(silver, 'SELECT DISTINCT condition_id FROM EventMarketBridge')).map(([id]) => String(id));
    expect(
      bridged.filter((id) => !taken.has(id)),
      'bridge rows to markets not taken',
    ).to.deep.equal([]);
    expect(bridged).to.have.length(5);
    // pma status counts what the listings took, not every row they read on the way.
    const listed = new Map((await cursorCounts(tmp.path)).endpoints.map((e) => [e.endpoint, e.records]));
    expect(listed.get('clob:/markets'), 'clob:/markets records').to.equal(5);
    expect(listed.get('gamma:/markets'), 'gamma:/markets records').to.equal(5);
    expect(listed.get('gamma:/events'), 'gamma:/events records').to.equal(wantEvents.length);

    // Every clean record of a fresh run is one Bronze row and one record Silver applied.
    const parquetRows = Number((await rows(':memory:', `SELECT count(*) FROM read_parquet('${join(tmp.path, 'bronze')}/**/*.parquet')`))[0]![0]);
    expect(parquetRows).to.be.greaterThan(0);
    for (const task of ['process', 'bronze', 'silver']) {
      const row = tableRow(r.stdout, task);
      expect(row.done, `${task} done`).to.equal(parquetRows);
      expect(row.records, `${task} records`).to.equal(parquetRows);
    }
    // The progress lines printed on the way count the same thing in both columns.
    const lines = r.stderr.split('\n').filter((l) => /^progress task=(process|bronze|silver) /.test(l));
    for (const l of lines) {
      const done = Number(/ done=(\d+)/.exec(l)![1]);
      const records = Number(/ records=(\d+)/.exec(l)![1]);
      expect(done, l).to.equal(records);
    }
  });

  it('pma status gives the same cursor counts after a rerun that finds nothing new', async () => {
    const args = ['--data-dir', tmp.path, 'run', '--source', 'sim', '--sim-markets', '12', '--no-gold'];
    const first = await pma(args);
    expect(first.code, first.stderr).to.equal(0);
    const before = await cursorCounts(tmp.path);
    const prices = before.endpoints.find((e) => e.endpoint === 'clob:/prices-history')!;
    const trades = before.endpoints.find((e) => e.endpoint === 'data:/trades')!;
    // The cursors count the records their units published: what the raw topics hold after one run.
    expect(prices.records).to.be.greaterThan(0);
    expect(prices.records).to.equal(before.topics.get('pma.raw.prices'));
    expect(trades.records).to.equal(before.topics.get('pma.raw.trades'));

    const again = await pma(args);
    expect(again.code, again.stderr).to.equal(0);
    const after = await cursorCounts(tmp.path);
    expect(after.endpoints).to.deep.equal(before.endpoints);
  });
});
