/**
 * Leaderboards as history: two ingest passes over boards whose values changed in between (the
 * simulator's live clock moved a refresh forward) give two complete snapshots per board in
 * Bronze and in Silver, every row of one pass over a board carries one snapshot time (also when
 * the pass was stopped part-way and resumed), and "the latest snapshot" of a board is all of it.
 * Expectations come from the simulator's ground truth at each pass (wallets, ranks and values).
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { runProcessors } from '../../processors/index.ts';
import { type IngestSummary, runIngest } from '../../producers/run.ts';
import { ingestSettingsSchema } from '../../producers/settings.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { type Simulator, startSimulator, type TruthRecord } from '../../simulator/index.ts';
import { bronzeRoot, runBronzeSink } from '../../sinks/bronze/index.ts';
import { runSilverSink } from '../../sinks/silver/index.ts';
import { queryRows, type Row } from '../duckdb-rows.ts';
import { type LogHarness, openLogHarness, readTopic } from '../sinks/log-harness.ts';

const CATEGORIES = ['OVERALL', 'POLITICS'];
/** World seconds between two refreshes of the simulator's boards (simulator/world/leaderboard.ts). */
const REFRESH_SEC = 300;

/** A board row as the ground truth gives it: board, rank, wallet (lower case) and values. */
interface Expected {
  board: string;
  rank: number;
  wallet: string;
  vol: number;
  pnl: number;
}

const boardOf = (r: { category: unknown; timePeriod?: unknown; time_period?: unknown; orderBy?: unknown; order_by?: unknown }) =>
  `${r.category}/${r.timePeriod ?? r.time_period}/${r.orderBy ?? r.order_by}`;

function expectedBoards(truth: TruthRecord[]): Map<string, Expected[]> {
  const out = new Map<string, Expected[]>();
  for (const t of truth) {
    if (!CATEGORIES.includes(t.category as string)) continue;
    const b = boardOf(t as never);
    const rows = out.get(b) ?? [];
    rows.push({ board: b, rank: t.rank as number, wallet: (t.proxyWallet as string).toLowerCase(), vol: t.vol as number, pnl: t.pnl as number });
    out.set(b, rows);
  }
  for (const rows of out.values()) rows.sort((a, b) => a.rank - b.rank);
  return out;
}

/** Rows (board, snapshot, rank, wallet, vol, pnl) grouped per board, then per snapshot (oldest first). */
function snapshotsPerBoard(rows: Row[]): Map<string, Expected[][]> {
  const out = new Map<string, Map<number, Expected[]>>();
  for (const r of rows) {
    const b = boardOf(r as never);
    const snaps = out.get(b) ?? new Map<number, Expected[]>();
    const s = Number(r.snapshot);
    const list = snaps.get(s) ?? [];
    list.push({ board: b, rank: Number(r.rank), wallet: String(r.wallet), vol: Number(r.vol), pnl: Number(r.pnl) });
    snaps.set(s, list);
    out.set(b, snaps);
  }
  return new Map([...out].map(([b, snaps]) => [b, [...snaps].sort((x, y) => x[0] - y[0]).map(([, list]) => list.sort((x, y) => x.rank - y.rank || x.wallet.localeCompare(y.wallet)))]));
}

describe('leaderboards as history: every pass over a board is a complete snapshot', function () {
  this.timeout(300_000);
  let sim: Simulator;
  let h: LogHarness;
  let db: DuckDBInstance;
  let pass1: Map<string, Expected[]>;
  let pass2: Map<string, Expected[]>;
  let rawAfterPass1: Row[];
  let firstRun: IngestSummary;
  let resumedRun: IngestSummary;
  let stoppedPart: number;

  const settings = () => ({
    ...ingestSettingsSchema.parse({
      source: 'sim',
      mode: 'leaderboard',
      rateLimits: 'off',
      attempts: 8,
      retryBaseMs: 5,
      retryMaxMs: 100,
      leaderboardCategories: CATEGORIES.join(','),
      leaderboardPageSize: 25,
      workers: 2,
    }),
    urls: sim.urls,
  });
  const ingest = (signal = new AbortController().signal) => runIngest(settings(), { transport: h.transport, serde: h.serde, logger: silentLogger, signal, metrics: new Registry(), graceMs: 2_000 });
  const boardTruth = () => expectedBoards([...sim.truth({ types: ['leaderboard-row'] })]);

  const query = (sql: string) => queryRows(db, sql);

  before(async () => {
    // A live world whose clock stands (almost) still: the boards change only when the test moves it.
    sim = await startSimulator({ port: 0, seed: 11, markets: 4, tradesPerMarket: 5, pricePoints: 5, leaderboardSize: 60, fixtures: false, limits: false, live: true, liveSpeed: 0.001 });
    // Pages take a little while, so the pages of one board are fetched at different milliseconds.
    sim.setFaults({ seed: 1, rules: [{ kind: 'slow', rate: 1, delayMs: 15, routes: ['data:/v1/leaderboard'] }] });
    h = await openLogHarness();

    // Pass 1, stopped part-way through its boards, then resumed.
    pass1 = boardTruth();
    const stop = new AbortController();
    const watch = setInterval(() => {
      if (sim.requestLog.entries().filter((e) => e.route === 'data:/v1/leaderboard').length >= 5) stop.abort();
    }, 2);
    try {
      firstRun = await ingest(stop.signal);
    } finally {
      clearInterval(watch);
    }
    stoppedPart = (await readTopic(h.transport, TOPICS.rawLeaderboard.name)).length;
    resumedRun = await ingest();
    const rawCodec = await h.serde.codecFor<Row>(TOPICS.rawLeaderboard);
    rawAfterPass1 = await Promise.all((await readTopic(h.transport, TOPICS.rawLeaderboard.name)).map((r) => rawCodec.decode(r.value!)));

    // The boards refresh; pass 2 starts in a later second (a pass is named by its start second).
    sim.advance(REFRESH_SEC);
    pass2 = boardTruth();
    const gen = resumedRun.generation;
    while (Math.floor(Date.now() / 1000) <= gen) await new Promise((r) => setTimeout(r, 50));
    const second = await ingest();
    expect(second.failures).to.equal(0);

    const signal = new AbortController().signal;
    const processed = await runProcessors({}, { transport: h.transport, serde: h.serde, logger: silentLogger, signal, until: 'caught-up' });
    expect(processed.deadLettered).to.equal(0);
    await runBronzeSink({ dataDir: h.dir }, { transport: h.transport, serde: h.serde, logger: silentLogger, signal, until: 'caught-up' });
    const silverPath = join(h.dir, 'silver.duckdb');
    await runSilverSink(
      { path: silverPath, snapshotPath: null, snapshotIntervalMs: 60_000, groupId: 'silver', batchRows: 5_000, batchMaxMs: 500, until: 'caught-up', serveQueries: false },
      { transport: h.transport, serde: h.serde, logger: silentLogger, signal },
    );
    db = await DuckDBInstance.create(':memory:');
    await (await db.connect()).run(`ATTACH '${silverPath}' AS silver (READ_ONLY)`);
  });
  after(async () => {
    db?.closeSync();
    await h?.close();
    h?.remove();
    await sim?.close();
  });

  it('the simulator serves other values after a refresh, on the same wallets and ranks', () => {
    expect([...pass1.keys()].sort()).to.deep.equal([...pass2.keys()].sort());
    expect(pass1.size).to.equal(CATEGORIES.length * 8);
    for (const [b, rows] of pass1) {
      const later = pass2.get(b)!;
      expect(later.map((r) => [r.rank, r.wallet])).to.deep.equal(rows.map((r) => [r.rank, r.wallet]));
      expect(
        later.every((r, i) => r.pnl !== rows[i]!.pnl && r.vol !== rows[i]!.vol),
        b,
      ).to.equal(true);
    }
  });

  it('every row of one pass over a board carries the same snapshot time, also across a stop and resume', () => {
    expect(firstRun.stopped, 'pass 1 was stopped part-way').to.equal(true);
    expect(stoppedPart).to.be.greaterThan(0);
    expect(resumedRun.resumed).to.equal(true);
    expect(resumedRun.generation).to.equal(firstRun.generation);
    const snapshots = new Map<string, Set<unknown>>();
    for (const r of rawAfterPass1) {
      const b = boardOf(r as never);
      snapshots.set(b, (snapshots.get(b) ?? new Set()).add(r.fetchedAt));
    }
    expect(snapshots.size).to.equal(pass1.size);
    const mixed = [...snapshots].filter(([, s]) => s.size !== 1).map(([b, s]) => `${b}: ${[...s].join(', ')}`);
    expect(mixed).to.deep.equal([]);
  });

  const COLUMNS = {
    bronze: `category, time_period, order_by, epoch_ms(snapshot_ts) AS snapshot, rank, lower(proxy_wallet) AS wallet, vol, pnl`,
    silver: `category, time_period, order_by, epoch_ms(snapshot_timestamp) AS snapshot, rank, wallet_address AS wallet, volume AS vol, profit AS pnl`,
  };

  for (const layer of ['bronze', 'silver'] as const) {
    it(`${layer}: two complete snapshots per board, the first with pass 1's values, the second with pass 2's`, async () => {
      const from = layer === 'bronze' ? `read_parquet('${bronzeRoot(h.dir)}/leaderboard/*/*.parquet', hive_partitioning = true)` : 'silver.LeaderboardSnapshot';
      const got = snapshotsPerBoard(await query(`SELECT ${COLUMNS[layer]} FROM ${from}`));
      expect([...got.keys()].sort()).to.deep.equal([...pass1.keys()].sort());
      for (const [b, snaps] of got) {
        expect(snaps.length, `${b}: snapshots`).to.equal(2);
        expect(snaps[0], `${b}: first snapshot`).to.deep.equal(pass1.get(b));
        expect(snaps[1], `${b}: second snapshot`).to.deep.equal(pass2.get(b));
      }
    });
  }

  it('silver: the latest snapshot of each board is the whole board as pass 2 read it', async () => {
    const latest = await query(
      `SELECT ${COLUMNS.silver} FROM silver.LeaderboardSnapshot
       QUALIFY snapshot_timestamp = max(snapshot_timestamp) OVER (PARTITION BY category, time_period, order_by)`,
    );
    const got = snapshotsPerBoard(latest);
    for (const [b, rows] of pass2) expect(got.get(b), b).to.deep.equal([rows]);
  });
});

describe('leaderboards as history: a board finished by --retry-failures keeps the snapshot it began', function () {
  this.timeout(120_000);
  let sim: Simulator;
  let h: LogHarness;
  after(async () => {
    await h?.close();
    h?.remove();
    await sim?.close();
  });

  it('rows read by the replay, in a later generation, carry the snapshot of the pass that began the board', async () => {
    sim = await startSimulator({ port: 0, seed: 12, markets: 4, tradesPerMarket: 5, pricePoints: 5, leaderboardSize: 60, fixtures: false, limits: false });
    // Half the pages fail with no retry: some boards stop after their first page, and only the replay finishes them.
    sim.setFaults({ seed: 3, rules: [{ kind: 'error', rate: 0.5, status: 503, routes: ['data:/v1/leaderboard'] }] });
    h = await openLogHarness();
    const run = (extra: Record<string, unknown>) =>
      runIngest(
        {
          ...ingestSettingsSchema.parse({
            source: 'sim',
            mode: 'leaderboard',
            rateLimits: 'off',
            retryBaseMs: 5,
            retryMaxMs: 100,
            leaderboardCategories: CATEGORIES.join(','),
            leaderboardPageSize: 25,
            ...extra,
          }),
          urls: sim.urls,
        },
        { transport: h.transport, serde: h.serde, logger: silentLogger, signal: new AbortController().signal, metrics: new Registry() },
      );
    const first = await run({ attempts: 1 });
    expect(first.failures).to.be.greaterThan(0);
    const codec = await h.serde.codecFor<Row>(TOPICS.rawLeaderboard);
    const decodeAll = async () => Promise.all((await readTopic(h.transport, TOPICS.rawLeaderboard.name)).map((r) => codec.decode(r.value!)));
    const before = await decodeAll();
    sim.setFaults({ seed: 3, rules: [] });
    while (Math.floor(Date.now() / 1000) <= first.generation) await new Promise((r) => setTimeout(r, 50));
    const replay = await run({ retryFailures: true });
    expect(replay.failures).to.equal(0);
    expect(replay.generation).to.be.greaterThan(first.generation);
    const all = await decodeAll();

    const expected = expectedBoards([...sim.truth({ types: ['leaderboard-row'] })]);
    const begunBefore = new Set(before.map((r) => boardOf(r as never)));
    let finishedByReplay = 0;
    for (const [b, rows] of expected) {
      const got = all.filter((r) => boardOf(r as never) === b);
      expect(new Set(got.map((r) => String(r.proxyWallet).toLowerCase())), b).to.deep.equal(new Set(rows.map((r) => r.wallet)));
      const snapshots = new Set(got.map((r) => r.fetchedAt));
      expect([...snapshots], b).to.have.length(1);
      if (begunBefore.has(b)) {
        expect([...snapshots][0], `${b} began in the first run`).to.equal(first.generation * 1000);
        if (got.length > before.filter((r) => boardOf(r as never) === b).length) finishedByReplay++;
      }
    }
    expect(finishedByReplay, 'boards begun by the first run and finished by the replay').to.be.greaterThan(0);
  });
});
