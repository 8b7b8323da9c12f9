/**
 * Several processor instances in one consumer group over one log, and a world of markets and
 * trades whose enrichment is known from the field values alone (the oracle for "the same with 1
 * or N processors").
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { runProcessors, SOURCE_HEADER } from '../../processors/index.ts';
import type { ProcessorOptions, ProcessorResult } from '../../processors/runner.ts';
import type { Serde } from '../../registry/serde.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { ConsumedRecord, Transport } from '../../transport/types.ts';
import { type PmaProcess, pmaProcess } from '../pma-process.ts';
import { readTopic } from '../sinks/log-harness.ts';
import { publishRaw, type RawItem } from './raw-in.ts';

export const COND = (i: number) => `0x${String(i).padStart(64, 'c')}`;
export const TOKEN = (i: number, k: number) => `${9_000_000 + i * 10 + k}`;

export function gammaMarket(i: number): RawItem {
  return {
    key: `${1000 + i}`,
    json: {
      id: `${1000 + i}`,
      conditionId: COND(i),
      question: `Market ${i}?`,
      outcomes: '["Yes", "No"]',
      outcomePrices: '["0.4", "0.6"]',
      clobTokenIds: JSON.stringify([TOKEN(i, 0), TOKEN(i, 1)]),
      events: [{ id: `ev${i}`, slug: `event-ev${i}` }],
    },
  };
}

/** A trade of market `m` that names neither its token nor its outcome: only the market's record can complete it. */
export function bareTrade(m: number, k: number): RawItem {
  return {
    key: `fill-${m}-${k}`,
    json: {
      proxyWallet: `0x${String(k).padStart(40, 'a')}`,
      side: k % 2 ? 'BUY' : 'SELL',
      asset: '',
      conditionId: COND(m),
      size: 10 + k,
      price: 0.5,
      timestamp: 1_765_000_000 + k,
      outcome: null,
      outcomeIndex: k % 2,
      transactionHash: `0x${String(m * 1000 + k).padStart(64, 'f')}`,
    },
    headers: { 'pma-fill-role': 'taker' },
  };
}

/** Checks every clean trade against the world: each fill once, enriched as its market says. */
export async function expectTradesEnriched(serde: Serde, records: ConsumedRecord[], markets: number, perMarket: number): Promise<void> {
  const codec = await serde.codecFor<Record<string, unknown>>(TOPICS.trades);
  const seen = new Map<string, Record<string, unknown>>();
  const twice: string[] = [];
  for (const r of records) {
    const t = (await codec.decode(r.value!)) as Record<string, unknown>;
    if (seen.has(String(t.trade_id))) twice.push(`${t.trade_id} from ${r.headers[SOURCE_HEADER]} at ${r.partition}/${r.offset}`);
    seen.set(String(t.trade_id), t);
  }
  expect(twice.length, `trades out more than once, e.g. ${twice.slice(0, 5).join('; ')}`).to.equal(0);
  expect(seen.size).to.equal(markets * perMarket);
  const wrong: string[] = [];
  for (let m = 1; m <= markets; m++) {
    for (let k = 0; k < perMarket; k++) {
      const t = seen.get(`fill-${m}-${k}`);
      const want = { condition_id: COND(m), token_id: TOKEN(m, k % 2), outcome: k % 2 ? 'No' : 'Yes', event_id: `ev${m}`, event_slug: `event-ev${m}`, unresolved: false };
      if (!t || Object.entries(want).some(([f, v]) => t[f] !== v)) wrong.push(`fill-${m}-${k}: ${JSON.stringify(t && { token_id: t.token_id, event_id: t.event_id, unresolved: t.unresolved })}`);
    }
  }
  expect(wrong.length, `${wrong.length} trades not enriched as their market says, e.g. ${wrong.slice(0, 5).join('; ')}`).to.equal(0);
}

export interface RunningProcessors {
  /** Aborts every instance and gathers their results. */
  stop(): Promise<ProcessorResult[]>;
}

/** Starts `n` processors in one group, each with its own transport from `open`, running until stopped. */
export function startProcessors(n: number, open: () => Promise<{ transport: Transport; serde: Serde }>, options: ProcessorOptions = {}): RunningProcessors {
  const controllers = Array.from({ length: n }, () => new AbortController());
  const runs = controllers.map(async (controller) => {
    const { transport, serde } = await open();
    try {
      return await runProcessors(options, { transport, serde, logger: silentLogger, signal: controller.signal, until: 'signal' });
    } finally {
      await transport.close();
    }
  });
  return {
    async stop() {
      for (const c of controllers) c.abort();
      return Promise.all(runs);
    },
  };
}

/** Polls `check` every 100 ms until it holds; fails naming `what` after `ms`. */
export async function waitFor(check: () => Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Records in a topic: the sum of its partitions' high watermarks minus their low ones. */
export async function topicCount(transport: Transport, topic: string): Promise<number> {
  return (await transport.admin().offsets(topic)).reduce((n, o) => n + o.high - o.low, 0);
}

export interface MidIngestOptions {
  markets?: number;
  perMarket?: number;
  /** Runs once a quarter is processed, with the processors and the sinks busy (a broker outage); the kills follow. */
  disrupt?: () => Promise<void>;
  /**
   * `--data-dir DIR` shared by `bronzeSinks` Bronze sinks in one group (one of them SIGKILLed
   * with the processor when there are several) and, with `silver`, a Silver sink, all running
   * throughout. At the end Bronze and Silver must hold exactly the clean topic's trades.
   */
  sinksDir?: string;
  bronzeSinks?: number;
  silver?: boolean;
}

/**
 * Three `pma process` in one group over a backlog of trades with more arriving; one is killed
 * with SIGKILL once a quarter is processed (after `disrupt`, if given), and so is one of several
 * Bronze sinks. Every trade must come out exactly once, enriched as its market says (Kafka's
 * transactions system test in small: seeded input, a client killed hard, input set = output set,
 * zero duplicates), every other child must have lived through it and stop cleanly, and the sinks
 * must hold every trade once.
 */
export async function killOneOfThreeMidIngest(h: { transport: Transport; serde: Serde }, pmaArgs: string[], options: MidIngestOptions = {}): Promise<void> {
  const { markets = 60, perMarket = 500, bronzeSinks = 1 } = options;
  const all = Array.from({ length: markets * perMarket }, (_, i) => bareTrade(1 + (i % markets), Math.floor(i / markets)));
  const committed = async () => (await h.transport.admin().groupOffsets('pma-process.facts', TOPICS.rawTrades.name)).reduce((n, o) => n + o.offset, 0);
  // A backlog, so the processors are busy mid-round when one is killed; the rest arrives meanwhile.
  await publishRaw(
    h,
    'rawGammaMarkets',
    Array.from({ length: markets }, (_, i) => gammaMarket(i + 1)),
  );
  for (let i = 0; i < all.length / 2; i += 1_000) await publishRaw(h, 'rawTrades', all.slice(i, i + 1_000));
  const children = [0, 1, 2].map(() => pmaProcess([...pmaArgs, 'process', '--retry-wait-ms', '10000']));
  const withDir = (dir: string) => pmaArgs.flatMap((a, i) => (pmaArgs[i - 1] === '--data-dir' ? [dir] : [a]));
  const sinksDir = options.sinksDir;
  const bronze: PmaProcess[] = [];
  if (sinksDir) {
    for (let i = 0; i < bronzeSinks; i++) bronze.push(pmaProcess([...withDir(sinksDir), 'sink', '--layer', 'bronze', '--roll-rows', '2000', '--idle-ms', '1000']));
    if (options.silver) children.push(pmaProcess([...withDir(sinksDir), 'sink', '--layer', 'silver']));
  }
  const killed = [children[0]!, ...(bronze.length > 1 ? [bronze[0]!] : [])];
  const survivors = [...children.slice(1), ...bronze.filter((b) => !killed.includes(b))];
  const total = all.length;
  try {
    const publishing = (async () => {
      for (let i = all.length / 2; i < all.length; i += 500) await publishRaw(h, 'rawTrades', all.slice(i, i + 500));
    })();
    await waitFor(async () => (await committed()) >= all.length / 4, 'a quarter of the trades processed', 180_000);
    // The disruption is for the pipeline's processes, not for this test's own producer.
    await publishing;
    await options.disrupt?.();
    for (const c of killed) c.child.kill('SIGKILL');
    await Promise.all(killed.map((c) => c.exited));
    const logs = () => [...children, ...bronze].map((c, i) => `child ${i}: ${c.stderr().slice(-4_000)}`).join('\n');
    await waitFor(async () => (await committed()) >= all.length, 'every raw trade committed', 240_000).catch(async (err: unknown) => {
      const lag = await h.transport.admin().groupOffsets('pma-process.facts', TOPICS.rawTrades.name);
      throw new Error(`${(err as Error).message} (committed ${JSON.stringify(lag)} of ${all.length}); the children's stderr:\n${logs()}`, { cause: err });
    });
    if (sinksDir) {
      await waitFor(async () => (await bronzeTradeIds(sinksDir)).size >= total, 'every trade in Bronze', 240_000).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; the children's stderr:\n${logs()}`, { cause: err });
      });
    }
    for (const c of survivors) expect(c.child.exitCode, `a child died: ${c.stderr()}`).to.equal(null);
  } finally {
    for (const c of survivors) c.child.kill('SIGTERM');
    const codes = await Promise.all(survivors.map((c) => c.exited));
    for (const [i, code] of codes.entries()) expect(code, survivors[i]!.stderr()).to.equal(0);
  }
  const clean = await readTopic(h.transport, TOPICS.trades.name);
  await expectTradesEnriched(h.serde, clean, markets, perMarket);
  if (!sinksDir) return;
  const codec = await h.serde.codecFor<Record<string, unknown>>(TOPICS.trades);
  const truth = new Set<string>();
  for (const r of clean) truth.add(String((await codec.decode(r.value!)).trade_id));
  const inBronze = await bronzeTrades(sinksDir);
  expect(inBronze.rows, 'rows in Bronze').to.equal(total);
  expect(inBronze.unresolved, 'unresolved trades in Bronze').to.equal(0);
  expect(sameSet(inBronze.ids, truth), "Bronze trade ids equal the clean topic's").to.equal(true);
  if (!options.silver) return;
  // The Silver sink stopped wherever it was: a last run brings it to the end of the clean topics.
  const last = pmaProcess([...withDir(sinksDir), 'sink', '--layer', 'silver', '--until-caught-up']);
  expect(await last.exited, last.stderr()).to.equal(0);
  const inSilver = await silverTrades(sinksDir);
  expect(inSilver.rows, 'rows in Silver').to.equal(total);
  expect(inSilver.unresolved, 'unresolved trades in Silver').to.equal(0);
  expect(sameSet(inSilver.ids, truth), "Silver trade ids equal the clean topic's").to.equal(true);
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

interface TradeRows {
  rows: number;
  unresolved: number;
  ids: Set<string>;
}

async function bronzeTradeIds(dataDir: string): Promise<Set<string>> {
  return (await bronzeTrades(dataDir)).ids;
}

async function bronzeTrades(dataDir: string): Promise<TradeRows> {
  const root = join(dataDir, 'bronze', 'trades');
  if (!existsSync(root)) return { rows: 0, unresolved: 0, ids: new Set() };
  return readTrades(':memory:', `read_parquet('${root}/*/*.parquet')`, 'unresolved');
}

async function silverTrades(dataDir: string): Promise<TradeRows> {
  return readTrades(join(dataDir, 'silver.duckdb'), 'TradeFact', 'is_unresolved');
}

async function readTrades(database: string, from: string, unresolved: string): Promise<TradeRows> {
  const db = await DuckDBInstance.create(database, database === ':memory:' ? {} : { access_mode: 'READ_ONLY' });
  const con = await db.connect();
  try {
    const rows = (await con.runAndReadAll(`SELECT trade_id, ${unresolved} AS u FROM ${from}`)).getRowObjectsJS();
    return { rows: rows.length, unresolved: rows.filter((r) => r.u === true).length, ids: new Set(rows.map((r) => String(r.trade_id))) };
  } finally {
    con.closeSync();
    db.closeSync();
  }
}
