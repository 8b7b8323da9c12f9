/**
 * The Silver tables (spec section 5 with the authors' intended model of 5.5): dimensions keyed by
 * surrogate keys derived from natural keys (keys.ts), facts without indexes (deduplicated by the
 * sink's merge, so loading stays fast and memory flat), and the sink's own bookkeeping.
 *
 * Every value comes from the records themselves, never from the load time, so a rebuild from the
 * topics gives the same rows. Timestamps are TIMESTAMP in UTC. Foreign keys are not declared:
 * facts never wait for their dimensions (keys are computed, not looked up), and the sink adds a
 * key-only row to a dimension the first time a fact names it, so joins find every key.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { SinkError } from '../../runtime/errors.ts';
import { dimKeySql } from './keys.ts';

/** Bumped when a table changes shape; a Silver file of another version must be rebuilt (`pma replay`). */
export const SILVER_SCHEMA_VERSION = 1;

/** The analyst-facing tables, in dependency order. */
export const SILVER_TABLES = [
  'MarketDim',
  'MarketTokenDim',
  'EventDim',
  'EventMarketBridge',
  'TraderDim',
  'TradeFact',
  'PriceHistoryFact',
  'LeaderboardSnapshot',
  'HolderSnapshot',
  'OpenInterestFact',
] as const;
export type SilverTable = (typeof SILVER_TABLES)[number];

/** The sink's progress per (topic, partition): the next offset to apply, stored with the data. */
export const OFFSETS_TABLE = 'silver_offsets';
export const META_TABLE = 'silver_meta';

const DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS ${META_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${OFFSETS_TABLE} (
    topic VARCHAR NOT NULL,
    "partition" INTEGER NOT NULL,
    next_offset BIGINT NOT NULL,
    PRIMARY KEY (topic, "partition"))`,
  `CREATE TABLE IF NOT EXISTS MarketDim (
    market_sk UBIGINT PRIMARY KEY,
    condition_id VARCHAR NOT NULL UNIQUE,
    gamma_market_id VARCHAR,
    question_id VARCHAR,
    question VARCHAR,
    market_slug VARCHAR,
    description VARCHAR,
    category VARCHAR,
    event_sk UBIGINT,
    event_id VARCHAR,
    event_slug VARCHAR,
    outcomes VARCHAR[],
    token_ids VARCHAR[],
    outcome_prices DOUBLE[],
    is_active BOOLEAN,
    is_closed BOOLEAN,
    is_archived BOOLEAN,
    is_restricted BOOLEAN,
    accepting_orders BOOLEAN,
    enable_order_book BOOLEAN,
    neg_risk BOOLEAN,
    volume DOUBLE,
    liquidity DOUBLE,
    volume_24hr DOUBLE,
    minimum_tick_size DOUBLE,
    minimum_order_size DOUBLE,
    maker_base_fee DOUBLE,
    taker_base_fee DOUBLE,
    start_date TIMESTAMP,
    end_date TIMESTAMP,
    created_at TIMESTAMP,
    updated_at TIMESTAMP,
    closed_time TIMESTAMP,
    game_start_time TIMESTAMP,
    uma_resolution_status VARCHAR,
    market_maker_address VARCHAR,
    tags VARCHAR[],
    image VARCHAR,
    icon VARCHAR,
    first_observed_at TIMESTAMP,
    last_observed_at TIMESTAMP)`,
  `CREATE TABLE IF NOT EXISTS MarketTokenDim (
    token_sk UBIGINT PRIMARY KEY,
    token_id VARCHAR NOT NULL UNIQUE,
    market_sk UBIGINT,
    condition_id VARCHAR,
    outcome VARCHAR,
    outcome_index INTEGER,
    price DOUBLE,
    is_winner BOOLEAN,
    first_observed_at TIMESTAMP,
    last_observed_at TIMESTAMP)`,
  `CREATE TABLE IF NOT EXISTS EventDim (
    event_sk UBIGINT PRIMARY KEY,
    event_id VARCHAR NOT NULL UNIQUE,
    ticker VARCHAR,
    slug VARCHAR,
    title VARCHAR,
    subtitle VARCHAR,
    description VARCHAR,
    category VARCHAR,
    subcategory VARCHAR,
    series_slug VARCHAR,
    is_active BOOLEAN,
    is_closed BOOLEAN,
    is_archived BOOLEAN,
    is_featured BOOLEAN,
    is_restricted BOOLEAN,
    neg_risk BOOLEAN,
    liquidity DOUBLE,
    volume DOUBLE,
    open_interest DOUBLE,
    volume_24hr DOUBLE,
    competitive DOUBLE,
    comment_count BIGINT,
    start_date TIMESTAMP,
    end_date TIMESTAMP,
    created_at TIMESTAMP,
    updated_at TIMESTAMP,
    closed_time TIMESTAMP,
    published_at TIMESTAMP,
    tags VARCHAR[],
    image VARCHAR,
    icon VARCHAR,
    first_observed_at TIMESTAMP,
    last_observed_at TIMESTAMP)`,
  `CREATE TABLE IF NOT EXISTS EventMarketBridge (
    event_sk UBIGINT NOT NULL,
    market_sk UBIGINT NOT NULL,
    condition_id VARCHAR NOT NULL,
    position INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS TraderDim (
    trader_sk UBIGINT PRIMARY KEY,
    wallet_address VARCHAR NOT NULL UNIQUE,
    user_name VARCHAR,
    x_username VARCHAR,
    verified_badge BOOLEAN,
    profile_image VARCHAR,
    profile_observed_at TIMESTAMP,
    display_name VARCHAR,
    pseudonym VARCHAR,
    names_observed_at TIMESTAMP,
    first_seen_at TIMESTAMP,
    last_seen_at TIMESTAMP)`,
  `CREATE TABLE IF NOT EXISTS TradeFact (
    trade_sk UHUGEINT NOT NULL,
    trade_id VARCHAR NOT NULL,
    market_sk UBIGINT NOT NULL,
    token_sk UBIGINT,
    trader_sk UBIGINT NOT NULL,
    event_sk UBIGINT,
    side VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    outcome VARCHAR,
    outcome_index INTEGER,
    price DOUBLE NOT NULL,
    size DOUBLE NOT NULL,
    notional DOUBLE NOT NULL,
    transaction_hash VARCHAR NOT NULL,
    trade_timestamp TIMESTAMP NOT NULL,
    trade_date DATE NOT NULL,
    is_unresolved BOOLEAN NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS PriceHistoryFact (
    token_sk UBIGINT NOT NULL,
    market_sk UBIGINT,
    price_timestamp TIMESTAMP NOT NULL,
    price_date DATE NOT NULL,
    price DOUBLE NOT NULL,
    fidelity_minutes INTEGER)`,
  `CREATE TABLE IF NOT EXISTS LeaderboardSnapshot (
    snapshot_timestamp TIMESTAMP NOT NULL,
    snapshot_date DATE NOT NULL,
    category VARCHAR NOT NULL,
    time_period VARCHAR NOT NULL,
    order_by VARCHAR NOT NULL,
    rank INTEGER NOT NULL,
    trader_sk UBIGINT NOT NULL,
    wallet_address VARCHAR NOT NULL,
    user_name VARCHAR,
    volume DOUBLE,
    profit DOUBLE,
    PRIMARY KEY (category, time_period, order_by, snapshot_timestamp, rank))`,
  `CREATE TABLE IF NOT EXISTS HolderSnapshot (
    market_sk UBIGINT NOT NULL,
    token_sk UBIGINT NOT NULL,
    trader_sk UBIGINT NOT NULL,
    snapshot_timestamp TIMESTAMP NOT NULL,
    snapshot_date DATE NOT NULL,
    condition_id VARCHAR NOT NULL,
    token_id VARCHAR NOT NULL,
    wallet_address VARCHAR NOT NULL,
    outcome_index INTEGER,
    amount DOUBLE NOT NULL,
    display_name VARCHAR,
    pseudonym VARCHAR,
    PRIMARY KEY (market_sk, token_sk, trader_sk, snapshot_timestamp))`,
  `CREATE TABLE IF NOT EXISTS OpenInterestFact (
    market_sk UBIGINT NOT NULL,
    snapshot_timestamp TIMESTAMP NOT NULL,
    snapshot_date DATE NOT NULL,
    condition_id VARCHAR NOT NULL,
    value DOUBLE NOT NULL,
    PRIMARY KEY (market_sk, snapshot_timestamp))`,
  `CREATE OR REPLACE MACRO silver_key(natural_key) AS ${dimKeySql('natural_key')}`,
];

/**
 * Creates whatever is missing and records the schema version; refuses a file written with
 * another version (its rows would not match these tables).
 */
export async function ensureSilverSchema(conn: DuckDBConnection, path: string): Promise<void> {
  for (const sql of DDL) await conn.run(sql);
  const found = await conn.runAndReadAll(`SELECT value FROM ${META_TABLE} WHERE key = 'schema_version'`);
  const rows = found.getRows();
  if (rows.length === 0) {
    await conn.run(`INSERT INTO ${META_TABLE} VALUES ('schema_version', '${SILVER_SCHEMA_VERSION}')`);
    return;
  }
  const version = String(rows[0]![0]);
  if (version !== String(SILVER_SCHEMA_VERSION)) {
    throw new SinkError(`${path} holds Silver schema version ${version}, this build writes version ${SILVER_SCHEMA_VERSION}: rebuild it with "pma replay --layer silver"`, { path, value: version });
  }
}
