/**
 * `pma bench ingest`: the producers against `pma sim` in a child process, two measurements.
 *
 * 1. Budget: with the simulator enforcing the published limits, ingest trades and prices for a
 *    while and count, at the server, the requests per limit group at steady state (after a
 *    warm-up). Goal: >= 95% of the allowed rate of each saturated group (data /trades 200 per
 *    10 s, CLOB /prices-history 1,000 per 10 s), with the throttling the server reports.
 * 2. Throughput: limits off, markets with long histories, ingest trades only; records/s from the
 *    simulator to the raw topic (published and durable). Goal: >= 50,000 records/s. Beside it,
 *    the ceilings of the same run: how fast the simulator serves and this process parses the same
 *    pages (no publishing), and how fast the log takes the same records, encoded, with their
 *    headers. CPU seconds per record of both processes are reported too: on a shared machine
 *    they say more about the code than the wall clock.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { Pool } from 'undici';
import { z } from 'zod';
import { runIngest } from '../producers/run.ts';
import { ingestSettingsSchema } from '../producers/settings.ts';
import { EmbeddedRegistry } from '../registry/embedded.ts';
import { Serde } from '../registry/serde.ts';
import { booleanish, positiveInt, resolveSection, sectionSources } from '../runtime/config.ts';
import { BenchError } from '../runtime/errors.ts';
import { silentLogger } from '../runtime/logger.ts';
import { toRawTrade } from '../schemas/raw/index.ts';
import { TOPICS } from '../schemas/topics.ts';
import { createEmbeddedTransport } from '../transport/embedded/index.ts';
import type { BenchEnv } from './env.ts';
import { formatTable, goalsMet, type Rate, type ResultRow } from './measure.ts';
import { cpuOf, spawnListening } from './processes.ts';

const PMA = fileURLToPath(new URL('../cli/pma.ts', import.meta.url));

const settingsSchema = z
  .object({
    /** Seconds of the budget measurement (after the warm-up). */
    budgetSeconds: positiveInt.default(30),
    /** Seconds of the throughput measurement (after the warm-up). */
    throughputSeconds: positiveInt.default(20),
    warmup: z.coerce.number().int().min(0).default(5),
    /** Trade feed for the throughput run: the default (v2 where served) or v1 pages. */
    feed: z.enum(['auto', 'v1']).default('auto'),
    tradesPageSize: positiveInt.default(10_000),
    tradeWorkers: positiveInt.default(8),
    fillRoles: booleanish.default(true),
    skip: z.enum(['none', 'budget', 'throughput']).default('none'),
  })
  .strict();
type Settings = z.output<typeof settingsSchema>;
const KEYS = Object.keys(settingsSchema.shape);

interface Sim {
  child: ChildProcess;
  url: string;
  close(): Promise<void>;
}

async function spawnSim(args: string[]): Promise<Sim> {
  const { child, url } = await spawnListening([PMA, 'sim', '--port', '0', ...args]);
  return {
    child,
    url,
    close: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}

const cpuSelf = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface RouteCounts {
  [route: string]: { requests: number; statuses: Record<string, number> };
}

async function simStats(url: string): Promise<{ routes: RouteCounts; throttled: number; rejected429: number }> {
  const res = await fetch(`${url}/__sim/stats`);
  return (await res.json()) as { routes: RouteCounts; throttled: number; rejected429: number };
}

/** A run of the producers in this process against `url`, stopped after `seconds`. */
async function ingestFor(url: string, seconds: number, extra: Record<string, unknown>, onTick?: (elapsed: number, tradesPublished: number) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'pma-bench-ingest-'));
  const path = join(dir, 'log.sqlite');
  const transport = await createEmbeddedTransport({ path, logger: silentLogger });
  const registry = new EmbeddedRegistry({ path });
  const metrics = new Registry();
  const stop = new AbortController();
  const settings = ingestSettingsSchema.parse({ source: 'sim', ...extra });
  const urls = { gamma: `${url}/gamma`, data: `${url}/data`, clob: `${url}/clob`, ws: `${url.replace('http', 'ws')}/ws/market` };
  const started = performance.now();
  const run = runIngest({ ...settings, urls }, { transport, serde: new Serde(registry), logger: silentLogger, signal: stop.signal, metrics });
  let done = false;
  void run.finally(() => {
    done = true;
  });
  const published = async () => {
    const counter = metrics.getSingleMetric('pma_ingest_records_total');
    const values = counter ? (await counter.get()).values : [];
    return values.filter((v) => v.labels.topic === TOPICS.rawTrades.name).reduce((n, v) => n + v.value, 0);
  };
  while (!done && performance.now() - started < seconds * 1000) {
    await new Promise((r) => setTimeout(r, 250));
    await onTick?.((performance.now() - started) / 1000, await published());
  }
  stop.abort();
  await run;
  const trades = (await transport.admin().offsets(TOPICS.rawTrades.name)).reduce((n, p) => n + p.high, 0);
  const throttles = metrics.getSingleMetric('pma_ingest_throttles_total');
  const throttleValues = throttles ? (await throttles.get()).values : [];
  const clientThrottles = { reject: 0, delay: 0 };
  for (const v of throttleValues) clientThrottles[v.labels.kind as 'reject' | 'delay'] += v.value;
  await transport.close();
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
  return { trades, clientThrottles, finished: done && performance.now() - started < seconds * 1000 };
}

async function budget(s: Settings, write: (l: string) => void): Promise<boolean> {
  write(`\n1. request budget: limits at the published defaults (simulator enforces them), trades + prices for ${s.budgetSeconds} s after ${s.warmup} s`);
  const sim = await spawnSim(['--markets', '4000', '--trades-per-market', '150', '--price-points', '2000', '--seed', '3']);
  try {
    let first: Awaited<ReturnType<typeof simStats>> | undefined;
    let t0 = 0;
    let last: Awaited<ReturnType<typeof simStats>> | undefined;
    let t1 = 0;
    const run = await ingestFor(sim.url, s.warmup + s.budgetSeconds + 1, { mode: 'trades,prices', rateLimits: 'current' }, async (elapsed) => {
      if (!first && elapsed >= s.warmup) {
        first = await simStats(sim.url);
        t0 = performance.now();
      } else if (first && elapsed >= s.warmup + s.budgetSeconds && !last) {
        last = await simStats(sim.url);
        t1 = performance.now();
      }
    });
    if (!first || !last) throw new BenchError('the ingest ended before the measurement window closed');
    const seconds = (t1 - t0) / 1000;
    const count = (st: typeof first, routes: string[]) => routes.reduce((n, r) => n + (st!.routes[r]?.requests ?? 0), 0);
    const groups = [
      { name: 'data /trades (200 per 10 s)', routes: ['data:/trades', 'data:/v2/trades'], allowed: 20 },
      { name: 'clob /prices-history (1,000 per 10 s)', routes: ['clob:/prices-history'], allowed: 100 },
    ];
    let ok = true;
    const rows = [['limit group', 'requests', 'req/s', 'allowed/s', 'used', 'goal']];
    for (const g of groups) {
      const n = count(last, g.routes) - count(first, g.routes);
      const rate = n / seconds;
      const used = rate / g.allowed;
      ok &&= used >= 0.95;
      rows.push([g.name, String(n), rate.toFixed(1), String(g.allowed), `${(used * 100).toFixed(1)}%`, `>= 95% ${used >= 0.95 ? 'met' : 'MISSED'}`]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows)
      write(
        r
          .map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
          .join('  ')
          .trimEnd(),
      );
    write(
      `server throttling in the window: ${last.throttled - first.throttled} held, ${last.rejected429 - first.rejected429} refused (429); throttling the producers saw over the run: ${run.clientThrottles.reject} refusals, ${run.clientThrottles.delay} held-looking responses`,
    );
    return ok;
  } finally {
    await sim.close();
  }
}

async function throughput(s: Settings, write: (l: string) => void): Promise<boolean> {
  const roles = s.fillRoles ? 'with taker/maker labels' : 'without role labels';
  write(
    `\n2. throughput: limits off, trades only, feed ${s.feed}${s.feed === 'v1' ? ` (${s.tradesPageSize} rows per page)` : ''}, ${s.tradeWorkers} workers, ${roles}, ${s.throughputSeconds} s after ${s.warmup} s`,
  );
  const sim = await spawnSim(['--no-limits', '--no-fixtures', '--markets', '60', '--trades-per-market', '30000', '--seed', '5']);
  try {
    interface Mark {
      trades: number;
      t: number;
      cpu: number;
      simCpu: number;
      elu: EventLoopUtilization;
    }
    const mark = (trades: number): Mark => ({ trades, t: performance.now(), cpu: cpuSelf(), simCpu: cpuOf(sim.child.pid!), elu: performance.eventLoopUtilization() });
    let atWarm: Mark | undefined;
    let atEnd: Mark | undefined;
    await ingestFor(
      sim.url,
      s.warmup + s.throughputSeconds,
      { mode: 'trades', rateLimits: 'off', tradesFeed: s.feed, tradesPageSize: s.tradesPageSize, tradeWorkers: s.tradeWorkers, fillRoles: s.fillRoles },
      async (elapsed, trades) => {
        if (!atWarm && elapsed >= s.warmup) atWarm = mark(trades);
        else if (atWarm) atEnd = mark(trades);
      },
    );
    if (!atWarm || !atEnd) throw new BenchError('the ingest ended during the warm-up: make the world larger');
    const seconds = (atEnd.t - atWarm.t) / 1000;
    const measured: Rate = { records: atEnd.trades - atWarm.trades, bytes: 0, seconds, cpuSeconds: atEnd.cpu - atWarm.cpu };
    const ceiling = await serveCeiling(sim.url, s, Math.min(10, s.throughputSeconds));
    const logCeiling = await logCeilingRate();
    // JSON bytes served per record, as the serving ceiling measured them.
    measured.bytes = measured.records * (ceiling.rate.bytes / Math.max(1, ceiling.rate.records));
    const rows: ResultRow[] = [
      { phase: 'simulator -> raw topic', measured, ceiling: ceiling.rate, goal: 50_000 },
      { phase: 'simulator -> raw topic (vs log)', measured, ceiling: logCeiling },
    ];
    for (const line of formatTable(rows).split('\n')) write(line);
    const perRecord = ((atEnd.cpu - atWarm.cpu) * 1e6) / measured.records;
    const simPerRecord = ((atEnd.simCpu - atWarm.simCpu) * 1e6) / measured.records;
    write(
      `cpu per record: ingest ${perRecord.toFixed(1)} µs, simulator ${simPerRecord.toFixed(1)} µs (at 100% of 2 cores that is ${Math.round(2e6 / (perRecord + simPerRecord)).toLocaleString('en-US')} records/s); ingest event loop busy ${(performance.eventLoopUtilization(atEnd.elu, atWarm.elu).utilization * 100).toFixed(0)}%`,
    );
    write(
      `ceilings: "serve" = the simulator serving and this process parsing the same pages, ${ceiling.concurrency} at a time, nothing published; "log" = the embedded log taking the same records, Avro-encoded, with their headers`,
    );
    return goalsMet(rows.slice(0, 1));
  } finally {
    await sim.close();
  }
}

/** The simulator serving trade pages and this process parsing them, without publishing. */
async function serveCeiling(url: string, s: Settings, seconds: number): Promise<{ rate: Rate; concurrency: number }> {
  const pool = new Pool(url, { connections: s.tradeWorkers * 2 });
  const markets = ((await (await fetch(`${url}/clob/markets`)).json()) as { data: Array<{ condition_id: string }> }).data.map((m) => m.condition_id);
  let rows = 0;
  let bytes = 0;
  let i = 0;
  const cpu0 = cpuSelf();
  const t0 = performance.now();
  const path = (m: string, k: number) =>
    s.feed === 'v1'
      ? `/data/trades?market=${m}&takerOnly=false&limit=${s.tradesPageSize}&offset=0&start=1&end=${1793491199 - k * 3_600}`
      : `/data/v2/trades?market=${m}&taker_only=false&limit=1000&start=1&end=${1793491199 - k * 3_600}`;
  const worker = async () => {
    while (performance.now() - t0 < seconds * 1000) {
      const k = i++;
      const res = await pool.request({ path: path(markets[k % markets.length]!, k), method: 'GET' });
      const text = await res.body.text();
      bytes += text.length;
      const v = JSON.parse(text) as unknown[] | { data?: unknown[] };
      rows += Array.isArray(v) ? v.length : (v.data?.length ?? 0);
    }
  };
  await Promise.all(Array.from({ length: s.tradeWorkers }, worker));
  const rate: Rate = { records: rows, bytes, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSelf() - cpu0 };
  await pool.close();
  return { rate, concurrency: s.tradeWorkers };
}

/** The embedded log taking Avro-encoded trade records with their headers, in pages of 1,000. */
async function logCeilingRate(): Promise<Rate> {
  const dir = mkdtempSync(join(tmpdir(), 'pma-bench-log-'));
  const path = join(dir, 'log.sqlite');
  const transport = await createEmbeddedTransport({ path, logger: silentLogger });
  const registry = new EmbeddedRegistry({ path });
  try {
    await transport.admin().createTopics([{ name: TOPICS.rawTrades.name, partitions: TOPICS.rawTrades.partitions }]);
    const codec = await new Serde(registry).codecFor(TOPICS.rawTrades);
    const producer = transport.producer();
    const row = {
      proxyWallet: '0x7fab72980a5b1a90fb1d62ec6ea63e3ea3c52036',
      side: 'BUY',
      asset: '71914263270775904014534085407679179460127771717713162971668135401914679047084',
      conditionId: '0x61f987a8ff08a67b7d736f7a3dc44f2012057c4bfaf0713aff27ed0da9b8fa64',
      size: 100,
      price: 0.969,
      timestamp: 1765338701,
      title: 'Will the simulated thing happen?',
      slug: 'will-the-simulated-thing-happen',
      icon: 'https://example.invalid/icon.png',
      eventSlug: 'simulated-event',
      outcome: 'Yes',
      outcomeIndex: 0,
      name: 'trader',
      pseudonym: 'Simulated-Trader',
      bio: '',
      profileImage: '',
      profileImageOptimized: '',
      transactionHash: '0x61f987a8ff08a67b7d736f7a3dc44f2012057c4bfaf0713aff27ed0da9b8fa64',
    };
    const headers = {
      'pma-source-endpoint': 'data:/trades',
      'pma-request-params': '{"market":"0x61f987a8ff08a67b7d736f7a3dc44f2012057c4bfaf0713aff27ed0da9b8fa64","taker_only":false,"limit":1000,"start":1,"end":1793491199}',
      'pma-fetched-at': String(Date.now()),
      'pma-fill-role': 'taker',
    };
    const pages = 200;
    let bytes = 0;
    const cpu0 = cpuSelf();
    const t0 = performance.now();
    for (let p = 0; p < pages; p++) {
      const records = [];
      for (let i = 0; i < 1000; i++) {
        const value = codec.encode(toRawTrade({ ...row, timestamp: row.timestamp + p * 1000 + i }));
        bytes += value.length;
        records.push({ key: Buffer.from(`${row.transactionHash}|${p}|${i}`), value, headers });
      }
      await producer.send(TOPICS.rawTrades.name, records);
    }
    return { records: pages * 1000, bytes, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSelf() - cpu0 };
  } finally {
    await transport.close();
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runBench(s: Settings, write: (l: string) => void): Promise<boolean> {
  write(`pma bench ingest: ${availableParallelism()} cores, load ${loadavg()[0]!.toFixed(2)} (others running on the machine make wall-clock rates lower; CPU per record does not move with them)`);
  let ok = true;
  if (s.skip !== 'budget') ok = (await budget(s, write)) && ok;
  if (s.skip !== 'throughput') ok = (await throughput(s, write)) && ok;
  write(`\n${ok ? 'all goals met' : 'some goals MISSED'}`);
  return ok;
}

/** Settings from `flags`, the config file's "bench" section and PMA_BENCH_*; true when every goal was met. */
export async function benchIngest(env: BenchEnv, flags: Record<string, unknown>): Promise<boolean> {
  const settings = resolveSection(settingsSchema, sectionSources('bench', KEYS, env.config.file, process.env, flags));
  return runBench(settings, (line) => process.stdout.write(`${line}\n`));
}
