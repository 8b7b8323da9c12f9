import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { runProcessors } from '../../../processors/index.ts';
import { timestamp } from '../../../processors/normalise/values.ts';
import { runIngest } from '../../../producers/run.ts';
import { ingestSettingsSchema } from '../../../producers/settings.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import { type Simulator, startSimulator, type TruthRecord } from '../../../simulator/index.ts';
import { bronzeRoot, runBronzeSink } from '../../../sinks/bronze/index.ts';
import { plain } from '../duck-values.ts';
import { type LogHarness, openLogHarness } from '../log-harness.ts';

type Row = Record<string, unknown>;

async function getJson(url: string): Promise<Row> {
  const res = await fetch(url);
  expect(res.status, url).to.equal(200);
  return (await res.json()) as Row;
}

/** Every truth record of one type appears exactly once among `rows` under `keyOf`. */
function exactlyOnce(truth: TruthRecord[], rows: Row[], keyOf: (r: Row) => string, type: string): Map<string, Row> {
  expect(truth.length, `${type}: the world should hold some`).to.be.greaterThan(0);
  const seen = new Map<string, Row>();
  const dup: string[] = [];
  for (const r of rows) {
    const k = keyOf(r);
    if (seen.has(k)) dup.push(k);
    seen.set(k, r);
  }
  const missing = truth.filter((t) => !seen.has(t.key)).map((t) => t.key);
  const want = new Set(truth.map((t) => t.key));
  const extra = [...seen.keys()].filter((k) => !want.has(k));
  expect({ type, missing: missing.slice(0, 3), extra: extra.slice(0, 3), dup: dup.slice(0, 3) }).to.deep.equal({ type, missing: [], extra: [], dup: [] });
  return seen;
}

/** Picks up to n items spread over the list. */
const sample = <T>(list: T[], n: number): T[] => list.filter((_, i) => i % Math.max(1, Math.floor(list.length / n)) === 0).slice(0, n);

describe('end to end on the simulator: ingest, process, Bronze hold the ground truth exactly once, with the served values', function () {
  this.timeout(300_000);
  let sim: Simulator;
  let h: LogHarness;
  let bronze: (type: string) => Promise<Row[]>;
  let db: DuckDBInstance;

  before(async () => {
    sim = await startSimulator({ port: 0, seed: 5, markets: 30, tradesPerMarket: 40, pricePoints: 30, leaderboardSize: 20, limits: false });
    h = await openLogHarness();
    const settings = ingestSettingsSchema.parse({ source: 'sim', rateLimits: 'off', attempts: 8, retryBaseMs: 5, retryMaxMs: 100, resolution: 'minute' });
    const signal = new AbortController().signal;
    const summary = await runIngest({ ...settings, urls: sim.urls }, { transport: h.transport, serde: h.serde, logger: silentLogger, signal, metrics: new Registry() });
    expect(summary.failures).to.equal(0);
    const processed = await runProcessors({}, { transport: h.transport, serde: h.serde, logger: silentLogger, signal, until: 'caught-up' });
    expect(processed.deadLettered).to.equal(0);
    await runBronzeSink({ dataDir: h.dir }, { transport: h.transport, serde: h.serde, logger: silentLogger, signal, until: 'caught-up' });
    db = await DuckDBInstance.create(':memory:');
    const root = bronzeRoot(h.dir);
    bronze = async (type) => {
      const con = await db.connect();
      try {
        return (await con.runAndReadAll(`SELECT * FROM read_parquet('${root}/${type}/*/*.parquet', hive_partitioning = true)`)).getRowObjectsJS().map((r) => plain(r) as Row);
      } finally {
        con.closeSync();
      }
    };
  });
  after(async () => {
    await h?.close();
    h?.remove();
    await sim?.close();
  });

  const truth = (type: TruthRecord['type']) => [...sim.truth({ types: [type] })];

  it('trades: every fill row once, with the served values, enriched with token, outcome and event', async () => {
    const markets = new Map(truth('gamma-market').map((m) => [m.conditionId as string, m]));
    const rows = await bronze('trades');
    const byKey = exactlyOnce(truth('trade'), rows, (r) => r.trade_id as string, 'trade');
    for (const t of truth('trade')) {
      const r = byKey.get(t.key)!;
      expect({
        price: r.price,
        size: r.size,
        side: r.side,
        timestamp: r.timestamp,
        proxy_wallet: (r.proxy_wallet as string).toLowerCase(),
        token_id: r.token_id,
        condition_id: r.condition_id,
        outcome_index: r.outcome_index,
        role: r.role,
        unresolved: r.unresolved,
        event_id: r.event_id,
        tx: r.transaction_hash,
      }).to.deep.equal({
        price: t.price,
        size: t.size,
        side: t.side,
        timestamp: (t.timestamp as number) * 1000,
        proxy_wallet: (t.proxyWallet as string).toLowerCase(),
        token_id: t.asset,
        condition_id: t.conditionId,
        outcome_index: t.outcomeIndex,
        role: t.role,
        unresolved: false,
        event_id: markets.get(t.conditionId as string)!.event,
        tx: t.transactionHash,
      });
      expect(r.dt).to.equal(Date.parse(new Date((t.timestamp as number) * 1000).toISOString().slice(0, 10)));
    }
  });

  it('few files: at most 2 Parquet files in any dt directory of trades and prices (compaction at the end of the run)', () => {
    const root = bronzeRoot(h.dir);
    for (const type of ['trades', 'prices']) {
      const perDt = readdirSync(join(root, type)).map((dt) => readdirSync(join(root, type, dt)).filter((f) => f.endsWith('.parquet')).length);
      expect(perDt.length, type).to.be.greaterThan(3);
      expect(Math.max(...perDt), type).to.be.at.most(2);
    }
  });

  it('price points: every point once, with its price, market and outcome', async () => {
    const rows = await bronze('prices');
    const byKey = exactlyOnce(truth('price-point'), rows, (r) => `${r.token_id}|${(r.timestamp as number) / 1000}`, 'price-point');
    for (const p of truth('price-point')) {
      const r = byKey.get(p.key)!;
      expect([r.price, r.condition_id, r.unresolved]).to.deep.equal([p.p, p.conditionId, false]);
    }
  });

  it('leaderboard rows: every row of every board once, with the served values', async () => {
    const rows = await bronze('leaderboard');
    const byKey = exactlyOnce(truth('leaderboard-row'), rows, (r) => `${r.time_period}/${r.order_by}/${r.category}/${(r.proxy_wallet as string).toLowerCase()}`, 'leaderboard-row');
    for (const t of sample(truth('leaderboard-row'), 6)) {
      const r = byKey.get(t.key)!;
      expect(r.rank).to.equal(t.rank);
      const page = (await getJson(
        `${sim.urls.data}/v1/leaderboard?category=${t.category}&timePeriod=${t.timePeriod}&orderBy=${t.orderBy}&limit=1&offset=${(t.rank as number) - 1}`,
      )) as unknown as Row[];
      const served = page[0]!;
      expect({ wallet: r.proxy_wallet, user: r.user_name, x: r.x_username, vol: r.vol, pnl: r.pnl, verified: r.verified_badge, image: r.profile_image }).to.deep.equal({
        wallet: served.proxyWallet,
        user: served.userName,
        x: served.xUsername,
        vol: served.vol,
        pnl: served.pnl,
        verified: served.verifiedBadge,
        image: served.profileImage,
      });
    }
  });

  it("top holders and open interest: every market's snapshot once, with the served values", async () => {
    const holders = await bronze('holders');
    const byKey = exactlyOnce(truth('holder'), holders, (r) => `${(r.condition_id as string).toLowerCase()}|${r.token_id}|${(r.proxy_wallet as string).toLowerCase()}`, 'holder');
    // One ingest pass: one snapshot for every row.
    expect(new Set(holders.map((r) => String(r.snapshot_ts))).size).to.equal(1);
    for (const t of truth('holder')) expect([byKey.get(t.key)!.amount, byKey.get(t.key)!.outcome_index]).to.deep.equal([t.amount, t.outcomeIndex]);
    const oi = await bronze('openInterest');
    const oiByKey = exactlyOnce(truth('open-interest'), oi, (r) => (r.condition_id as string).toLowerCase(), 'open-interest');
    for (const t of truth('open-interest')) expect(oiByKey.get(t.key)!.value, t.key).to.equal(t.value);
    expect(new Set(oi.map((r) => String(r.snapshot_ts)))).to.deep.equal(new Set(holders.map((r) => String(r.snapshot_ts))));
  });

  it('markets and events: every Gamma market, CLOB market and event once, sampled field by field against the served JSON', async () => {
    const markets = await bronze('markets');
    const gamma = markets.filter((m) => m.source === 'GAMMA');
    const clob = markets.filter((m) => m.source === 'CLOB');
    const gammaByKey = exactlyOnce(truth('gamma-market'), gamma, (m) => m.gamma_id as string, 'gamma-market');
    exactlyOnce(truth('clob-market'), clob, (m) => m.condition_id as string, 'clob-market');
    const events = exactlyOnce(truth('gamma-event'), await bronze('events'), (e) => e.event_id as string, 'gamma-event');
    const tokens = await bronze('tokens');

    for (const t of sample(truth('gamma-market'), 5)) {
      const served = await getJson(`${sim.urls.gamma}/markets/${t.id}`);
      const r = gammaByKey.get(t.key)!;
      const list = (v: unknown) => (v === undefined ? [] : JSON.parse(v as string));
      expect({
        condition_id: r.condition_id,
        question: r.question,
        slug: r.slug,
        description: r.description,
        outcomes: r.outcomes,
        token_ids: r.token_ids,
        outcome_prices: r.outcome_prices,
        volume: r.volume,
        active: r.active,
        closed: r.closed,
        end_ts: r.end_ts,
        event_id: r.event_id,
      }).to.deep.equal({
        condition_id: served.conditionId,
        question: served.question,
        slug: served.slug,
        description: served.description,
        outcomes: list(served.outcomes),
        token_ids: list(served.clobTokenIds),
        outcome_prices: list(served.outcomePrices).map(Number),
        volume: served.volume === undefined ? (served.volumeNum ?? null) : Number(served.volume),
        active: served.active ?? null,
        closed: served.closed ?? null,
        end_ts: timestamp(served.endDate, 'endDate'),
        event_id: (served.events as Row[])[0]!.id,
      });
    }
    for (const t of sample(truth('clob-market'), 5)) {
      const served = await getJson(`${sim.urls.clob}/markets/${t.condition_id}`);
      for (const [i, tok] of (served.tokens as Row[]).entries()) {
        const r = tokens.find((x) => x.source === 'CLOB' && x.token_id === tok.token_id)!;
        expect([r.condition_id, r.outcome, r.outcome_index, r.price, r.winner]).to.deep.equal([served.condition_id, tok.outcome, i, tok.price, tok.winner]);
      }
    }
    for (const t of sample(truth('gamma-event'), 5)) {
      const served = await getJson(`${sim.urls.gamma}/events/${t.id}`);
      const r = events.get(t.key)!;
      expect({ slug: r.slug, title: r.title, volume: r.volume, markets: r.market_condition_ids }).to.deep.equal({
        slug: served.slug,
        title: served.title,
        volume: served.volume ?? null,
        markets: ((served.markets as Row[] | undefined) ?? []).map((m) => m.conditionId),
      });
    }
  });
});
