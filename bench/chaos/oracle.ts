/**
 * The chaos oracle, computed without the producers' key functions (Kafka's transactions system
 * test is the model: input set = output set, zero duplicates):
 *
 * - per record type, the identities read back from the clean topics equal the simulator's ground
 *   truth, each identity rebuilt here from field values as the API defines them (a fill: its
 *   transaction, wallet, token, side, price, size and second; a price point: token and second; a
 *   board row: period, order, category and wallet; a top holder: market, token and wallet; open
 *   interest: its market; markets and events: their ids);
 * - no fill or price point is in a clean topic twice, nor a board row, top holder or open
 *   interest within one snapshot;
 * - every (partition, offset) of every clean topic is in Bronze exactly once, none missing, none
 *   extra (DuckDB reads the Parquet files back);
 * - Silver equals a rebuild from the log (`pma replay --layer silver --into`), table by table;
 * - every span the truth says is out of reach has a gap record naming it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Serde } from '../../registry/serde.ts';
import { BenchError } from '../../runtime/errors.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { Simulator } from '../../simulator/index.ts';
import type { Transport } from '../../transport/types.ts';
import { readTopic } from './read-topic.ts';
import { silverDifferences, type TableDifference } from './silver-compare.ts';

type Row = Record<string, unknown>;

const lower = (v: unknown) => String(v).toLowerCase();
/** A fill as one participant sees it, from the API's field values (seconds, not the clean topic's ms). */
const fillIdentity = (f: { tx: unknown; wallet: unknown; token: unknown; side: unknown; price: unknown; size: unknown; seconds: unknown }) =>
  [f.tx, lower(f.wallet), f.token, f.side, Number(f.price), Number(f.size), Number(f.seconds)].join(' ');
const pointIdentity = (token: unknown, seconds: unknown) => `${token} ${Number(seconds)}`;
const boardIdentity = (period: unknown, order: unknown, category: unknown, wallet: unknown) =>
  `${String(period).toUpperCase()} ${String(order).toUpperCase()} ${String(category).toUpperCase()} ${lower(wallet)}`;
const holderIdentity = (market: unknown, token: unknown, wallet: unknown) => `${lower(market)} ${token} ${lower(wallet)}`;

export interface TypeCheck {
  type: string;
  truth: number;
  got: number;
  missing: string[];
  extra: string[];
  duplicated: number;
}

export interface OracleReport {
  /** Distinct records compared with the truth, over all types. */
  checked: number;
  lost: number;
  duplicated: number;
  types: TypeCheck[];
  bronze: { rows: number; missing: number; duplicated: number; extra: number };
  silver: TableDifference[];
  gaps: { truth: number; unmatched: string[] };
  /** One line per violation; empty when the oracle holds. */
  problems: string[];
}

export interface OracleInput {
  sim: Simulator;
  transport: Transport;
  serde: Serde;
  dataDir: string;
  /** The Silver file rebuilt from the log, to compare with the one the sink built. */
  rebuiltSilver: string;
}

async function decoded(input: OracleInput, topic: (typeof TOPICS)[keyof typeof TOPICS]): Promise<Array<{ partition: number; offset: number; value: Row }>> {
  const codec = await input.serde.codecFor<Row>(topic);
  const out: Array<{ partition: number; offset: number; value: Row }> = [];
  for (const r of await readTopic(input.transport, topic.name)) {
    if (!r.value) throw new BenchError(`a record without a value in ${topic.name}`, { topic: topic.name, partition: r.partition, offset: r.offset });
    out.push({ partition: r.partition, offset: r.offset, value: await codec.decode(r.value, { partition: r.partition, offset: r.offset }) });
  }
  return out;
}

function compareSets(type: string, truth: Iterable<string>, got: Map<string, number>): TypeCheck {
  const want = new Set(truth);
  const missing = [...want].filter((k) => !got.has(k));
  const extra = [...got.keys()].filter((k) => !want.has(k));
  const duplicated = [...got.values()].reduce((n, c) => n + c - 1, 0);
  return { type, truth: want.size, got: got.size, missing, extra, duplicated };
}

/** A check whose duplicates count only within one snapshot (`perSnapshot`: the identities prefixed with their snapshot). */
function snapshotCheck(check: TypeCheck, perSnapshot: Iterable<string>): TypeCheck {
  return { ...check, duplicated: [...count(perSnapshot).values()].reduce((n, c) => n + c - 1, 0) };
}

function count(keys: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

export async function checkOracle(input: OracleInput): Promise<OracleReport> {
  const truth = [...input.sim.truth({ types: ['gamma-market', 'gamma-event', 'clob-market', 'trade', 'price-point', 'leaderboard-row', 'holder', 'open-interest', 'gap'] })];
  const of = (t: string) => truth.filter((r) => r.type === t);
  const trades = await decoded(input, TOPICS.trades);
  const prices = await decoded(input, TOPICS.prices);
  const board = await decoded(input, TOPICS.leaderboard);
  const holders = await decoded(input, TOPICS.holders);
  const openInterest = await decoded(input, TOPICS.openInterest);
  const markets = await decoded(input, TOPICS.markets);
  const events = await decoded(input, TOPICS.events);
  const gaps = await decoded(input, TOPICS.gaps);

  const types: TypeCheck[] = [];
  types.push(
    compareSets(
      'trade',
      of('trade').map((r) => fillIdentity({ tx: r.transactionHash, wallet: r.proxyWallet, token: r.asset, side: r.side, price: r.price, size: r.size, seconds: r.timestamp })),
      count(
        trades.map(({ value: v }) =>
          fillIdentity({ tx: v.transaction_hash, wallet: v.proxy_wallet, token: v.token_id, side: v.side, price: v.price, size: v.size, seconds: Number(v.timestamp) / 1000 }),
        ),
      ),
    ),
  );
  types.push(
    compareSets(
      'price-point',
      of('price-point').map((r) => pointIdentity(r.token, r.t)),
      count(prices.map(({ value: v }) => pointIdentity(v.token_id, Number(v.timestamp) / 1000))),
    ),
  );
  // A board is read again by a later ingest generation as a new snapshot: a row twice within one
  // snapshot is a duplicate, the same row in two snapshots is not.
  types.push(
    snapshotCheck(
      compareSets(
        'leaderboard-row',
        of('leaderboard-row').map((r) => boardIdentity(r.timePeriod, r.orderBy, r.category, r.proxyWallet)),
        count(board.map(({ value: v }) => boardIdentity(v.time_period, v.order_by, v.category, v.proxy_wallet))),
      ),
      board.map(({ value: v }) => `${Number(v.snapshot_ts)} ${boardIdentity(v.time_period, v.order_by, v.category, v.proxy_wallet)}`),
    ),
  );
  // Top holders and open interest are snapshots the same way.
  types.push(
    snapshotCheck(
      compareSets(
        'holder',
        of('holder').map((r) => holderIdentity(r.conditionId, r.asset, r.proxyWallet)),
        count(holders.map(({ value: v }) => holderIdentity(v.condition_id, v.token_id, v.proxy_wallet))),
      ),
      holders.map(({ value: v }) => `${Number(v.snapshot_ts)} ${holderIdentity(v.condition_id, v.token_id, v.proxy_wallet)}`),
    ),
  );
  types.push(
    snapshotCheck(
      compareSets(
        'open-interest',
        of('open-interest').map((r) => lower(r.conditionId)),
        count(openInterest.map(({ value: v }) => lower(v.condition_id))),
      ),
      openInterest.map(({ value: v }) => `${Number(v.snapshot_ts)} ${lower(v.condition_id)}`),
    ),
  );
  // Markets and events are states observed again on every listing, not facts: set equality only.
  const distinct = (check: TypeCheck) => ({ ...check, duplicated: 0 });
  types.push(
    distinct(
      compareSets(
        'gamma-market',
        of('gamma-market').map((r) => String(r.id)),
        count(markets.filter(({ value: v }) => v.source === 'GAMMA').map(({ value: v }) => String(v.gamma_id))),
      ),
    ),
  );
  types.push(
    distinct(
      compareSets(
        'clob-market',
        of('clob-market').map((r) => String(r.condition_id)),
        count(markets.filter(({ value: v }) => v.source === 'CLOB').map(({ value: v }) => String(v.condition_id))),
      ),
    ),
  );
  types.push(
    distinct(
      compareSets(
        'gamma-event',
        of('gamma-event').map((r) => String(r.id)),
        count(events.map(({ value: v }) => String(v.event_id))),
      ),
    ),
  );

  const bronze = await checkBronze(input.dataDir, { trades, prices, leaderboard: board, holders, openInterest, markets, events, tokens: await decoded(input, TOPICS.tokens) });
  const silver = await silverDifferences(join(input.dataDir, 'silver.duckdb'), input.rebuiltSilver);
  const gapCheck = checkGaps(
    of('gap'),
    gaps.map((g) => g.value),
  );

  const problems: string[] = [];
  for (const t of types) {
    if (t.missing.length) problems.push(`${t.type}: ${t.missing.length} of ${t.truth} missing (e.g. ${t.missing.slice(0, 2).join(', ')})`);
    if (t.extra.length) problems.push(`${t.type}: ${t.extra.length} not in the truth (e.g. ${t.extra.slice(0, 2).join(', ')})`);
    if (t.duplicated) problems.push(`${t.type}: ${t.duplicated} duplicate(s)`);
  }
  if (bronze.missing || bronze.duplicated || bronze.extra) problems.push(`Bronze: ${bronze.missing} offset(s) missing, ${bronze.duplicated} written twice, ${bronze.extra} not in the log`);
  for (const d of silver) problems.push(`Silver ${d.table}: ${d.onlyInA} row(s) only in the sink's file, ${d.onlyInB} only in the rebuild (${d.rowsA} vs ${d.rowsB})`);
  if (gapCheck.unmatched.length) problems.push(`gaps: ${gapCheck.unmatched.length} unreachable span(s) without a correct gap record (e.g. ${gapCheck.unmatched.slice(0, 2).join(', ')})`);
  return {
    checked: types.reduce((n, t) => n + t.truth, 0),
    lost: types.reduce((n, t) => n + t.missing.length, 0) + bronze.missing,
    duplicated: types.reduce((n, t) => n + t.duplicated, 0) + bronze.duplicated,
    types,
    bronze,
    silver,
    gaps: gapCheck,
    problems,
  };
}

const BRONZE_TYPES = ['trades', 'prices', 'leaderboard', 'holders', 'openInterest', 'markets', 'events', 'tokens'] as const;

/** Every (partition, offset) of each clean topic once in Bronze, against the offsets read from the log. */
async function checkBronze(dataDir: string, logged: Record<(typeof BRONZE_TYPES)[number], Array<{ partition: number; offset: number }>>) {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const result = { rows: 0, missing: 0, duplicated: 0, extra: 0 };
  try {
    for (const type of BRONZE_TYPES) {
      const want = new Set(logged[type].map((r) => `${r.partition}:${r.offset}`));
      const dir = join(dataDir, 'bronze', type);
      const has = (() => {
        try {
          return readdirSync(dir).length > 0;
        } catch {
          return false;
        }
      })();
      const seen = new Map<string, number>();
      if (has) {
        const rows = (await conn.runAndReadAll(`SELECT _partition, _offset, count(*) AS n FROM read_parquet('${dir}/*/*.parquet') GROUP BY ALL`)).getRows();
        for (const [p, o, n] of rows) seen.set(`${Number(p)}:${Number(o)}`, Number(n));
      }
      for (const [k, n] of seen) {
        result.rows += n;
        if (n > 1) result.duplicated += n - 1;
        if (!want.has(k)) result.extra++;
      }
      for (const k of want) if (!seen.has(k)) result.missing++;
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return result;
}

/** Each truth gap matched by a gap record on its market (trades) or its board (leaderboard). */
function checkGaps(truth: Array<Record<string, unknown>>, records: Row[]): { truth: number; unmatched: string[] } {
  const unmatched: string[] = [];
  for (const g of truth) {
    if (g.endpoint === 'data:/trades') {
      const from = Number(g.from) * 1000;
      const to = Number(g.to) * 1000;
      // The record names the market and covers the unreachable history, from its first fill up to the
      // second of the oldest fill reached, without claiming reached history past that second.
      const ok = records.some((r) => r.market === g.market && (r.start === null || Number(r.start) <= from) && (r.end === null || (Number(r.end) >= to && Number(r.end) <= to + 999)));
      if (!ok) unmatched.push(`trades of ${g.market} before ${new Date(to).toISOString()}`);
    } else {
      const scope = `${g.timePeriod}/${g.orderBy}/${g.category}`;
      const ok = records.some((r) => r.endpoint === 'data:/v1/leaderboard' && String(r.detail ?? '').includes(scope));
      if (!ok) unmatched.push(`leaderboard ${scope}`);
    }
  }
  return { truth: truth.length, unmatched };
}
