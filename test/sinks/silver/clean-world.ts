/**
 * Test helpers: a small, seeded world of clean records (what the processors publish), and the
 * plumbing to publish them to an embedded log with the real registry serde.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom as rng } from '../../../bench/chaos/seeded-random.ts';
import { EmbeddedRegistry } from '../../../registry/embedded.ts';
import { Serde } from '../../../registry/serde.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import type { CleanEvent, CleanHolder, CleanLeaderboardRow, CleanMarket, CleanOpenInterest, CleanPricePoint, CleanRecordByTopic, CleanToken, CleanTrade } from '../../../schemas/clean-records.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import type { SilverTopicKey } from '../../../sinks/silver/staging.ts';
import { createEmbeddedTransport, type EmbeddedTransport } from '../../../transport/embedded/index.ts';
import { embeddedLogPath } from '../../../transport/index.ts';

const hex = (r: () => number, n: number) => {
  let s = '0x';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
  return s;
};

export interface CleanWorld {
  markets: CleanMarket[];
  tokens: CleanToken[];
  events: CleanEvent[];
  trades: CleanTrade[];
  prices: CleanPricePoint[];
  leaderboard: CleanLeaderboardRow[];
  holders: CleanHolder[];
  openInterest: CleanOpenInterest[];
}

export interface WorldSize {
  markets: number;
  tradesPerMarket: number;
  wallets: number;
  pricesPerToken: number;
}

const T0 = Date.UTC(2024, 0, 1);
/** The two passes that snapshot holders and open interest. */
const SNAPSHOTS = [T0 + 2 * 86_400_000, T0 + 2 * 86_400_000 + 3_600_000];

/** Builds a world: events of 2 markets, 2 tokens per market, trades, prices, one leaderboard, two snapshots of holders and open interest. */
export function cleanWorld(seed: number, size: WorldSize): CleanWorld {
  const r = rng(seed);
  const wallets = Array.from({ length: size.wallets }, () => hex(r, 40));
  const w: CleanWorld = { markets: [], tokens: [], events: [], trades: [], prices: [], leaderboard: [], holders: [], openInterest: [] };
  for (let m = 0; m < size.markets; m++) {
    const conditionId = hex(r, 64);
    const eventId = String(1000 + Math.floor(m / 2));
    const tokenIds = [String(10n ** 20n + BigInt(m * 2)), String(10n ** 20n + BigInt(m * 2 + 1))];
    const closed = m % 3 === 0;
    const winner = closed ? m % 2 : -1;
    const observed = T0 + m * 1000;
    const base = marketRecord(conditionId, eventId, tokenIds, observed, closed);
    w.markets.push({ ...base, source: 'GAMMA', category: m % 2 ? 'Sports' : 'Politics', volume: 1000 + m });
    w.markets.push({ ...base, source: 'CLOB', observed_ts: observed + 500, category: null, question: `Q${m} (clob)?` });
    SNAPSHOTS.forEach((snapshot_ts, k) => {
      w.openInterest.push({ snapshot_ts, condition_id: conditionId, value: 1000 + m + 25 * k });
      tokenIds.forEach((token_id, outcome_index) => {
        for (let j = 0; j < Math.min(3, wallets.length); j++) {
          const proxy_wallet = wallets[(m + j) % wallets.length]!;
          w.holders.push({ snapshot_ts, condition_id: conditionId, token_id, outcome_index, proxy_wallet, amount: 100 * (j + 1) + m + 7 * k, name: null, pseudonym: j === 0 ? `holder${m}` : null });
        }
      });
    });
    tokenIds.forEach((tokenId, i) => {
      w.tokens.push({
        token_id: tokenId,
        condition_id: conditionId,
        source: 'CLOB',
        observed_ts: observed + 500,
        outcome: i === 0 ? 'Yes' : 'No',
        outcome_index: i,
        price: closed ? (i === winner ? 1 : 0) : 0.5,
        winner: closed ? i === winner : false,
        event_id: eventId,
      });
      for (let p = 0; p < size.pricesPerToken; p++) {
        w.prices.push({
          token_id: tokenId,
          timestamp: T0 + p * 3_600_000,
          price: Math.round(r() * 1000) / 1000,
          condition_id: conditionId,
          outcome: i === 0 ? 'Yes' : 'No',
          outcome_index: i,
          fidelity_minutes: 60,
          unresolved: false,
        });
      }
    });
    if (m % 2 === 0) w.events.push(eventRecord(eventId, observed, [conditionId]));
    else w.events[w.events.length - 1]!.market_condition_ids.push(conditionId);
    for (let t = 0; t < size.tradesPerMarket; t++) {
      const i = Math.floor(r() * 2);
      const tx = hex(r, 64);
      w.trades.push({
        trade_id: `${tx}:${t}`,
        timestamp: T0 + Math.floor(r() * 90 * 86_400) * 1000,
        condition_id: conditionId,
        token_id: tokenIds[i]!,
        outcome: i === 0 ? 'Yes' : 'No',
        outcome_index: i,
        event_id: eventId,
        event_slug: `event-${eventId}`,
        side: r() < 0.6 ? 'BUY' : 'SELL',
        role: 'TAKER',
        price: Math.round(r() * 990 + 5) / 1000,
        size: Math.round(r() * 10_000) / 100,
        transaction_hash: tx,
        proxy_wallet: wallets[Math.floor(r() * wallets.length)]!,
        title: `Q${m}?`,
        market_slug: `q-${m}`,
        name: null,
        pseudonym: null,
        unresolved: false,
      });
    }
  }
  wallets.slice(0, Math.min(wallets.length, 20)).forEach((wallet, i) => {
    w.leaderboard.push({
      snapshot_ts: T0 + 86_400_000,
      category: 'OVERALL',
      time_period: 'ALL',
      order_by: 'PNL',
      rank: i + 1,
      proxy_wallet: wallet,
      user_name: `user${i}`,
      x_username: null,
      verified_badge: i % 2 === 0,
      vol: 1000 - i,
      pnl: 500 - i * 10,
      profile_image: null,
    });
  });
  return w;
}

function marketRecord(conditionId: string, eventId: string, tokenIds: string[], observed: number, closed: boolean): CleanMarket {
  return {
    condition_id: conditionId,
    source: 'GAMMA',
    observed_ts: observed,
    gamma_id: String(observed % 100000),
    question_id: null,
    question: `Question for ${conditionId.slice(0, 8)}?`,
    slug: `m-${conditionId.slice(2, 10)}`,
    description: 'A market',
    category: null,
    event_id: eventId,
    event_slug: `event-${eventId}`,
    outcomes: ['Yes', 'No'],
    token_ids: tokenIds,
    outcome_prices: [0.5, 0.5],
    active: !closed,
    closed,
    archived: false,
    restricted: false,
    accepting_orders: !closed,
    enable_order_book: true,
    neg_risk: false,
    volume: null,
    liquidity: null,
    volume_24hr: null,
    minimum_tick_size: 0.01,
    minimum_order_size: 5,
    maker_base_fee: 0,
    taker_base_fee: 0,
    start_ts: T0,
    end_ts: T0 + 120 * 86_400_000,
    created_ts: T0,
    updated_ts: observed,
    closed_ts: closed ? T0 + 100 * 86_400_000 : null,
    game_start_ts: null,
    accepting_orders_ts: null,
    uma_resolution_status: closed ? 'resolved' : null,
    market_maker_address: null,
    tags: ['Tag'],
    image: null,
    icon: null,
  };
}

function eventRecord(eventId: string, observed: number, conditionIds: string[]): CleanEvent {
  return {
    event_id: eventId,
    observed_ts: observed,
    ticker: `t-${eventId}`,
    slug: `event-${eventId}`,
    title: `Event ${eventId}`,
    subtitle: null,
    description: null,
    category: 'Sports',
    subcategory: null,
    series_slug: null,
    active: true,
    closed: false,
    archived: false,
    featured: false,
    restricted: false,
    neg_risk: false,
    liquidity: 10,
    volume: 20,
    open_interest: null,
    volume_24hr: null,
    competitive: null,
    comment_count: 0,
    start_ts: T0,
    end_ts: null,
    created_ts: T0,
    updated_ts: observed,
    closed_ts: null,
    published_ts: null,
    market_condition_ids: conditionIds,
    tags: [],
    image: null,
    icon: null,
  };
}

/** The key a record is published under (as the processors key them). */
export function keyOf<K extends SilverTopicKey>(topic: K, v: CleanRecordByTopic[K]): string {
  switch (topic) {
    case 'markets':
      return (v as CleanMarket).condition_id;
    case 'tokens':
      return (v as CleanToken).token_id;
    case 'events':
      return (v as CleanEvent).event_id;
    case 'trades':
      return (v as CleanTrade).trade_id;
    case 'prices': {
      const p = v as CleanPricePoint;
      return `${p.token_id}:${p.timestamp}`;
    }
    case 'holders': {
      const h = v as CleanHolder;
      return `${h.condition_id}|${h.token_id}|${h.proxy_wallet}`;
    }
    case 'openInterest':
      return (v as CleanOpenInterest).condition_id;
    default: {
      const l = v as CleanLeaderboardRow;
      return `${l.category}:${l.time_period}:${l.order_by}:${l.snapshot_ts}:${l.rank}`;
    }
  }
}

export interface TestLog {
  dir: string;
  transport: EmbeddedTransport;
  serde: Serde;
  registry: EmbeddedRegistry;
  publish<K extends SilverTopicKey>(topic: K, records: readonly CleanRecordByTopic[K][]): Promise<void>;
  publishWorld(world: CleanWorld): Promise<void>;
  close(): Promise<void>;
}

/** An embedded log and registry in a fresh temp dir. */
export async function openTestLog(prefix = 'pma-silver-'): Promise<TestLog> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const transport = await createEmbeddedTransport({ path: embeddedLogPath(dir), logger: silentLogger });
  const registry = new EmbeddedRegistry({ path: embeddedLogPath(dir) });
  const serde = new Serde(registry);
  const producer = transport.producer();
  await transport.admin().createTopics(Object.values(TOPICS).map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy })));
  const publish = async <K extends SilverTopicKey>(topic: K, records: readonly CleanRecordByTopic[K][]) => {
    const codec = await serde.codecFor<CleanRecordByTopic[K]>(TOPICS[topic]);
    for (let i = 0; i < records.length; i += 2_000) {
      await producer.send(
        TOPICS[topic].name,
        records.slice(i, i + 2_000).map((v) => ({ key: Buffer.from(keyOf(topic, v)), value: codec.encode(v) })),
      );
    }
  };
  return {
    dir,
    transport,
    serde,
    registry,
    publish,
    async publishWorld(world) {
      await publish('events', world.events);
      await publish('markets', world.markets);
      await publish('tokens', world.tokens);
      await publish('trades', world.trades);
      await publish('prices', world.prices);
      await publish('leaderboard', world.leaderboard);
      await publish('holders', world.holders);
      await publish('openInterest', world.openInterest);
    },
    async close() {
      await transport.close();
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
