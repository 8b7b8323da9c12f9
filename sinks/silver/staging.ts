/**
 * Staging: a micro-batch of one clean topic reaches DuckDB as a Parquet file of columns, built off
 * the main thread from the records' Avro bodies (columns/), in arrival order (`_seq`). The merges
 * (merges.ts, built by merge-sql.ts) read it through a TEMP view; nothing staged is durable, only
 * a commit (writer.ts) makes it so. Values are staged as the record carries them: the merges normalise and deduplicate
 * in SQL, where it is fast. Timestamps are staged as BIGINT epoch milliseconds.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

/** The clean topics Silver reads (the order-book stream has no Silver table). */
export const SILVER_TOPIC_KEYS = ['markets', 'tokens', 'events', 'trades', 'prices', 'leaderboard', 'holders', 'openInterest'] as const;
export type SilverTopicKey = (typeof SILVER_TOPIC_KEYS)[number];

/** A staged column: its name in the merges, and the record field it holds. */
export interface StageColumn {
  name: string;
  field: string;
}

const same = (...names: string[]): StageColumn[] => names.map((name) => ({ name, field: name }));
const renamed = (name: string, field: string): StageColumn => ({ name, field });

const GAMMA_TIMES = same('start_ts', 'end_ts', 'created_ts', 'updated_ts', 'closed_ts');

/** The fields each topic stages; a record's other fields are read past. */
export const STAGE_COLUMNS: Readonly<Record<SilverTopicKey, readonly StageColumn[]>> = {
  markets: [
    ...same('condition_id', 'gamma_id', 'question_id', 'question', 'slug', 'description', 'category', 'event_id', 'event_slug', 'outcomes', 'token_ids', 'outcome_prices'),
    ...same('active', 'closed', 'archived', 'restricted', 'accepting_orders', 'enable_order_book', 'neg_risk'),
    ...same('volume', 'liquidity', 'volume_24hr', 'minimum_tick_size', 'minimum_order_size', 'maker_base_fee', 'taker_base_fee'),
    ...GAMMA_TIMES,
    ...same('game_start_ts', 'uma_resolution_status', 'market_maker_address', 'tags', 'image', 'icon', 'observed_ts'),
  ],
  tokens: same('token_id', 'condition_id', 'outcome', 'outcome_index', 'price', 'winner', 'observed_ts'),
  events: [
    ...same('event_id', 'ticker', 'slug', 'title', 'subtitle', 'description', 'category', 'subcategory', 'series_slug'),
    ...same('active', 'closed', 'archived', 'featured', 'restricted', 'neg_risk'),
    ...same('liquidity', 'volume', 'open_interest', 'volume_24hr', 'competitive', 'comment_count'),
    ...GAMMA_TIMES,
    ...same('published_ts', 'market_condition_ids', 'tags', 'image', 'icon', 'observed_ts'),
  ],
  trades: [
    ...same('trade_id'),
    renamed('ts', 'timestamp'),
    ...same('condition_id', 'token_id', 'outcome', 'outcome_index', 'event_id', 'side', 'role', 'price', 'size', 'transaction_hash'),
    renamed('wallet', 'proxy_wallet'),
    ...same('name', 'pseudonym', 'unresolved'),
  ],
  prices: [...same('token_id'), renamed('ts', 'timestamp'), ...same('price', 'condition_id', 'fidelity_minutes')],
  leaderboard: [
    ...same('snapshot_ts', 'category', 'time_period', 'order_by', 'rank'),
    renamed('wallet', 'proxy_wallet'),
    ...same('user_name', 'x_username', 'verified_badge', 'vol', 'pnl', 'profile_image'),
  ],
  holders: [...same('snapshot_ts', 'condition_id', 'token_id', 'outcome_index'), renamed('wallet', 'proxy_wallet'), ...same('amount', 'name', 'pseudonym')],
  openInterest: same('snapshot_ts', 'condition_id', 'value'),
};

/** The name merges read a topic's staged batch by: a TEMP view of the merging connection. */
export const stageView = (topic: SilverTopicKey): string => `stage_${topic}`;

/** Points a topic's staging view at the Parquet file of its batch (stage-columns.ts). */
export async function pointStageView(conn: DuckDBConnection, topic: SilverTopicKey, file: string): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP VIEW ${stageView(topic)} AS SELECT * FROM read_parquet('${file.replaceAll("'", "''")}')`);
}
