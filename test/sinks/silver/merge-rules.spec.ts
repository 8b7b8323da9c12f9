import type { DuckDBInstance } from '@duckdb/node-api';
import avro from 'avsc';
import { expect } from 'chai';
import fc from 'fast-check';
import { seededRandom as rng } from '../../../bench/chaos/seeded-random.ts';
import type { CleanRecordByTopic, CleanToken, CleanTrade } from '../../../schemas/clean-records.ts';
import { loadSchema } from '../../../schemas/index.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { SILVER_TABLES } from '../../../sinks/silver/index.ts';
import type { SilverTopicKey } from '../../../sinks/silver/staging.ts';
import { openSilverDatabase, readStoredOffsets, SilverWriter } from '../../../sinks/silver/writer.ts';
import { cleanWorld, keyOf } from './clean-world.ts';

type Staged = { [K in SilverTopicKey]: { topic: K; value: CleanRecordByTopic[K] } }[SilverTopicKey];

const types = new Map<SilverTopicKey, avro.Type>();

/** Stages a record as the sink does: its Avro body in the topic's schema. */
function stage<K extends SilverTopicKey>(writer: SilverWriter, topic: K, value: CleanRecordByTopic[K]): void {
  let type = types.get(topic);
  if (!type) {
    type = avro.Type.forSchema(loadSchema(TOPICS[topic].schema) as avro.Schema);
    types.set(topic, type);
  }
  const body = type.toBuffer(value);
  writer.stage(topic, body, 0, body.length);
}

async function open(): Promise<{ instance: DuckDBInstance; writer: SilverWriter }> {
  const instance = await openSilverDatabase(':memory:');
  return { instance, writer: await SilverWriter.open(instance, ':memory:') };
}

async function load(batches: Staged[][]): Promise<Record<string, unknown[]>> {
  const { instance, writer } = await open();
  try {
    for (const batch of batches) {
      for (const r of batch) stage(writer, r.topic, r.value);
      await writer.commit([]);
    }
    return await dump(writer);
  } finally {
    await writer.close();
    instance.closeSync();
  }
}

async function dump(writer: SilverWriter): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of SILVER_TABLES) out[t] = (await writer.conn.runAndReadAll(`SELECT * FROM ${t} ORDER BY ALL`)).getRowObjectsJson();
  return out;
}

async function one(sql: string, writer: SilverWriter): Promise<Record<string, unknown>> {
  return (await writer.conn.runAndReadAll(sql)).getRowObjectsJson()[0] as Record<string, unknown>;
}

const world = cleanWorld(7, { markets: 2, tradesPerMarket: 3, wallets: 3, pricesPerToken: 2 });
const market = world.markets[0]!;
const token = world.tokens[0]!;
const trade = world.trades[0]!;

describe('silver merge rules', () => {
  it('markets: the last non-null value of each field wins, and empty text never overwrites', async () => {
    const gamma = { ...market, source: 'GAMMA' as const, question: 'Gamma question?', category: 'Sports', description: 'Long text', volume: 10 };
    const clob = { ...market, source: 'CLOB' as const, observed_ts: market.observed_ts + 1, question: 'Clob question?', category: null, description: '', volume: null };
    for (const batches of [[[gamma, clob]], [[gamma], [clob]]]) {
      const tables = await load(batches.map((b) => b.map((value) => ({ topic: 'markets' as const, value }))));
      const row = tables.MarketDim!.find((r) => (r as { condition_id: string }).condition_id === market.condition_id) as Record<string, unknown>;
      expect(row).to.include({ question: 'Clob question?', category: 'Sports', description: 'Long text', volume: 10 });
      expect(row.first_observed_at).to.not.equal(row.last_observed_at);
    }
  });

  it('tokens: the winner flag and price follow the market to its resolution', async () => {
    const open_ = { ...token, winner: false, price: 0.5 };
    const resolved = { ...token, winner: true, price: 1, observed_ts: token.observed_ts + 1000 };
    const gammaLater: CleanToken = { ...token, source: 'GAMMA', winner: null, price: null, observed_ts: token.observed_ts + 2000 };
    const tables = await load([[{ topic: 'tokens', value: open_ }], [{ topic: 'tokens', value: resolved }], [{ topic: 'tokens', value: gammaLater }]]);
    const row = tables.MarketTokenDim!.find((r) => (r as { token_id: string }).token_id === token.token_id);
    expect(row).to.include({ is_winner: true, price: 1, outcome: token.outcome });
  });

  it('facts add key-only dimension rows that never override what the dimension records say, in any order', async () => {
    const t: CleanTrade = { ...trade, outcome: 'Other name' };
    const dims: Staged[] = [
      { topic: 'markets', value: market },
      { topic: 'tokens', value: token },
    ];
    const factFirst = await load([[{ topic: 'trades', value: t }], dims]);
    const dimsFirst = await load([dims, [{ topic: 'trades', value: t }]]);
    expect(factFirst).to.deep.equal(dimsFirst);
    const stub = factFirst.MarketTokenDim!.find((r) => (r as { token_id: string }).token_id === t.token_id) as Record<string, unknown>;
    expect(stub.condition_id).to.equal(t.condition_id.toLowerCase());
  });

  it('trades: one row per trade id, enrichment kept when a later copy lacks it', async () => {
    const bare: CleanTrade = { ...trade, token_id: null, outcome: null, event_id: null, unresolved: true };
    const tables = await load([
      [
        { topic: 'trades', value: bare },
        { topic: 'trades', value: trade },
      ],
      [{ topic: 'trades', value: bare }],
    ]);
    expect(tables.TradeFact).to.have.length(1);
    const row = tables.TradeFact![0] as Record<string, unknown>;
    expect(row.trade_id).to.equal(trade.trade_id);
    expect(row.token_sk).to.not.equal(null);
    expect(row.outcome).to.equal(trade.outcome);
    expect(row.notional).to.be.closeTo(trade.price * trade.size, 1e-9);
  });

  it('traders: profile fields observed last win whatever the arrival order; first/last seen span every source', async () => {
    const board = world.leaderboard[0]!;
    const early = { ...board, snapshot_ts: board.snapshot_ts - 10_000, user_name: 'old name', rank: 2 };
    const late = { ...board, user_name: 'new name' };
    const t: CleanTrade = { ...trade, proxy_wallet: board.proxy_wallet.toUpperCase().replace('0X', '0x'), timestamp: board.snapshot_ts + 5_000 };
    const a = await load([
      [{ topic: 'leaderboard', value: late }],
      [
        { topic: 'leaderboard', value: early },
        { topic: 'trades', value: t },
      ],
    ]);
    const b = await load([
      [
        { topic: 'trades', value: t },
        { topic: 'leaderboard', value: early },
      ],
      [{ topic: 'leaderboard', value: late }],
    ]);
    expect(a.TraderDim).to.deep.equal(b.TraderDim);
    expect(a.TraderDim).to.have.length(1);
    const row = a.TraderDim![0] as Record<string, unknown>;
    expect(row.user_name).to.equal('new name');
    expect(row.wallet_address).to.equal(board.proxy_wallet.toLowerCase());
    expect(new Date(`${row.first_seen_at}Z`).getTime()).to.equal(early.snapshot_ts);
    expect(new Date(`${row.last_seen_at}Z`).getTime()).to.equal(t.timestamp);
  });

  it('events: the latest non-empty market list replaces the bridge rows; an empty list leaves them', async () => {
    const ev = world.events[0]!;
    const first = { ...ev, market_condition_ids: ['0xAA', '0xbb'] };
    const second = { ...ev, market_condition_ids: ['0xcc'] };
    const empty = { ...ev, market_condition_ids: [] };
    const tables = await load([
      [{ topic: 'events', value: first }],
      [
        { topic: 'events', value: second },
        { topic: 'events', value: empty },
      ],
    ]);
    expect(tables.EventMarketBridge!.map((r) => (r as { condition_id: string }).condition_id)).to.deep.equal(['0xcc']);
    expect(tables.MarketDim!.map((r) => (r as { condition_id: string }).condition_id).sort()).to.deep.equal(['0xaa', '0xbb', '0xcc']);
  });

  it('a failed commit stores neither rows nor offsets', async () => {
    const { instance, writer } = await open();
    try {
      stage(writer, 'trades', trade);
      await writer.commit([{ topic: 'pma.trades', partition: 0, offset: 1 }]);
      await writer.conn.run('DROP TABLE PriceHistoryFact');
      stage(writer, 'trades', world.trades[1]!);
      stage(writer, 'prices', world.prices[0]!);
      let failed = false;
      await writer.commit([{ topic: 'pma.trades', partition: 0, offset: 2 }]).catch(() => {
        failed = true;
      });
      expect(failed).to.equal(true);
      expect(await one('SELECT count(*)::INT AS n FROM TradeFact', writer)).to.deep.equal({ n: 1 });
      expect(await readStoredOffsets(writer.conn)).to.deep.equal([{ topic: 'pma.trades', partition: 0, offset: 1 }]);
    } finally {
      await writer.close();
      instance.closeSync();
    }
  });

  it('the tables depend only on the records and their order per partition, not on batching or interleaving (property)', async () => {
    const big = cleanWorld(11, { markets: 4, tradesPerMarket: 6, wallets: 4, pricesPerToken: 2 });
    const r = rng(3);
    // The same wallets on boards at other times (other keys, so other partitions), and trades that name them.
    for (const row of [...big.leaderboard]) {
      for (const k of [1, 2]) big.leaderboard.push({ ...row, snapshot_ts: row.snapshot_ts + (k - 1.5) * 2 * 3_600_000, rank: row.rank + 100 * k, user_name: `u${k}` });
    }
    big.trades.forEach((t, i) => {
      if (i % 2) Object.assign(t, { name: `n${i % 3}`, pseudonym: i % 4 ? `p${i}` : null });
    });
    // Versions of the same keys with nulls and empties, and exact duplicates, as producers re-fetch.
    const records: Staged[] = [];
    for (const topic of ['markets', 'tokens', 'events', 'trades', 'prices', 'leaderboard', 'holders', 'openInterest'] as const) {
      for (const v of big[topic] as CleanRecordByTopic[typeof topic][]) {
        records.push({ topic, value: v } as Staged);
        if (r() < 0.4) records.push({ topic, value: blank(v, r) } as Staged);
        if (r() < 0.2) records.push({ topic, value: v } as Staged);
      }
    }
    // Keyed like the processors: all versions of a key in one partition of its topic, in order.
    const partitions = new Map<string, Staged[]>();
    for (const rec of records) {
      const p = `${rec.topic}:${[...keyOf(rec.topic, rec.value as never)].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7) % 3}`;
      partitions.set(p, [...(partitions.get(p) ?? []), rec]);
    }
    const logs = [...partitions.values()];
    const reference = await load([interleave(logs, () => 0)]);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 4 }), async (seed, cuts) => {
        const pick = rng(seed);
        const sequence = interleave(logs, () => pick());
        const batches: Staged[][] = [];
        let at = 0;
        for (const n of cuts) {
          batches.push(sequence.slice(at, at + n));
          at += n;
        }
        batches.push(sequence.slice(at));
        expect(await load(batches)).to.deep.equal(reference);
      }),
      { numRuns: 6 },
    );
  });
});

/** Merges per-partition logs into one arrival sequence, keeping each log's order. */
function interleave<T>(logs: T[][], random: () => number): T[] {
  const cursors = logs.map(() => 0);
  const out: T[] = [];
  for (;;) {
    const open = logs.map((_l, i) => i).filter((i) => cursors[i]! < logs[i]!.length);
    if (open.length === 0) return out;
    const i = open[Math.floor(random() * open.length)]!;
    out.push(logs[i]![cursors[i]!++]!);
  }
}

/** A later copy of a record with some optional fields nulled or emptied, as another source might send it. */
function blank<T extends object>(v: T, r: () => number): T {
  const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  for (const [k, val] of Object.entries(out)) {
    if (
      typeof val === 'string' &&
      r() < 0.3 &&
      !['condition_id', 'token_id', 'trade_id', 'event_id', 'proxy_wallet', 'side', 'role', 'category', 'time_period', 'order_by', 'transaction_hash', 'source', 'outcome'].includes(k)
    )
      out[k] = '';
    if (typeof val === 'number' && r() < 0.3 && k === 'price' && 'winner' in out) out[k] = null;
  }
  return out as T;
}
