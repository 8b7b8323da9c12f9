import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import fc from 'fast-check';
import type { LogFields, Logger } from '../../../runtime/logger.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import type { CleanTrade } from '../../../schemas/clean-records.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { type BronzeSinkOptions, bronzeRoot, type PublishedGroup, runBronzeSink } from '../../../sinks/bronze/index.ts';
import { until } from '../../until.ts';
import { cleanRecord } from '../clean-arbitrary.ts';
import { startPma } from '../kill-loop.ts';
import { type LogHarness, publishClean, useLogHarness } from '../log-harness.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 11, 8, 22, 0, 0);

function trades(from: number, to: number): CleanTrade[] {
  return fc.sample(cleanRecord('trades'), { numRuns: to - from, seed: from }).map((t, k) => ({ ...t, trade_id: `trade-${from + k}`, timestamp: T0 + (((from + k) * 7919) % (5 * DAY)) }));
}

/** Trade ids in Bronze as a reader globbing it sees them: total and distinct. */
async function bronzeTrades(root: string): Promise<{ n: number; d: number }> {
  if (!existsSync(join(root, 'trades'))) return { n: 0, d: 0 };
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    const rows = await con.runAndReadAll(`SELECT count(*)::INTEGER AS n, count(DISTINCT trade_id)::INTEGER AS d FROM read_parquet('${root}/trades/*/*.parquet')`);
    return rows.getRowObjectsJS()[0] as { n: number; d: number };
  } finally {
    con.closeSync();
  }
}

/** Undefined for a read that lost a race with the retirement of a replaced generation; any other failure is thrown. */
function racedRetirement(err: unknown): undefined {
  if (/No such file or directory/.test(String((err as Error)?.message))) return undefined;
  throw err;
}

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** Remembers warnings, to wait for one. */
function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger & { warnings: string[] } = {
    warnings,
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (msg: string, _fields?: LogFields) => {
      warnings.push(msg);
    },
    error: () => undefined,
    child: () => logger,
  };
  return logger;
}

describe('sinks/bronze: several Bronze sinks in one group share one Bronze directory', function () {
  this.timeout(240_000);
  let h: LogHarness;
  useLogHarness((opened) => {
    h = opened;
  }, 'each');

  function startSink(stop: AbortController, options: Partial<BronzeSinkOptions>, published: PublishedGroup[], logger: Logger = silentLogger) {
    return runBronzeSink(
      { dataDir: h.dir, rollRows: 150, idleMs: 150, ...options },
      { transport: h.transport, serde: h.serde, logger, signal: stop.signal, until: 'signal', onPublished: (g) => published.push(g) },
    );
  }

  it('two sinks, each compacting while the other publishes into the same dt directories, write every record exactly once between them', async () => {
    const stop = new AbortController();
    const groups: PublishedGroup[][] = [[], []];
    const sinks = [startSink(stop, { compactEveryMs: 250 }, groups[0]!), startSink(stop, { compactEveryMs: 250 }, groups[1]!)];
    const root = bronzeRoot(h.dir);
    let sent = 0;
    try {
      for (let round = 0; round < 8; round++) {
        await publishClean(h, 'trades', trades(sent, sent + 750), (t) => t.trade_id);
        sent += 750;
        const target = sent;
        // A read that lists a generation and opens its files after the compaction retired it (1 s later) fails; it is retried, never miscounted.
        await until(async () => ((await bronzeTrades(root).catch(racedRetirement)) ?? { d: -1 }).d >= target, `round ${round}: ${target} trades in Bronze`, 60_000, 100);
      }
    } finally {
      stop.abort();
    }
    const results = await Promise.all(sinks);
    expect(await bronzeTrades(root)).to.deep.equal({ n: sent, d: sent });
    // Both wrote: the group split the partitions between them.
    expect(
      groups.map((g) => g.filter((x) => x.topic === TOPICS.trades.name).length).every((n) => n > 0),
      JSON.stringify(results),
    ).to.equal(true);
    expect(results.reduce((sum, r) => sum + r.compaction.dirs, 0)).to.be.greaterThan(0);
    expect(filesUnder(root, (n) => n.endsWith('.tmp'))).to.deep.equal([]);
    expect(filesUnder(join(root, '.locks'), () => true)).to.deep.equal([]);
  });

  it('a sink whose partition lock was taken over publishes nothing more of that partition, and the other partitions go on', async () => {
    const stop = new AbortController();
    const published: PublishedGroup[] = [];
    const logger = recordingLogger();
    const sink = startSink(stop, { compactEveryMs: 0 }, published, logger);
    const root = bronzeRoot(h.dir);
    let taken = 0;
    try {
      await publishClean(h, 'trades', trades(0, 400), (t) => t.trade_id);
      await until(() => published.reduce((sum, g) => sum + g.rows, 0) === 400, 'the first 400 trades published', 60_000, 50);
      // A sink on another host took partition 0 over (its lease looked expired to it).
      writeFileSync(join(root, '.locks', `${TOPICS.trades.name}+0.lock`), JSON.stringify({ pid: 1, host: 'another-host', token: 'the-new-owner' }));
      taken = published.length;
      await publishClean(h, 'trades', trades(400, 800), (t) => t.trade_id);
      await until(() => logger.warnings.includes('another Bronze sink took this partition over; its group is dropped unpublished'), 'the fenced group to be dropped', 60_000, 50);
      await until(() => new Set(published.slice(taken).map((g) => g.partition)).size === 3, 'groups of the three other partitions', 60_000, 50);
    } finally {
      stop.abort();
    }
    await sink;
    const later = published.slice(taken);
    expect(later.filter((g) => g.partition === 0)).to.deep.equal([]);
    // Bronze holds the first 400 and what the three other partitions published since, once each.
    expect(await bronzeTrades(root)).to.deep.equal({ n: 400 + later.reduce((sum, g) => sum + g.rows, 0), d: 400 + later.reduce((sum, g) => sum + g.rows, 0) });
    expect(later.reduce((sum, g) => sum + g.rows, 0)).to.be.within(1, 399);
    expect(filesUnder(root, (name) => name.endsWith('.tmp'))).to.deep.equal([]);
  });

  it('sinks in separate processes, one SIGKILLed again and again: the others take its partitions over from the files, and the union is exactly once', async () => {
    const root = bronzeRoot(h.dir);
    const args = ['sink', '--layer', 'bronze', '--roll-rows', '200', '--idle-ms', '200'];
    const steady = [startPma(h.dir, args), startPma(h.dir, args)];
    let sent = 0;
    let kills = 0;
    try {
      for (let round = 0; round < 6; round++) {
        const victim = startPma(h.dir, args);
        await publishClean(h, 'trades', trades(sent, sent + 1_000), (t) => t.trade_id);
        sent += 1_000;
        // Killed once it wrote something, so it dies holding partitions and, often, groups in flight.
        const target = sent - 500;
        await until(async () => (await bronzeTrades(root)).d >= target, `round ${round}: half the new trades in Bronze`, 60_000, 50);
        victim.child.kill('SIGKILL');
        await victim.done;
        kills++;
      }
      const target = sent;
      await until(async () => (await bronzeTrades(root)).d >= target, `all ${target} trades in Bronze`, 120_000, 200);
    } finally {
      for (const s of steady) s.child.kill('SIGTERM');
    }
    const outcomes = await Promise.all(steady.map((s) => s.done));
    for (const o of outcomes) expect(o.code, o.stderr).to.equal(0);
    expect(kills).to.equal(6);
    expect(await bronzeTrades(root)).to.deep.equal({ n: sent, d: sent });
    const last = await startPma(h.dir, ['sink', '--layer', 'bronze', '--until-caught-up', '--json']).done;
    expect(last.code, last.stderr).to.equal(0);
    expect(JSON.parse(last.stdout).bronze.rows).to.equal(0);
    expect(filesUnder(root, (name) => name.endsWith('.tmp'))).to.deep.equal([]);
  });
});
