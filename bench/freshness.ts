/**
 * `pma bench freshness`: how long a fill takes from its match on the simulator to each layer a
 * user can read, while `pma run --follow` runs in its own process on a fresh data dir.
 *
 * The simulator runs live in this process, so the bench knows each fill's match time: a live fill
 * with timestamp T (whole simulated seconds) is served from the moment the world's clock reaches
 * T, which maps to a wall-clock instant through the clock's speed. The steady phase runs the world
 * at `rate` fills per second; the burst phase speeds the world's clock up by burstRate / rate, so
 * the same markets trade at burstRate fills per real second.
 *
 * Sampled fill rows (every row at the steady rate, a share chosen by the last hex digit of the
 * transaction hash when rows come faster, so each phase samples about SAMPLED_ROWS_PER_S rows a
 * second) are timed to:
 * - raw: first read from pma.raw.trades by a consumer of a throwaway group in this process (the
 *   log is durable when a record can be read: the embedded log commits with fsync);
 * - bronze: first seen in a published Parquet file under bronze/trades;
 * - silver: first returned by querySilver, the read path of `pma query` (the running sink's
 *   endpoint, fresh to its last commit).
 * Each watcher polls every POLL_MS, so a time is late by up to that much.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { z } from 'zod';
import { HEADERS } from '../producers/records/headers.ts';
import { positiveInt } from '../runtime/config.ts';
import { BenchError } from '../runtime/errors.ts';
import { silentLogger } from '../runtime/logger.ts';
import { TOPICS } from '../schemas/topics.ts';
import { type Simulator, startSimulator } from '../simulator/index.ts';
import { DEFAULT_WORLD_END } from '../simulator/options.ts';
import { defaultSilverPath, querySilver } from '../sinks/silver/query-client.ts';
import { createEmbeddedTransport, type EmbeddedTransport } from '../transport/embedded/index.ts';
import { embeddedLogPath } from '../transport/index.ts';
import { type BenchEnv, benchScratch, benchSettings } from './env.ts';
import { cpuOf } from './processes.ts';

const PMA = fileURLToPath(new URL('../cli/pma.ts', import.meta.url));

const seconds = z.coerce.number().positive();

const settingsSchema = z
  .object({
    steadySeconds: seconds.default(60),
    burstSeconds: seconds.default(30),
    /** Unmeasured seconds of following before the steady phase. */
    warmupSeconds: z.coerce.number().min(0).default(10),
    /** After the burst: seconds to wait for sampled rows still on their way. */
    drainSeconds: seconds.default(90),
    /** Fills per second in the steady phase, and in the burst. */
    rate: seconds.default(50),
    burstRate: seconds.default(1_000),
    markets: positiveInt.default(200),
    /**
     * Days of history before the world's end. Bronze writes a file per day a flush holds, so the
     * backfill of years of history is thousands of small files to catch up before Bronze is live.
     */
    historyDays: positiveInt.default(30),
    tradesPerMarket: z.coerce.number().min(0).default(5),
    /** Passed to the run when given (else the run's defaults). */
    pollInterval: seconds.optional(),
    bronzeRollMs: positiveInt.default(15_000),
    bronzeIdleMs: positiveInt.optional(),
    /** Seconds to wait for the run's backfill to end and following to begin. */
    readyTimeout: seconds.default(300),
    /** Write one JSON line per sampled row to this file. */
    samples: z.string().trim().min(1).optional(),
    json: z.coerce.boolean().default(false),
  })
  .strict();
type Settings = z.output<typeof settingsSchema>;

const STAGES = ['raw', 'bronze', 'silver'] as const;
type Stage = (typeof STAGES)[number];
const PHASES = ['steady', 'burst'] as const;
type Phase = (typeof PHASES)[number];

const POLL_MS = 250;
const SAMPLED_ROWS_PER_S = 100;

interface Row {
  key: string;
  phase: Phase;
  /** Wall-clock ms the fill was matched (served from then on). */
  matchMs: number;
  /** Per stage: wall-clock ms first seen there. */
  seen: Partial<Record<Stage, number>>;
  /** How ingest came to fetch it (pma-fetch-trigger), when it says. */
  trigger?: string;
}

export interface StageStats {
  n: number;
  missing: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface PhaseResult {
  phase: Phase;
  seconds: number;
  fillsPerSecond: number;
  sampledRows: number;
  /** Latency from match to first seen, seconds. */
  stages: Record<Stage, StageStats>;
  /** Sampled rows per fetch trigger (socket, poll, gap, none). */
  triggers: Record<string, number>;
  /** CPU of the run process over the phase, in cores (1 = one core busy). */
  runCpuCores: number;
}

export interface Goal {
  phase: Phase;
  stage: Stage;
  /** p99 must stay under this, seconds. */
  p99Under: number;
  met: boolean;
}

export interface FreshnessResult {
  phases: PhaseResult[];
  goals: Goal[];
  conditions: { cores: number; loadavg1: number; markets: number; pollInterval: string; bronzeRollMs: number; bronzeIdleMs: string; watcherPollMs: number };
}

/** The time map of the live clock: a segment per speed, wall ms at its start. */
interface Segment {
  sim: number;
  wall: number;
  speed: number;
}

export async function benchFreshness(env: BenchEnv, flags: Record<string, unknown>): Promise<FreshnessResult> {
  const s = benchSettings(env, 'freshness', settingsSchema, flags);
  const dataDir = join(benchScratch(env, 'freshness'), 'data');
  const worldEnd = Date.parse(DEFAULT_WORLD_END) / 1000;
  const sim = await startSimulator({
    port: 0,
    live: true,
    markets: s.markets,
    tradesPerMarket: s.tradesPerMarket,
    pricePoints: 120,
    liveTradeRate: s.rate,
    worldStart: worldEnd - s.historyDays * 86_400,
    worldEnd,
  });
  env.onClose(() => sim.close());
  const segments: Segment[] = [];
  const setSpeed = (speed: number) => {
    sim.world.clock.setSpeed(speed);
    segments.push({ sim: sim.world.clock.now(), wall: Date.now(), speed });
  };
  setSpeed(1);
  const matchMs = (ts: number) => {
    let seg = segments[0]!;
    for (const g of segments) if (g.sim <= ts) seg = g;
    return seg.wall + ((ts - seg.sim) * 1000) / seg.speed;
  };

  const run = startRun(s, sim, dataDir, env);
  const transport = await waitForLog(dataDir, run.child, env.signal);
  env.onClose(() => transport.close());
  const rows = new Map<string, Row>();
  const watch = new AbortController();
  env.signal.addEventListener('abort', () => watch.abort(), { once: true });
  let following = false;
  /** Newest fill timestamp seen in Bronze: past the world's end once Bronze has caught up with the backfill. */
  let newestBronze = 0;
  /** Newest fill timestamp read from the log: the log has caught up with a phase once past its end. */
  let newestRaw = 0;
  // Phase windows in simulated seconds: a row is sampled when its timestamp falls in one.
  const windows: Array<{ phase: Phase; from: number; to: number; digits: number }> = [];
  const phaseOf = (ts: number, tx: string) => {
    const w = windows.find((x) => ts >= x.from && ts < x.to);
    return w && Number.parseInt(tx.slice(-1), 16) < w.digits ? w.phase : undefined;
  };
  const watchers = Promise.all([
    watchRaw(transport, watch.signal, (key, headers, at) => {
      const trigger = headers[HEADERS.fetchTrigger];
      if (trigger) following = true;
      const [tx, , , , , , ts] = key.split('|');
      newestRaw = Math.max(newestRaw, Number(ts));
      const phase = phaseOf(Number(ts), tx ?? '');
      if (!phase || rows.has(key)) return;
      rows.set(key, { key, phase, matchMs: matchMs(Number(ts)), seen: { raw: at }, ...(trigger ? { trigger } : {}) });
    }),
    watchBronze(dataDir, watch.signal, (key, at) => {
      newestBronze = Math.max(newestBronze, Number(key.split('|')[6]));
      const row = rows.get(key);
      if (row && row.seen.bronze === undefined) row.seen.bronze = at;
    }),
    watchSilver(
      defaultSilverPath(dataDir),
      watch.signal,
      () => oldestPending(rows, 'silver', windows),
      (key, at) => {
        const row = rows.get(key);
        if (row && row.seen.silver === undefined) row.seen.silver = at;
      },
    ),
  ]);

  try {
    const readyBy = Date.now() + s.readyTimeout * 1000;
    // Measured from when every layer is live: ingest follows and Bronze has written the backfill.
    while (!following || newestBronze <= worldEnd) {
      if (Date.now() > readyBy) throw new BenchError(`pma run did not start following, or Bronze did not catch up, within ${s.readyTimeout} s`, { dataDir, following, newestBronze });
      if (run.child.exitCode !== null) throw new BenchError(`pma run exited (${run.child.exitCode}) before following: ${run.stderr().trim().slice(-2_000)}`, { dataDir });
      await sleep(POLL_MS, env.signal);
    }
    env.logger.info('the run follows; warming up', { seconds: s.warmupSeconds });
    await sleep(s.warmupSeconds * 1000, env.signal);
    const cpu: Partial<Record<Phase, number>> = {};
    for (const phase of PHASES) {
      const rate = phase === 'steady' ? s.rate : s.burstRate;
      const length = phase === 'steady' ? s.steadySeconds : s.burstSeconds;
      setSpeed(rate / s.rate);
      const from = sim.world.clock.now();
      const rowsPerS = rate * 2;
      windows.push({ phase, from: Math.ceil(from), to: Number.POSITIVE_INFINITY, digits: Math.max(1, Math.min(16, Math.round((16 * SAMPLED_ROWS_PER_S) / rowsPerS))) });
      const cpuBefore = cpuOf(run.child.pid!);
      env.logger.info('phase started', { phase, fillsPerSecond: rate, seconds: length });
      await sleep(length * 1000, env.signal);
      windows[windows.length - 1]!.to = Math.ceil(sim.world.clock.now());
      cpu[phase] = (cpuOf(run.child.pid!) - cpuBefore) / length;
    }
    setSpeed(1);
    // Every sampled row is in the log by now or soon; wait for the later layers, within bounds.
    const drainBy = Date.now() + s.drainSeconds * 1000;
    const end = windows[windows.length - 1]!.to;
    while (Date.now() < drainBy && (newestRaw < end || pendingRows(rows) > 0)) await sleep(POLL_MS, env.signal);
    watch.abort();
    await watchers;
    // Sampled rows the simulator served that never reached the log count as missing at every stage.
    for (const w of windows) {
      for (const t of sim.truth({ types: ['trade'], asOf: w.to - 1 })) {
        const ts = t.timestamp as number;
        if (ts < w.from || rows.has(t.key) || phaseOf(ts, t.transactionHash as string) !== w.phase) continue;
        rows.set(t.key, { key: t.key, phase: w.phase, matchMs: matchMs(ts), seen: {} });
      }
    }
    if (s.samples) writeFileSync(s.samples, [...rows.values()].map((r) => JSON.stringify(r)).join('\n'));
    const phases = PHASES.map((phase) =>
      summarise(
        phase,
        [...rows.values()].filter((r) => r.phase === phase),
        phase === 'steady' ? s.steadySeconds : s.burstSeconds,
        phase === 'steady' ? s.rate : s.burstRate,
        cpu[phase] ?? Number.NaN,
      ),
    );
    const result: FreshnessResult = {
      phases,
      goals: goals(phases, s.bronzeRollMs),
      conditions: {
        cores: availableParallelism(),
        loadavg1: loadavg()[0]!,
        markets: sim.world.marketCount(),
        pollInterval: s.pollInterval === undefined ? 'run default' : `${s.pollInterval} s`,
        bronzeRollMs: s.bronzeRollMs,
        bronzeIdleMs: s.bronzeIdleMs === undefined ? 'run default' : String(s.bronzeIdleMs),
        watcherPollMs: POLL_MS,
      },
    };
    process.stdout.write(s.json ? `${JSON.stringify(result)}\n` : formatResult(result));
    return result;
  } finally {
    watch.abort();
    await watchers.catch(() => undefined);
    await run.stop();
  }
}

/** Starts `pma run --follow` on the simulator's URLs, in its own process. */
function startRun(s: Settings, sim: Simulator, dataDir: string, env: BenchEnv): { child: ChildProcess; stderr(): string; stop(): Promise<void> } {
  const args = [PMA, '--data-dir', dataDir, 'run', '--follow', '--source', 'sim', '--bronze-roll-ms', String(s.bronzeRollMs)];
  if (s.bronzeIdleMs !== undefined) args.push('--bronze-idle-ms', String(s.bronzeIdleMs));
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      PMA_LOG_LEVEL: 'warn',
      PMA_INGEST_GAMMA_URL: sim.urls.gamma,
      PMA_INGEST_DATA_URL: sim.urls.data,
      PMA_INGEST_CLOB_URL: sim.urls.clob,
      PMA_INGEST_WS_URL: sim.urls.ws,
      ...(s.pollInterval === undefined ? {} : { PMA_INGEST_POLL_INTERVAL: String(s.pollInterval) }),
    },
  });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr = (stderr + d).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  env.logger.info('pma run --follow started', { pid: child.pid, dataDir });
  return {
    child,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(kill);
    },
  };
}

/** Opens the run's embedded log once the run has created it. */
async function waitForLog(dataDir: string, child: ChildProcess, signal: AbortSignal): Promise<EmbeddedTransport> {
  const path = embeddedLogPath(dataDir);
  while (!existsSync(path)) {
    if (child.exitCode !== null) throw new BenchError(`pma run exited (${child.exitCode}) before creating its log`, { path });
    await sleep(POLL_MS, signal);
  }
  // A short fallback poll: the wake-up of a reader in another process rests on it.
  return createEmbeddedTransport({ path, logger: silentLogger, safetyPollMs: 50 });
}

async function watchRaw(transport: EmbeddedTransport, signal: AbortSignal, onRecord: (key: string, headers: Record<string, string>, at: number) => void): Promise<void> {
  const topic = TOPICS.rawTrades.name;
  while (!(await transport.admin().listTopics()).some((t) => t.name === topic)) await sleep(POLL_MS, signal).catch(() => undefined);
  if (signal.aborted) return;
  const consumer = transport.consumer({ groupId: `pma-bench-freshness-${process.pid}-${Date.now()}`, fromBeginning: true, clientId: 'pma-bench-freshness' });
  await consumer.subscribe([topic]);
  try {
    while (!signal.aborted) {
      const batches = await consumer.poll({ waitMs: POLL_MS, signal }).catch((err: unknown) => {
        if (signal.aborted) return [];
        throw err;
      });
      const at = Date.now();
      for (const b of batches) for (const r of b.records) if (r.key) onRecord(r.key.toString('utf8'), r.headers, at);
    }
  } finally {
    await consumer.close();
  }
}

/** Reads each new Bronze trades file once, as soon as it is published. */
async function watchBronze(dataDir: string, signal: AbortSignal, onKey: (key: string, at: number) => void): Promise<void> {
  const root = join(dataDir, 'bronze', 'trades');
  const read = new Set<string>();
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    while (!signal.aborted) {
      const fresh: string[] = [];
      if (existsSync(root)) {
        for (const dt of readdirSync(root)) {
          if (!dt.startsWith('dt=')) continue;
          for (const f of readdirSync(join(root, dt))) if (f.endsWith('.parquet') && !read.has(`${dt}/${f}`)) fresh.push(`${dt}/${f}`);
        }
      }
      if (fresh.length > 0) {
        const at = Date.now();
        const list = fresh.map((f) => `'${join(root, f).replaceAll("'", "''")}'`).join(',');
        const reader = await conn.runAndReadAll(`SELECT trade_id FROM read_parquet([${list}])`);
        for (const [key] of reader.getRows()) onKey(String(key), at);
        for (const f of fresh) read.add(f);
      }
      await sleep(POLL_MS, signal).catch(() => undefined);
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/**
 * Asks Silver, as `pma query` does, for the sampled rows from the oldest one not seen there yet
 * (so each answer stays small).
 */
async function watchSilver(silverPath: string, signal: AbortSignal, window: () => { from: number; where: string } | undefined, onKey: (key: string, at: number) => void): Promise<void> {
  while (!signal.aborted) {
    const w = window();
    if (w && existsSync(silverPath)) {
      const sql = `SELECT trade_id FROM TradeFact WHERE epoch(trade_timestamp) >= ${w.from} AND (${w.where})`;
      const answer = await querySilver({ silverPath, maxRows: 1_000_000 }, sql).catch(() => undefined);
      const at = Date.now();
      for (const [key] of answer?.rows ?? []) onKey(String(key), at);
    }
    await sleep(POLL_MS, signal).catch(() => undefined);
  }
}

/** The oldest timestamp of a sampled row in the log but not yet at `stage`, with the sampling predicate as SQL. */
function oldestPending(rows: Map<string, Row>, stage: Stage, windows: ReadonlyArray<{ from: number; to: number; digits: number }>): { from: number; where: string } | undefined {
  let from = Number.POSITIVE_INFINITY;
  for (const r of rows.values()) {
    if (r.seen[stage] !== undefined) continue;
    const ts = Number(r.key.split('|')[6]);
    if (ts < from) from = ts;
  }
  if (!Number.isFinite(from) || windows.length === 0) return undefined;
  const digits = (n: number) => [...Array(n).keys()].map((d) => `'${d.toString(16)}'`).join(',');
  const where = windows
    .map((w) => `(epoch(trade_timestamp) >= ${w.from} AND epoch(trade_timestamp) < ${Number.isFinite(w.to) ? w.to : 1e12} AND right(transaction_hash, 1) IN (${digits(w.digits)}))`)
    .join(' OR ');
  return { from, where };
}

/** Silver p99 under 5 s steady and 15 s in the burst; Bronze within its roll window plus 2 s. */
function goals(phases: PhaseResult[], bronzeRollMs: number): Goal[] {
  const out: Goal[] = [];
  for (const p of phases) {
    const check = (stage: Stage, p99Under: number) => {
      const st = p.stages[stage];
      out.push({ phase: p.phase, stage, p99Under, met: st.n > 0 && st.missing === 0 && st.p99 < p99Under });
    };
    check('silver', p.phase === 'steady' ? 5 : 15);
    check('bronze', bronzeRollMs / 1000 + 2);
  }
  return out;
}

function pendingRows(rows: Map<string, Row>): number {
  let n = 0;
  for (const r of rows.values()) if (r.seen.bronze === undefined || r.seen.silver === undefined) n++;
  return n;
}

function summarise(phase: Phase, rows: Row[], length: number, rate: number, cpu: number): PhaseResult {
  const stages = {} as Record<Stage, StageStats>;
  for (const stage of STAGES) {
    const lat = rows
      .map((r) => r.seen[stage])
      .map((at, i) => (at === undefined ? undefined : (at - rows[i]!.matchMs) / 1000))
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b);
    const q = (p: number) => (lat.length === 0 ? Number.NaN : lat[Math.min(lat.length - 1, Math.ceil(p * lat.length) - 1)]!);
    stages[stage] = { n: lat.length, missing: rows.length - lat.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: lat.length ? lat[lat.length - 1]! : Number.NaN };
  }
  const triggers: Record<string, number> = {};
  for (const r of rows) triggers[r.trigger ?? 'none'] = (triggers[r.trigger ?? 'none'] ?? 0) + 1;
  return { phase, seconds: length, fillsPerSecond: rate, sampledRows: rows.length, stages, triggers, runCpuCores: cpu };
}

export function formatResult(r: FreshnessResult): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const lines = ['phase   stage    rows    p50 s   p90 s   p99 s   max s  missing'];
  for (const p of r.phases) {
    for (const stage of STAGES) {
      const st = p.stages[stage];
      lines.push(
        `${p.phase.padEnd(7)} ${stage.padEnd(7)} ${String(st.n).padStart(5)} ${f(st.p50).padStart(7)} ${f(st.p90).padStart(7)} ${f(st.p99).padStart(7)} ${f(st.max).padStart(7)} ${String(st.missing).padStart(8)}`,
      );
    }
  }
  lines.push('');
  for (const p of r.phases) {
    const total = Object.values(p.triggers).reduce((a, b) => a + b, 0) || 1;
    const shares = Object.entries(p.triggers)
      .map(([k, v]) => `${k} ${((100 * v) / total).toFixed(1)}%`)
      .join(', ');
    lines.push(`${p.phase}: ${p.fillsPerSecond} fills/s for ${p.seconds} s, ${p.sampledRows} sampled rows; fetched on: ${shares}; pma run CPU ${f(p.runCpuCores)} cores`);
  }
  for (const g of r.goals) lines.push(`goal ${g.phase} ${g.stage} p99 < ${g.p99Under} s (every sampled row arrived): ${g.met ? 'met' : 'MISSED'}`);
  const c = r.conditions;
  lines.push(
    `conditions: ${c.cores} cores, load ${c.loadavg1.toFixed(2)}, ${c.markets} markets, poll interval ${c.pollInterval}, Bronze roll ${c.bronzeRollMs} ms (idle ${c.bronzeIdleMs}), watchers poll every ${c.watcherPollMs} ms`,
  );
  return `${lines.join('\n')}\n`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
