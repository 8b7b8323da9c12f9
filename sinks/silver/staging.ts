/**
 * Staging: each clean topic has an unindexed table in an in-memory database attached to the
 * sink's instance, that a micro-batch is appended to with DuckDB's appender, in arrival order
 * (`_seq`). Nothing staged is durable; only a commit (writer.ts) makes it so. Values are staged as the record carries them;
 * the merge statements (merges.ts, built by merge-sql.ts) normalise and deduplicate in SQL, where it is fast.
 * Timestamps are staged as DOUBLE epoch milliseconds (exact below 2^53) to avoid a BigInt per value.
 */
import { DOUBLE, type DuckDBAppender, type DuckDBConnection, LIST, VARCHAR } from '@duckdb/node-api';
import { SinkError } from '../../runtime/errors.ts';
import type { CleanEvent, CleanLeaderboardRow, CleanMarket, CleanPricePoint, CleanRecordByTopic, CleanToken, CleanTrade } from '../../schemas/clean-records.ts';

export type StageType = 'VARCHAR' | 'DOUBLE' | 'INTEGER' | 'BOOLEAN' | 'TS' | 'VARCHAR[]' | 'DOUBLE[]';
type StageValue = string | number | boolean | null | readonly string[] | readonly number[];

interface StageColumn<R> {
  name: string;
  type: StageType;
  get: (r: R) => StageValue;
}

/** The clean topics Silver reads (the order-book stream has no Silver table). */
export const SILVER_TOPIC_KEYS = ['markets', 'tokens', 'events', 'trades', 'prices', 'leaderboard'] as const;
export type SilverTopicKey = (typeof SILVER_TOPIC_KEYS)[number];

const col = <R>(name: string, type: StageType, get: (r: R) => StageValue): StageColumn<R> => ({ name, type, get });

const MARKET_COLUMNS: StageColumn<CleanMarket>[] = [
  col('condition_id', 'VARCHAR', (r) => r.condition_id),
  col('gamma_id', 'VARCHAR', (r) => r.gamma_id),
  col('question_id', 'VARCHAR', (r) => r.question_id),
  col('question', 'VARCHAR', (r) => r.question),
  col('slug', 'VARCHAR', (r) => r.slug),
  col('description', 'VARCHAR', (r) => r.description),
  col('category', 'VARCHAR', (r) => r.category),
  col('event_id', 'VARCHAR', (r) => r.event_id),
  col('event_slug', 'VARCHAR', (r) => r.event_slug),
  col('outcomes', 'VARCHAR[]', (r) => r.outcomes),
  col('token_ids', 'VARCHAR[]', (r) => r.token_ids),
  col('outcome_prices', 'DOUBLE[]', (r) => r.outcome_prices),
  col('active', 'BOOLEAN', (r) => r.active),
  col('closed', 'BOOLEAN', (r) => r.closed),
  col('archived', 'BOOLEAN', (r) => r.archived),
  col('restricted', 'BOOLEAN', (r) => r.restricted),
  col('accepting_orders', 'BOOLEAN', (r) => r.accepting_orders),
  col('enable_order_book', 'BOOLEAN', (r) => r.enable_order_book),
  col('neg_risk', 'BOOLEAN', (r) => r.neg_risk),
  col('volume', 'DOUBLE', (r) => r.volume),
  col('liquidity', 'DOUBLE', (r) => r.liquidity),
  col('volume_24hr', 'DOUBLE', (r) => r.volume_24hr),
  col('minimum_tick_size', 'DOUBLE', (r) => r.minimum_tick_size),
  col('minimum_order_size', 'DOUBLE', (r) => r.minimum_order_size),
  col('maker_base_fee', 'DOUBLE', (r) => r.maker_base_fee),
  col('taker_base_fee', 'DOUBLE', (r) => r.taker_base_fee),
  col('start_ts', 'TS', (r) => r.start_ts),
  col('end_ts', 'TS', (r) => r.end_ts),
  col('created_ts', 'TS', (r) => r.created_ts),
  col('updated_ts', 'TS', (r) => r.updated_ts),
  col('closed_ts', 'TS', (r) => r.closed_ts),
  col('game_start_ts', 'TS', (r) => r.game_start_ts),
  col('uma_resolution_status', 'VARCHAR', (r) => r.uma_resolution_status),
  col('market_maker_address', 'VARCHAR', (r) => r.market_maker_address),
  col('tags', 'VARCHAR[]', (r) => r.tags),
  col('image', 'VARCHAR', (r) => r.image),
  col('icon', 'VARCHAR', (r) => r.icon),
  col('observed_ts', 'TS', (r) => r.observed_ts),
];

const TOKEN_COLUMNS: StageColumn<CleanToken>[] = [
  col('token_id', 'VARCHAR', (r) => r.token_id),
  col('condition_id', 'VARCHAR', (r) => r.condition_id),
  col('outcome', 'VARCHAR', (r) => r.outcome),
  col('outcome_index', 'INTEGER', (r) => r.outcome_index),
  col('price', 'DOUBLE', (r) => r.price),
  col('winner', 'BOOLEAN', (r) => r.winner),
  col('observed_ts', 'TS', (r) => r.observed_ts),
];

const EVENT_COLUMNS: StageColumn<CleanEvent>[] = [
  col('event_id', 'VARCHAR', (r) => r.event_id),
  col('ticker', 'VARCHAR', (r) => r.ticker),
  col('slug', 'VARCHAR', (r) => r.slug),
  col('title', 'VARCHAR', (r) => r.title),
  col('subtitle', 'VARCHAR', (r) => r.subtitle),
  col('description', 'VARCHAR', (r) => r.description),
  col('category', 'VARCHAR', (r) => r.category),
  col('subcategory', 'VARCHAR', (r) => r.subcategory),
  col('series_slug', 'VARCHAR', (r) => r.series_slug),
  col('active', 'BOOLEAN', (r) => r.active),
  col('closed', 'BOOLEAN', (r) => r.closed),
  col('archived', 'BOOLEAN', (r) => r.archived),
  col('featured', 'BOOLEAN', (r) => r.featured),
  col('restricted', 'BOOLEAN', (r) => r.restricted),
  col('neg_risk', 'BOOLEAN', (r) => r.neg_risk),
  col('liquidity', 'DOUBLE', (r) => r.liquidity),
  col('volume', 'DOUBLE', (r) => r.volume),
  col('open_interest', 'DOUBLE', (r) => r.open_interest),
  col('volume_24hr', 'DOUBLE', (r) => r.volume_24hr),
  col('competitive', 'DOUBLE', (r) => r.competitive),
  col('comment_count', 'DOUBLE', (r) => r.comment_count),
  col('start_ts', 'TS', (r) => r.start_ts),
  col('end_ts', 'TS', (r) => r.end_ts),
  col('created_ts', 'TS', (r) => r.created_ts),
  col('updated_ts', 'TS', (r) => r.updated_ts),
  col('closed_ts', 'TS', (r) => r.closed_ts),
  col('published_ts', 'TS', (r) => r.published_ts),
  col('market_condition_ids', 'VARCHAR[]', (r) => r.market_condition_ids),
  col('tags', 'VARCHAR[]', (r) => r.tags),
  col('image', 'VARCHAR', (r) => r.image),
  col('icon', 'VARCHAR', (r) => r.icon),
  col('observed_ts', 'TS', (r) => r.observed_ts),
];

const TRADE_COLUMNS: StageColumn<CleanTrade>[] = [
  col('trade_id', 'VARCHAR', (r) => r.trade_id),
  col('ts', 'TS', (r) => r.timestamp),
  col('condition_id', 'VARCHAR', (r) => r.condition_id),
  col('token_id', 'VARCHAR', (r) => r.token_id),
  col('outcome', 'VARCHAR', (r) => r.outcome),
  col('outcome_index', 'INTEGER', (r) => r.outcome_index),
  col('event_id', 'VARCHAR', (r) => r.event_id),
  col('side', 'VARCHAR', (r) => r.side),
  col('role', 'VARCHAR', (r) => r.role),
  col('price', 'DOUBLE', (r) => r.price),
  col('size', 'DOUBLE', (r) => r.size),
  col('transaction_hash', 'VARCHAR', (r) => r.transaction_hash),
  col('wallet', 'VARCHAR', (r) => r.proxy_wallet),
  col('name', 'VARCHAR', (r) => r.name),
  col('pseudonym', 'VARCHAR', (r) => r.pseudonym),
  col('unresolved', 'BOOLEAN', (r) => r.unresolved),
];

const PRICE_COLUMNS: StageColumn<CleanPricePoint>[] = [
  col('token_id', 'VARCHAR', (r) => r.token_id),
  col('ts', 'TS', (r) => r.timestamp),
  col('price', 'DOUBLE', (r) => r.price),
  col('condition_id', 'VARCHAR', (r) => r.condition_id),
  col('fidelity_minutes', 'INTEGER', (r) => r.fidelity_minutes),
];

const LEADERBOARD_COLUMNS: StageColumn<CleanLeaderboardRow>[] = [
  col('snapshot_ts', 'TS', (r) => r.snapshot_ts),
  col('category', 'VARCHAR', (r) => r.category),
  col('time_period', 'VARCHAR', (r) => r.time_period),
  col('order_by', 'VARCHAR', (r) => r.order_by),
  col('rank', 'INTEGER', (r) => r.rank),
  col('wallet', 'VARCHAR', (r) => r.proxy_wallet),
  col('user_name', 'VARCHAR', (r) => r.user_name),
  col('x_username', 'VARCHAR', (r) => r.x_username),
  col('verified_badge', 'BOOLEAN', (r) => r.verified_badge),
  col('vol', 'DOUBLE', (r) => r.vol),
  col('pnl', 'DOUBLE', (r) => r.pnl),
  col('profile_image', 'VARCHAR', (r) => r.profile_image),
];

type Columns = { [K in SilverTopicKey]: StageColumn<CleanRecordByTopic[K]>[] };
const COLUMNS: Columns = {
  markets: MARKET_COLUMNS,
  tokens: TOKEN_COLUMNS,
  events: EVENT_COLUMNS,
  trades: TRADE_COLUMNS,
  prices: PRICE_COLUMNS,
  leaderboard: LEADERBOARD_COLUMNS,
};

/** The in-memory database that holds staging, shared by the sink's connections. */
export const STAGE_DB = 'silver_stage';

/** Staging is double-buffered: one buffer fills while the other is being merged. */
export type StageBuffer = 0 | 1;

/** The staging table of a topic in one buffer. */
export const stageTable = (topic: SilverTopicKey, buffer: StageBuffer): string => `${STAGE_DB}.main.stage_${topic}_${buffer}`;

/** The name merges read a topic's staged batch by: a TEMP view of the merging connection, pointed at one buffer. */
export const stageView = (topic: SilverTopicKey): string => `stage_${topic}`;

const SQL_TYPE: Record<StageType, string> = {
  VARCHAR: 'VARCHAR',
  DOUBLE: 'DOUBLE',
  INTEGER: 'INTEGER',
  BOOLEAN: 'BOOLEAN',
  TS: 'DOUBLE',
  'VARCHAR[]': 'VARCHAR[]',
  'DOUBLE[]': 'DOUBLE[]',
};

/** Attaches the staging database to the instance and creates both buffers of every topic. */
export async function createStaging(conn: DuckDBConnection): Promise<void> {
  await conn.run(`ATTACH IF NOT EXISTS ':memory:' AS ${STAGE_DB}`);
  for (const topic of SILVER_TOPIC_KEYS) {
    for (const buffer of [0, 1] as const) await resetStage(conn, topic, buffer);
  }
}

/** Empties one buffer of a topic by creating its table afresh, so its memory goes back at once. */
export async function resetStage(conn: DuckDBConnection, topic: SilverTopicKey, buffer: StageBuffer): Promise<void> {
  const cols = (COLUMNS[topic] as StageColumn<unknown>[]).map((c) => `"${c.name}" ${SQL_TYPE[c.type]}`);
  await conn.run(`CREATE OR REPLACE TABLE ${stageTable(topic, buffer)} (_seq INTEGER NOT NULL, ${cols.join(', ')})`);
}

/** Points the merging connection's staging views at one buffer. */
export async function pointStageViews(conn: DuckDBConnection, buffer: StageBuffer): Promise<void> {
  for (const topic of SILVER_TOPIC_KEYS) {
    await conn.run(`CREATE OR REPLACE TEMP VIEW ${stageView(topic)} AS SELECT * FROM ${stageTable(topic, buffer)}`);
  }
}

const VARCHAR_LIST = LIST(VARCHAR);
const DOUBLE_LIST = LIST(DOUBLE);

/**
 * Appends one topic's records to its staging table. Rows reach the table when `close` runs
 * (the appender buffers them); a StagedWriter is used for one micro-batch only.
 */
export class StagedWriter<K extends SilverTopicKey> {
  readonly topic: K;
  readonly #appender: DuckDBAppender;
  readonly #columns: StageColumn<CleanRecordByTopic[K]>[];
  rows = 0;

  private constructor(topic: K, appender: DuckDBAppender) {
    this.topic = topic;
    this.#appender = appender;
    this.#columns = COLUMNS[topic] as StageColumn<CleanRecordByTopic[K]>[];
  }

  static async open<K extends SilverTopicKey>(conn: DuckDBConnection, topic: K, buffer: StageBuffer): Promise<StagedWriter<K>> {
    return new StagedWriter(topic, await conn.createAppender(`stage_${topic}_${buffer}`, 'main', STAGE_DB));
  }

  /** Appends a record; `seq` is its arrival order in the batch. Throws SinkError naming the field that does not fit. */
  append(seq: number, record: CleanRecordByTopic[K]): void {
    const a = this.#appender;
    a.appendInteger(seq);
    for (const c of this.#columns) {
      const v = c.get(record);
      if (v === null || v === undefined) {
        a.appendNull();
        continue;
      }
      switch (c.type) {
        case 'VARCHAR':
          if (typeof v !== 'string') throw misfit(this.topic, c.name, v);
          a.appendVarchar(v);
          break;
        case 'DOUBLE':
        case 'TS':
          if (typeof v !== 'number') throw misfit(this.topic, c.name, v);
          a.appendDouble(v);
          break;
        case 'INTEGER':
          if (typeof v !== 'number' || !Number.isInteger(v)) throw misfit(this.topic, c.name, v);
          a.appendInteger(v);
          break;
        case 'BOOLEAN':
          if (typeof v !== 'boolean') throw misfit(this.topic, c.name, v);
          a.appendBoolean(v);
          break;
        case 'VARCHAR[]':
          if (!Array.isArray(v)) throw misfit(this.topic, c.name, v);
          a.appendList(v as string[], VARCHAR_LIST);
          break;
        case 'DOUBLE[]':
          if (!Array.isArray(v)) throw misfit(this.topic, c.name, v);
          a.appendList(v as number[], DOUBLE_LIST);
          break;
      }
    }
    a.endRow();
    this.rows += 1;
  }

  /** Flushes the buffered rows into the staging table and releases the appender. */
  close(): void {
    this.#appender.closeSync();
  }
}

function misfit(topic: string, field: string, value: unknown): SinkError {
  return new SinkError(`record of ${topic} has a ${typeof value} in field ${field}, which Silver cannot stage`, { topic, field, value });
}
