import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { z } from 'zod';
import { positiveInt, resolveSection, sectionSources } from '../runtime/config.ts';
import type { World } from '../simulator/world/world.ts';
import { cpuOf, rssOf, spawnListening } from './processes.ts';

const TIME_PERIODS = ['DAY', 'WEEK', 'MONTH', 'ALL'] as const;

const PMA = fileURLToPath(new URL('../cli/pma.ts', import.meta.url));

const settingsSchema = z
  .object({
    markets: positiveInt.default(200_000),
    tradesPerMarket: positiveInt.default(300),
    rate: positiveInt.default(1_000),
    duration: positiveInt.default(20),
    warmup: z.coerce.number().int().min(0).default(3),
    connections: positiveInt.default(32),
    seed: z.coerce.number().int().min(0).default(1),
    /** `ingest`: the routes an ingest uses, weighted like one; `trades`: trade pages only. */
    mix: z.enum(['ingest', 'trades']).default('ingest'),
  })
  .strict();
type Settings = z.output<typeof settingsSchema>;
const KEYS = Object.keys(settingsSchema.shape);

interface Target {
  route: string;
  path: string;
}

/**
 * Random pages over the world, weighted like a full ingest of it: per market an ingest asks for
 * a few trade pages and dozens of price-history chunks (about 100,000 and 1,000,000 requests in
 * a Polymarket-sized world), while the listings (Gamma, CLOB: a few hundred pages for the whole
 * world) and boards (a few hundred) are well under 1% of its requests. Every route is still
 * asked, so each one's latencies show in the table.
 */
export function targets(world: World, fillCount: (w: World, m: number, t: number) => number, mix: Settings['mix'], count: number, seed: number): Target[] {
  let x = seed || 1;
  const rnd = () => {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    return x / 4_294_967_296;
  };
  const now = world.clock.now();
  const n = world.marketCount();
  const traded: number[] = [];
  const open: number[] = [];
  for (let m = 0; m < n; m++) {
    if (world.histCount(m) > 0) traded.push(m);
    if (!world.isClosed(m, now) && world.enableOrderBookOf(m)) open.push(m);
  }
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)]!;
  const weights: Array<[number, () => Target]> = [
    [
      mix === 'trades' ? 1 : 0.3,
      () => {
        const m = pick(traded);
        const rows = fillCount(world, m, now) * 2;
        const limit = rnd() < 0.5 ? 100 : 500;
        const offset = Math.floor((rnd() * Math.min(rows, 10_000)) / limit) * limit;
        return { route: 'data /trades', path: `/data/trades?market=${world.conditionId(m)}&takerOnly=false&limit=${limit}&offset=${offset}` };
      },
    ],
    [
      mix === 'trades' ? 0 : 0.6,
      () => {
        const m = pick(traded);
        const created = world.createdAt(m);
        const end = Math.min(now, world.closeTime(m));
        const start = created + Math.floor(rnd() * Math.max(1, end - created - 86_400));
        return { route: 'clob /prices-history', path: `/clob/prices-history?market=${world.tokenId(m, rnd() < 0.5 ? 0 : 1)}&startTs=${start}&endTs=${start + 86_400}&fidelity=60` };
      },
    ],
    [mix === 'trades' ? 0 : 0.03, () => ({ route: 'clob /book', path: `/clob/book?token_id=${world.tokenId(pick(open), rnd() < 0.5 ? 0 : 1)}` })],
    [mix === 'trades' ? 0 : 0.02, () => ({ route: 'clob /midpoint', path: `/clob/midpoint?token_id=${world.tokenId(pick(open), 0)}` })],
    [
      mix === 'trades' ? 0 : 0.02,
      () => {
        const cats = world.profile.data.leaderboardCategories;
        return {
          route: 'data /v1/leaderboard',
          path: `/data/v1/leaderboard?category=${pick([...cats])}&timePeriod=${pick([...TIME_PERIODS])}&orderBy=${rnd() < 0.5 ? 'PNL' : 'VOL'}&limit=50&offset=${Math.floor(rnd() * 4) * 50}`,
        };
      },
    ],
    [mix === 'trades' ? 0 : 0.001, () => ({ route: 'gamma /markets', path: `/gamma/markets?closed=${rnd() < 0.5}&limit=100&offset=${Math.floor(rnd() * 20) * 100}` })],
    [mix === 'trades' ? 0 : 0.001, () => ({ route: 'gamma /events', path: `/gamma/events?limit=100&offset=${Math.floor(rnd() * 20) * 100}` })],
    [mix === 'trades' ? 0 : 0.0005, () => ({ route: 'clob /markets', path: `/clob/markets?next_cursor=${Buffer.from(`id:${world.marketId(pick(traded))}`).toString('base64')}` })],
  ];
  const total = weights.reduce((a, [w]) => a + w, 0);
  const out: Target[] = [];
  for (let i = 0; i < count; i++) {
    let u = rnd() * total;
    for (const [w, make] of weights) {
      u -= w;
      if (u < 0) {
        out.push(make());
        break;
      }
    }
  }
  return out;
}

const CEILING_SERVER = `
const http = require('node:http');
const body = Buffer.alloc(Number(process.argv[1]), 'x');
const server = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); });
server.listen(0, '127.0.0.1', () => process.stdout.write('listening http://127.0.0.1:' + server.address().port + '\\n'));
`;

interface Sample {
  route: string;
  ms: number;
  bytes: number;
  ok: boolean;
}

/** Open-loop load: `rate` requests per second for `seconds`, whatever the latencies. */
export async function load(url: string, list: Target[], rate: number, seconds: number, connections: number, onSample?: (s: Sample) => void): Promise<{ samples: Sample[]; seconds: number }> {
  const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const samples: Sample[] = [];
  const inflight = new Set<Promise<void>>();
  const started = performance.now();
  let sent = 0;
  const total = rate * seconds;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    while (sent < due) {
      const t = list[sent % list.length]!;
      sent++;
      const s = performance.now();
      const p = pool
        .request({ method: 'GET', path: t.path })
        .then(async (res) => {
          // Counted as it streams in: copying bodies would make the load generator the bottleneck.
          let bytes = 0;
          for await (const chunk of res.body) bytes += (chunk as Buffer).length;
          const sample = { route: t.route, ms: performance.now() - s, bytes, ok: res.statusCode === 200 };
          samples.push(sample);
          onSample?.(sample);
        })
        .catch(() => {
          samples.push({ route: t.route, ms: performance.now() - s, bytes: 0, ok: false });
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return { samples, seconds: elapsed };
}

function pct(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

/** Client-side latencies per route, and beside them the server's own (request parsed to response written) where given. */
function summarise(samples: Sample[], served?: ServedSample[]): string[][] {
  const routes = [...new Set(samples.map((s) => s.route))].sort();
  const rows = [['route', 'requests', 'errors', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'mean KB', ...(served ? ['served p50', 'served p99'] : [])]];
  for (const route of [...routes, 'all']) {
    const s = route === 'all' ? samples : samples.filter((x) => x.route === route);
    const ms = s.map((x) => x.ms).sort((a, b) => a - b);
    const row = [
      route,
      String(s.length),
      String(s.filter((x) => !x.ok).length),
      pct(ms, 0.5).toFixed(2),
      pct(ms, 0.9).toFixed(2),
      pct(ms, 0.99).toFixed(2),
      ms[ms.length - 1]!.toFixed(1),
      (s.reduce((a, x) => a + x.bytes, 0) / s.length / 1024).toFixed(1),
    ];
    if (served) {
      const sv = (route === 'all' ? served : served.filter((x) => x.route === route)).map((x) => x.ms).sort((a, b) => a - b);
      row.push(pct(sv, 0.5).toFixed(2), pct(sv, 0.99).toFixed(2));
    }
    rows.push(row);
  }
  return rows;
}

interface ServedSample {
  route: string;
  ms: number;
}

/**
 * Follows the simulator's request log while a load runs: each request's own latency at the
 * server, from the request parsed to the last byte handed to the socket. Polled every second
 * with `since`, so the log's ring never wraps between two polls at the rates benched here.
 */
function followServed(url: string): { stop(): Promise<ServedSample[]> } {
  const out: ServedSample[] = [];
  let last: number | undefined;
  let stopped = false;
  const poll = async () => {
    const query = last === undefined ? 'limit=1' : `since=${last}&limit=1000000`;
    const entries = (await (await fetch(`${url}/__sim/requests?${query}`)).json()) as Array<{ seq: number; route: string; latencyMs: number }>;
    for (const e of entries) {
      if (last !== undefined && !e.route.startsWith('control:')) out.push({ route: e.route.replace(':', ' '), ms: e.latencyMs });
      last = Math.max(last ?? -1, e.seq);
    }
    last ??= -1;
  };
  const loop = (async () => {
    await poll();
    while (!stopped) {
      await new Promise((r) => setTimeout(r, 1_000));
      await poll();
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return out;
    },
  };
}

async function runBench(s: Settings, write: (line: string) => void): Promise<boolean> {
  write(
    `pma bench sim: ${s.markets} markets, ${s.tradesPerMarket} fills/market, ${s.rate} req/s for ${s.duration} s (+${s.warmup} s warm-up), ${s.connections} connections, mix ${s.mix}; ${availableParallelism()} cores, load ${loadavg()[0]!.toFixed(2)}`,
  );
  const worldOptions = { seed: s.seed, markets: s.markets, tradesPerMarket: s.tradesPerMarket };
  const sim = await spawnListening([PMA, 'sim', '--port', '0', '--no-limits', '--seed', String(s.seed), '--markets', String(s.markets), '--trades-per-market', String(s.tradesPerMarket)]);
  const idleRss = rssOf(sim.child.pid!);
  let peakRss = idleRss;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, rssOf(sim.child.pid!));
  }, 100);
  let ceiling: Awaited<ReturnType<typeof spawnListening>> | null = null;
  try {
    const { createWorld } = await import('../simulator/index.ts');
    const { fillCount } = await import('../simulator/world/fills.ts');
    const { world } = createWorld(worldOptions);
    const list = targets(world, fillCount, s.mix, 50_000, s.seed + 1);
    if (s.warmup > 0) await load(sim.url, list.slice(25_000), s.rate, s.warmup, s.connections);
    const following = followServed(sim.url);
    const cpuBefore = cpuOf(sim.child.pid!);
    const measured = await load(sim.url, list, s.rate, s.duration, s.connections);
    const cpuUsed = cpuOf(sim.child.pid!) - cpuBefore;
    const served = await following.stop();
    clearInterval(rssTimer);
    peakRss = Math.max(peakRss, rssOf(sim.child.pid!));
    const meanBytes = Math.round(measured.samples.reduce((a, x) => a + x.bytes, 0) / measured.samples.length);
    ceiling = await spawnListening(['-e', CEILING_SERVER, String(meanBytes)]);
    const flat = list.map((t) => ({ ...t, route: 'ceiling (fixed body)' }));
    if (s.warmup > 0) await load(ceiling.url, flat, s.rate, s.warmup, s.connections);
    const base = await load(ceiling.url, flat, s.rate, s.duration, s.connections);

    const achieved = measured.samples.length / measured.seconds;
    const all = measured.samples.map((x) => x.ms).sort((a, b) => a - b);
    const p99 = pct(all, 0.99);
    const servedP99 = pct(
      served.map((x) => x.ms).sort((a, b) => a - b),
      0.99,
    );
    const ceilingP99 = pct(
      base.samples.map((x) => x.ms).sort((a, b) => a - b),
      0.99,
    );
    const errors = measured.samples.filter((x) => !x.ok).length;
    write(`\nstart: ${sim.startMs.toFixed(0)} ms from spawn to listening (goal < 2000 ms: ${sim.startMs < 2_000 ? 'met' : 'MISSED'})`);
    write(
      `simulator CPU: ${((cpuUsed / measured.seconds) * 100).toFixed(0)}% of one core, ${((cpuUsed * 1000) / measured.samples.length).toFixed(3)} ms per request (independent of other load on the machine)`,
    );
    write(`\n${table(summarise(measured.samples, served))}`);
    write(`\n${table(summarise(base.samples))}`);
    const goals = [
      [`requests/s achieved`, achieved.toFixed(0), `>= ${s.rate * 0.98}`, achieved >= s.rate * 0.98],
      ['p99 served, all routes (ms)', servedP99.toFixed(2), '< 5', servedP99 < 5],
      [`p99 seen by the client (ms; the ceiling's ${ceilingP99.toFixed(2)})`, p99.toFixed(2), '', true],
      ['errors', String(errors), '0', errors === 0],
      ['simulator RSS at start (MB)', (idleRss / 1e6).toFixed(0), '', true],
      ['simulator peak RSS (MB)', (peakRss / 1e6).toFixed(0), '< 200', peakRss < 200e6],
      ['start (ms)', sim.startMs.toFixed(0), '< 2000', sim.startMs < 2_000],
    ] as const;
    write(`\n${table([['goal', 'measured', 'target', ''], ...goals.map(([n, v, t, ok]) => [n, v, t, t === '' ? '' : ok ? 'met' : 'MISSED'])])}`);
    return goals.every((g) => g[3]);
  } finally {
    clearInterval(rssTimer);
    sim.child.kill('SIGKILL');
    ceiling?.child.kill('SIGKILL');
  }
}

/** Settings from `flags` and PMA_BENCH_*; true when every goal was met. */
export async function benchSim(flags: Record<string, unknown>): Promise<boolean> {
  const settings = resolveSection(settingsSchema, sectionSources('bench', KEYS, {}, process.env, flags));
  return runBench(settings, (line) => process.stdout.write(`${line}\n`));
}
