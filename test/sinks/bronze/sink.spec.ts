import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import fc from 'fast-check';
import { DLQ_HEADERS } from '../../../registry/dead-letter.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import type { CleanLeaderboardRow, CleanMarket, CleanTrade } from '../../../schemas/clean-records.ts';
import { loadSchema } from '../../../schemas/index.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { type BronzeSinkOptions, bronzeRoot, parseFileName, recoverBronze, runBronzeSink, utcDate } from '../../../sinks/bronze/index.ts';
import { cleanRecord } from '../clean-arbitrary.ts';
import { comparable, plain } from '../duck-values.ts';
import { type LogHarness, publishClean, readTopic, useLogHarness } from '../log-harness.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 11, 8, 22, 0, 0);

function trades(n: number, seed: number): CleanTrade[] {
  return fc.sample(cleanRecord('trades'), { numRuns: n, seed }).map((t, i) => ({ ...t, trade_id: `trade-${seed}-${i}`, timestamp: T0 + ((i * 7919) % (5 * DAY)) }));
}

/** Every file under a type dir: [dt, name]. */
function files(root: string, type: string): Array<[string, string]> {
  const dir = join(root, type);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((dt) => readdirSync(join(dir, dt)).map((f) => [dt, f] as [string, string]));
}

async function sinkUntilCaughtUp(h: LogHarness, options: Partial<BronzeSinkOptions> = {}) {
  return runBronzeSink({ dataDir: h.dir, ...options }, { transport: h.transport, serde: h.serde, logger: silentLogger, signal: new AbortController().signal, until: 'caught-up' });
}

async function query(sql: string): Promise<Array<Record<string, unknown>>> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowObjectsJS().map((r) => plain(r) as Record<string, unknown>);
  } finally {
    con.closeSync();
  }
}

describe('sinks/bronze: the Bronze sink on the embedded log', function () {
  this.timeout(120_000);
  let h: LogHarness;
  useLogHarness((opened) => {
    h = opened;
  }, 'each');

  it('lands every record exactly once, in dt partitions of its UTC event date, readable by DuckDB with Hive partitioning', async () => {
    const sent = trades(3_000, 1);
    await publishClean(h, 'trades', sent, (t) => t.trade_id);
    const markets = fc.sample(cleanRecord('markets'), { numRuns: 40, seed: 2 }).map((m, i) => ({ ...m, condition_id: `0xm${i}`, observed_ts: T0 + i * 3_600_000 }));
    await publishClean(h, 'markets', markets, (m) => m.condition_id);
    const board = fc.sample(cleanRecord('leaderboard'), { numRuns: 30, seed: 3 }).map((r, i) => ({ ...r, rank: i + 1, snapshot_ts: T0 + DAY }));
    await publishClean(h, 'leaderboard', board, (r) => String(r.rank));

    // Compaction off: this checks the write groups' own files (compact.spec.ts checks compacted ones).
    const result = await sinkUntilCaughtUp(h, { rollRows: 400, compactEveryMs: 0 });
    expect(result.rows).to.equal(3_070);
    expect(result.deadLettered).to.equal(0);

    const root = bronzeRoot(h.dir);
    const rows = await query(`SELECT * FROM read_parquet('${root}/trades/*/*.parquet', hive_partitioning = true) ORDER BY trade_id`);
    expect(rows.length).to.equal(sent.length);
    const byId = new Map(sent.map((t) => [t.trade_id, t]));
    for (const row of rows) {
      const { dt, _partition, _offset, ...values } = row;
      const original = byId.get(values.trade_id as string)!;
      expect(comparable(values)).to.deep.equal(comparable(original));
      expect(String(dt)).to.equal(String(Date.parse(utcDate(original.timestamp))));
    }
    expect(new Set(rows.map((r) => r.trade_id)).size).to.equal(sent.length);
    const [mk] = await query(`SELECT count(*) AS n, count(DISTINCT condition_id) AS d FROM read_parquet('${root}/markets/*/*.parquet', hive_partitioning = true)`);
    expect(mk).to.deep.equal({ n: 40, d: 40 });
    const lb = files(root, 'leaderboard');
    expect(lb.every(([dt]) => dt === `dt=${utcDate(T0 + DAY)}`)).to.equal(true);

    // Every offset of every partition is in exactly one write group, and groups do not overlap.
    const highs = new Map((await h.transport.admin().offsets(TOPICS.trades.name)).map((o) => [o.partition, o.high]));
    const groups = new Map<number, Array<[number, number]>>();
    for (const [, name] of files(root, 'trades')) {
      expect(name.startsWith('.'), `leftover temporary ${name}`).to.equal(false);
      const r = parseFileName(name)!;
      const list = groups.get(r.partition) ?? [];
      if (!list.some(([f, l]) => f === r.first && l === r.last)) list.push([r.first, r.last]);
      groups.set(r.partition, list);
    }
    for (const [p, high] of highs) {
      const list = (groups.get(p) ?? []).sort((a, b) => a[0] - b[0]);
      let next = 0;
      for (const [first, last] of list) {
        expect(first).to.equal(next);
        next = last + 1;
      }
      expect(next).to.equal(high);
    }
    const perFile = await query(`SELECT count(*) AS n FROM read_parquet('${root}/trades/*/*.parquet') GROUP BY filename`);
    expect(Math.max(...perFile.map((r) => r.n as number))).to.be.at.most(400);
  });

  it('a second run and a replay of the whole log from offset 0 add nothing', async () => {
    await publishClean(h, 'trades', trades(1_500, 4), (t) => t.trade_id);
    const first = await sinkUntilCaughtUp(h, { rollRows: 500 });
    expect(first.rows).to.equal(1_500);
    const root = bronzeRoot(h.dir);
    const before = files(root, 'trades').sort();

    const again = await sinkUntilCaughtUp(h);
    expect(again.rows).to.equal(0);

    const group = 'pma-sink-bronze';
    const parts = await h.transport.admin().offsets(TOPICS.trades.name);
    await h.transport.admin().setGroupOffsets(
      group,
      parts.map((p) => ({ topic: TOPICS.trades.name, partition: p.partition, offset: 0 })),
    );
    const replay = await sinkUntilCaughtUp(h);
    expect(replay.rows).to.equal(0);
    expect(files(root, 'trades').sort()).to.deep.equal(before);

    await publishClean(h, 'trades', trades(100, 5), (t) => t.trade_id);
    const more = await sinkUntilCaughtUp(h);
    expect(more.rows).to.equal(100);
    const [{ n }] = (await query(`SELECT count(DISTINCT trade_id) AS n FROM '${root}/trades/*/*.parquet'`)) as [{ n: number }];
    expect(n).to.equal(1_600);
  });

  it('sends unreadable records to pma.dlq with their source and goes on', async () => {
    const good = trades(50, 6);
    await publishClean(h, 'trades', good.slice(0, 25), (t) => t.trade_id);
    const producer = h.transport.producer();
    await producer.send(TOPICS.trades.name, [
      { key: Buffer.from('bad-magic'), value: Buffer.from([9, 0, 0, 0, 1, 2, 3]), partition: 0 },
      { key: Buffer.from('truncated'), value: (await h.serde.codecFor<CleanTrade>(TOPICS.trades)).encode(good[25]!).subarray(0, 12), partition: 0 },
    ]);
    await producer.close();
    await publishClean(h, 'trades', good.slice(26), (t) => t.trade_id);
    const result = await sinkUntilCaughtUp(h);
    expect(result.rows).to.equal(49);
    expect(result.deadLettered).to.equal(2);
    const dlq = await readTopic(h.transport, TOPICS.dlq.name);
    expect(dlq.map((r) => [r.key?.toString(), r.headers[DLQ_HEADERS.reason], r.headers[DLQ_HEADERS.sourceTopic], r.headers[DLQ_HEADERS.sourcePartition]])).to.deep.equal([
      ['bad-magic', 'bad-magic-byte', TOPICS.trades.name, '0'],
      ['truncated', 'truncated', TOPICS.trades.name, '0'],
    ]);
  });

  it('reads records written with an older compatible schema through schema resolution', async () => {
    const current = loadSchema('trade') as { fields: Array<{ name: string }> };
    const older = { ...current, fields: current.fields.filter((f) => f.name !== 'pseudonym') };
    const codec = await h.serde.codec<Omit<CleanTrade, 'pseudonym'>>(TOPICS.trades.name, older);
    const sent = trades(20, 7);
    const producer = h.transport.producer();
    await producer.send(
      TOPICS.trades.name,
      sent.map(({ pseudonym: _, ...t }) => ({ key: Buffer.from(t.trade_id), value: codec.encode(t) })),
    );
    await producer.close();
    const result = await sinkUntilCaughtUp(h);
    expect(result.rows).to.equal(20);
    const rows = await query(`SELECT trade_id, pseudonym, price FROM '${bronzeRoot(h.dir)}/trades/*/*.parquet' ORDER BY trade_id`);
    expect(rows.every((r) => r.pseudonym === null)).to.equal(true);
    expect(rows.map((r) => r.trade_id)).to.deep.equal(sent.map((t) => t.trade_id).sort());
  });

  it('flushes an idle partition while running, and everything buffered when stopped', async () => {
    const root = bronzeRoot(h.dir);
    const run = (idleMs: number, signal: AbortSignal) =>
      runBronzeSink({ dataDir: h.dir, idleMs, rollMs: 60_000 }, { transport: h.transport, serde: h.serde, logger: silentLogger, signal, until: 'signal' });
    const idle = new AbortController();
    const idleRun = run(200, idle.signal);
    await publishClean(h, 'trades', trades(30, 8), (t) => t.trade_id);
    const deadline = Date.now() + 20_000;
    while (files(root, 'trades').length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(files(root, 'trades').length).to.be.greaterThan(0);
    idle.abort();
    expect((await idleRun).rows).to.equal(30);

    // Nothing flushes by time in this run, so what lands in Bronze was flushed by the stop. An
    // unreadable record behind the market on its partition: once its dead letter is out, the sink
    // has read the market (a partition is read in order), so stopping now must write it.
    const stop = new AbortController();
    const running = run(60_000, stop.signal);
    const market: CleanMarket = { ...fc.sample(cleanRecord('markets'), { numRuns: 1, seed: 9 })[0]!, observed_ts: T0 };
    const codec = await h.serde.codecFor<CleanMarket>(TOPICS.markets);
    const producer = h.transport.producer();
    await producer.send(TOPICS.markets.name, [
      { key: Buffer.from(market.condition_id), value: codec.encode(market), partition: 0 },
      { key: Buffer.from('unreadable'), value: Buffer.from([9, 0, 0, 0, 1]), partition: 0 },
    ]);
    await producer.close();
    const dlqDeadline = Date.now() + 20_000;
    while ((await readTopic(h.transport, TOPICS.dlq.name)).length === 0) {
      if (Date.now() > dlqDeadline) throw new Error('timed out waiting for the dead letter behind the market');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(files(root, 'markets')).to.have.length(0);
    stop.abort();
    const result = await running;
    expect(result.rows).to.equal(1);
    expect(files(root, 'markets').length).to.be.greaterThan(0);
  });

  it('recovery rolls a half-renamed group forward, deletes unpublished temporaries, and resumes after the files', async () => {
    const root = bronzeRoot(h.dir);
    const name = (first: number, last: number) => `pma.trades+2+${String(first).padStart(19, '0')}+${String(last).padStart(19, '0')}.parquet`;
    const d1 = join(root, 'trades', 'dt=2025-12-01');
    const d2 = join(root, 'trades', 'dt=2025-12-02');
    mkdirSync(d1, { recursive: true });
    mkdirSync(d2, { recursive: true });
    writeFileSync(join(d1, name(0, 9)), 'x');
    writeFileSync(join(d1, name(10, 19)), 'x');
    writeFileSync(join(d2, `.${name(10, 19)}.tmp`), 'x');
    writeFileSync(join(d1, `.${name(20, 29)}.tmp`), 'x');
    writeFileSync(join(d2, `.${name(20, 29)}.tmp`), 'x');
    const report = await recoverBronze(root, silentLogger);
    expect(report.rolledForward).to.equal(1);
    expect(report.deleted).to.equal(2);
    expect(report.resume.get(`pma.trades\u00002`)).to.equal(20);
    expect(readdirSync(d2)).to.deep.equal([name(10, 19)]);
    expect(readdirSync(d1).sort()).to.deep.equal([name(0, 9), name(10, 19)]);
  });

  it('refuses to start while a compaction or repair holds the directory, and takes over the lock of one that was killed', async () => {
    const root = bronzeRoot(h.dir);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, '.lock'), `${process.ppid}\n`);
    let error: unknown;
    try {
      await sinkUntilCaughtUp(h);
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.match(/a Bronze compaction or repair \(pid \d+\) is working on/);
    writeFileSync(join(root, '.lock'), '999999999\n');
    await sinkUntilCaughtUp(h);
  });

  it('keeps leaderboard rows of one snapshot in the snapshot date', async () => {
    const rows: CleanLeaderboardRow[] = fc.sample(cleanRecord('leaderboard'), { numRuns: 5, seed: 10 }).map((r, i) => ({ ...r, rank: i + 1, snapshot_ts: Date.UTC(2025, 0, 31, 23, 59, 59, 999) }));
    await publishClean(h, 'leaderboard', rows, (r) => `${r.rank}`);
    await sinkUntilCaughtUp(h);
    expect(new Set(files(bronzeRoot(h.dir), 'leaderboard').map(([dt]) => dt))).to.deep.equal(new Set(['dt=2025-01-31']));
  });
});
