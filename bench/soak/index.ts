/**
 * `pma bench soak`: `pma run --follow` as a child process against a live simulator (in this
 * process, so that its truth is at hand) with faults on: HTTP errors, connection resets,
 * WebSocket drops and silent sockets, markets created and resolved every few seconds. Every
 * `--sample-seconds` the run's RSS, heap, open descriptors, log size, lag and Silver freshness
 * are sampled; at the end the run is stopped with SIGINT and Silver's fills are checked against
 * the simulator's up to a cut-off the ingest must have reached. A table of the samples and a
 * verdict per goal are printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { booleanish, positiveInt, resolveSection, sectionSources } from '../../runtime/config.ts';
import { BenchError } from '../../runtime/errors.ts';
import { startSimulator } from '../../simulator/index.ts';
import { embeddedLogPath } from '../../transport/index.ts';
import { startPma } from '../chaos/pma-child.ts';
import { compareFills, type FillCheck, silverFills, truthFills } from './fills.ts';
import { type Goal, judge } from './goals.ts';
import { createTopicsWithRawRetention } from './log-usage.ts';
import { type SoakSample, takeSample } from './sample.ts';

const settingsSchema = z
  .object({
    /** Length of the soak, warm-up included; fractions allowed (a short local run of the CI test). */
    minutes: z.coerce.number().positive().default(30),
    /** Minutes not judged: start-up, the static world's backfill, the first Gold build. Default: a third of the soak, at most 5. */
    warmup: z.coerce.number().min(0).optional(),
    sampleSeconds: positiveInt.default(10),
    markets: positiveInt.default(100),
    /** Fills per second across the live world. */
    tradeRate: z.coerce.number().positive().default(5),
    /** A market created, and one resolved, every this many seconds. */
    marketEvery: z.coerce.number().positive().default(3),
    /** Ingest: seconds between follow passes over the open markets. */
    pollInterval: positiveInt.default(10),
    /** Ingest: seconds between listings, which find the new markets (the product's 300 s would leave a short soak's new markets unseen). */
    relistInterval: positiveInt.default(30),
    /** Retention of the raw topics in this soak, so that it expires within it (default a third of the soak; the product keeps a week). */
    rawRetentionMinutes: z.coerce.number().positive().optional(),
    /** How long, after the soak, the fills up to the cut-off may take to reach Silver. */
    settleSeconds: positiveInt.default(180),
    keep: booleanish.default(false),
  })
  .strict();
type Settings = z.output<typeof settingsSchema>;
const KEYS = Object.keys(settingsSchema.shape);

/** Faults a long live run meets: failed and cut requests, dropped and silent sockets (per connection per second). */
const FAULTS = [
  { kind: 'error', rate: 0.02 },
  { kind: 'reset', rate: 0.01 },
  { kind: 'ws-drop', rate: 0.004 },
  { kind: 'ws-silent', rate: 0.002 },
] as const;

export interface SoakReport {
  settings: Settings & { warmupMinutes: number; rawRetentionMinutes: number };
  samples: SoakSample[];
  goals: Goal[];
  fills: FillCheck;
  /** Faults the simulator injected, by kind. */
  faults: Record<string, number>;
  /** Seconds from the end of the soak until every fill up to the cut-off was in the Silver snapshot (`settled`), or until the wait gave up. */
  settleSeconds: number;
  settled: boolean;
  /** Where the run kept its data (removed unless --keep). */
  dataDir: string;
  /** How the run ended (exit code, last lines of stderr). */
  run: { code: number | null; stderr: string };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number, everyMs: number, gone: () => boolean, signal: AbortSignal): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (gone()) throw new BenchError(`pma run exited while waiting for ${what}`, { what });
    if (Date.now() > end) throw new BenchError(`timed out waiting for ${what}`, { what, timeoutMs });
    await sleep(everyMs, signal);
  }
}

/** Resolves after `ms`, or throws once `signal` is aborted (the bench was stopped). */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
  signal.throwIfAborted();
}

export async function runSoak(flags: Record<string, unknown>, o: { signal: AbortSignal; onSample?: (s: SoakSample) => void }): Promise<SoakReport> {
  const s = resolveSection(settingsSchema, sectionSources('bench-soak', KEYS, {}, process.env, flags));
  const warmupMinutes = s.warmup ?? Math.min(5, s.minutes / 3);
  const dataDir = mkdtempSync(join(tmpdir(), 'pma-soak-'));
  const rawRetentionMinutes = s.rawRetentionMinutes ?? s.minutes / 3;
  await createTopicsWithRawRetention(dataDir, Math.round(rawRetentionMinutes * 60_000));
  const perHour = 3600 / s.marketEvery;
  const sim = await startSimulator({
    port: 0,
    markets: s.markets,
    pricePoints: 120,
    // The world's clock is the wall clock, so that the run's own freshness metrics read true.
    worldEnd: Math.floor(Date.now() / 1000),
    live: true,
    liveTradeRate: s.tradeRate,
    liveNewMarketRate: perHour,
    liveResolveRate: perHour,
    faults: [...FAULTS],
  });
  const config = join(dataDir, 'soak.json');
  writeFileSync(config, JSON.stringify({ ingest: { ...urlSettings(sim.urls), pollInterval: s.pollInterval, relistInterval: s.relistInterval } }));
  const metricsPort = await freePort();
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  // `--source sim` with every URL given: the simulator above, not one in the run's process.
  const run = startPma(dataDir, ['--config', config, 'run', '--source', 'sim', '--follow', '--gold-interval', '30', '--metrics-port', String(metricsPort)]);
  let exited = false;
  const done = run.done.then((o) => {
    exited = true;
    return o;
  });
  const samples: SoakSample[] = [];
  const startedAt = Date.now();
  try {
    await waitFor(
      async () => (await fetch(metricsUrl).catch(() => undefined))?.ok === true,
      'the metrics endpoint',
      60_000,
      200,
      () => exited,
      o.signal,
    );
    const logPath = embeddedLogPath(dataDir);
    const endAt = startedAt + s.minutes * 60_000;
    for (let next = Date.now(); next <= endAt; next += s.sampleSeconds * 1000) {
      await sleep(Math.max(0, next - Date.now()), o.signal);
      if (exited) throw new BenchError('pma run exited during the soak', { after: (Date.now() - startedAt) / 1000, stderr: (await done).stderr.slice(-2000) });
      const sample = await takeSample({ pid: run.child.pid!, metricsUrl, dataDir, logPath, startedAt });
      samples.push(sample);
      o.onSample?.(sample);
    }
    // The cut-off is now: every fill made up to it must reach Silver, through faults and all.
    const cutoff = sim.world.clock.now();
    const toCutoff = truthFills(sim, cutoff);
    const settleStart = Date.now();
    const snapshot = join(dataDir, 'silver.snapshot.duckdb');
    let settled = true;
    await waitFor(
      async () => {
        const have = new Set((await silverFills(snapshot).catch(() => [])).map((f) => f.id));
        for (const id of toCutoff) if (!have.has(id)) return false;
        return true;
      },
      `every fill up to world time ${cutoff} in the Silver snapshot`,
      s.settleSeconds * 1000,
      2_000,
      () => exited,
      o.signal,
    ).catch((err: unknown) => {
      // Not fatal here: the check below, on the final Silver, names what is missing.
      if (exited || o.signal.aborted) throw err;
      settled = false;
    });
    const settleSeconds = (Date.now() - settleStart) / 1000;
    run.child.kill('SIGINT');
    const outcome = await done;
    const fills = compareFills(await silverFills(join(dataDir, 'silver.duckdb')), toCutoff, truthFills(sim, sim.world.clock.now()), cutoff);
    const window = samples.filter((x) => x.at >= warmupMinutes * 60);
    const goals = judge(window, fills);
    goals.push({ goal: 'clean stop on SIGINT', measured: `exit ${outcome.code}`, target: 'exit 0', met: outcome.code === 0 });
    const counts = (sim.stats() as { faults?: Record<string, number> }).faults ?? {};
    return {
      settings: { ...s, warmupMinutes, rawRetentionMinutes },
      dataDir,
      samples,
      goals,
      fills,
      faults: counts,
      settleSeconds,
      settled,
      run: { code: outcome.code, stderr: outcome.stderr.split('\n').slice(-20).join('\n') },
    };
  } finally {
    if (!exited) {
      run.child.kill('SIGKILL');
      await done;
    }
    await sim.close();
    if (!s.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

function urlSettings(urls: { gamma: string; data: string; clob: string; ws: string }) {
  return { gammaUrl: urls.gamma, dataUrl: urls.data, clobUrl: urls.clob, wsUrl: urls.ws };
}
