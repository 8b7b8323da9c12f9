/**
 * What each clean topic does to Silver: the merges of its staged batch into the tables (rules
 * in merge-sql.ts). Text is normalised here: empty strings become NULL (so an empty value never
 * overwrites a real one), hex identifiers (condition ids, wallets, transaction hashes) are
 * lower-cased, epoch milliseconds become UTC TIMESTAMPs.
 */
import { dimKeySql, tradeKeySql } from './keys.ts';
import type { MergeColumn, MergeRule, TableMerge } from './merge-sql.ts';
import { type SilverTopicKey, stageView } from './staging.ts';

const c = (name: string, rule: MergeRule, expr: string): MergeColumn => ({ name, rule, expr });
const text = (f: string) => `nullif("${f}", '')`;
const hex = (f: string) => `lower(nullif("${f}", ''))`;
const ts = (f: string) => `epoch_ms("${f}"::BIGINT)`;
const list = (f: string) => `nullif("${f}", [])`;
const keyOrNull = (natural: string) => `CASE WHEN ${natural} IS NULL THEN NULL ELSE ${dimKeySql(natural)} END`;
const same = (name: string, rule: MergeRule = 'latest') => c(name, rule, `"${name}"`);

/**
 * Key-only rows in a dimension for keys a record names (rule `first`: never overrides the
 * dimension's own records). Staged rows are grouped on the raw values first, so the keys are
 * hashed once per distinct value rather than once per row.
 */
const distinctOf = (topic: SilverTopicKey, fields: string[]) => `(SELECT min(_seq) AS _seq, ${fields.map((f) => `"${f}"`).join(', ')} FROM ${stageView(topic)} GROUP BY ALL)`;

/** The dimensions: table, surrogate key, natural id column, and how a record's field becomes that id. */
const DIMENSIONS = {
  market: { table: 'MarketDim', sk: 'market_sk', id: 'condition_id', natural: hex },
  event: { table: 'EventDim', sk: 'event_sk', id: 'event_id', natural: text },
  token: { table: 'MarketTokenDim', sk: 'token_sk', id: 'token_id', natural: text },
} as const;

/** An upsert into a dimension keyed by the id in `field` (its surrogate and natural key first), then `columns`. */
const dimension = (dim: keyof typeof DIMENSIONS, from: string, field: string, columns: MergeColumn[] = []): TableMerge => {
  const d = DIMENSIONS[dim];
  const natural = d.natural(field);
  return {
    table: d.table,
    from,
    where: `${natural} IS NOT NULL`,
    strategy: 'upsert',
    conflict: [d.sk],
    columns: [c(d.sk, 'key', dimKeySql(natural)), c(d.id, 'key', natural), ...columns],
  };
};

/** When a dimension row was first and last seen in a record of its own. */
const OBSERVED = [c('first_observed_at', 'min', ts('observed_ts')), c('last_observed_at', 'max', ts('observed_ts'))];

/** Gamma's lifecycle timestamps, which markets and events name alike. */
const GAMMA_TIMES = [
  c('start_date', 'latest', ts('start_ts')),
  c('end_date', 'latest', ts('end_ts')),
  c('created_at', 'latest', ts('created_ts')),
  c('updated_at', 'latest', ts('updated_ts')),
  c('closed_time', 'latest', ts('closed_ts')),
];
/** The tags and pictures Gamma gives markets and events alike, then when the row was seen. */
const GAMMA_LOOKS = [c('tags', 'latest', list('tags')), c('image', 'latest', text('image')), c('icon', 'latest', text('icon')), ...OBSERVED];

const marketStub = (topic: SilverTopicKey, conditionField: string) => dimension('market', distinctOf(topic, [conditionField]), conditionField);
const eventStub = (topic: SilverTopicKey, eventField: string) => dimension('event', distinctOf(topic, [eventField]), eventField);
const tokenStub = (topic: SilverTopicKey, conditionField: string) =>
  dimension('token', distinctOf(topic, ['token_id', conditionField]), 'token_id', [c('market_sk', 'first', keyOrNull(hex(conditionField))), c('condition_id', 'first', hex(conditionField))]);

const MARKETS = dimension('market', stageView('markets'), 'condition_id', [
  c('gamma_market_id', 'latest', text('gamma_id')),
  c('question_id', 'latest', hex('question_id')),
  c('question', 'latest', text('question')),
  c('market_slug', 'latest', text('slug')),
  c('description', 'latest', text('description')),
  c('category', 'latest', text('category')),
  c('event_sk', 'latest', keyOrNull(text('event_id'))),
  c('event_id', 'latest', text('event_id')),
  c('event_slug', 'latest', text('event_slug')),
  c('outcomes', 'latest', list('outcomes')),
  c('token_ids', 'latest', list('token_ids')),
  c('outcome_prices', 'latest', list('outcome_prices')),
  c('is_active', 'latest', '"active"'),
  c('is_closed', 'latest', '"closed"'),
  c('is_archived', 'latest', '"archived"'),
  c('is_restricted', 'latest', '"restricted"'),
  same('accepting_orders'),
  same('enable_order_book'),
  same('neg_risk'),
  same('volume'),
  same('liquidity'),
  same('volume_24hr'),
  same('minimum_tick_size'),
  same('minimum_order_size'),
  same('maker_base_fee'),
  same('taker_base_fee'),
  ...GAMMA_TIMES,
  c('game_start_time', 'latest', ts('game_start_ts')),
  c('uma_resolution_status', 'latest', text('uma_resolution_status')),
  c('market_maker_address', 'latest', hex('market_maker_address')),
  ...GAMMA_LOOKS,
]);

const TOKENS = dimension('token', stageView('tokens'), 'token_id', [
  c('market_sk', 'latest', keyOrNull(hex('condition_id'))),
  c('condition_id', 'latest', hex('condition_id')),
  c('outcome', 'latest', text('outcome')),
  same('outcome_index'),
  same('price'),
  c('is_winner', 'latest', '"winner"'),
  ...OBSERVED,
]);

const EVENTS = dimension('event', stageView('events'), 'event_id', [
  ...['ticker', 'slug', 'title', 'subtitle', 'description', 'category', 'subcategory', 'series_slug'].map((f) => c(f, 'latest', text(f))),
  c('is_active', 'latest', '"active"'),
  c('is_closed', 'latest', '"closed"'),
  c('is_archived', 'latest', '"archived"'),
  c('is_featured', 'latest', '"featured"'),
  c('is_restricted', 'latest', '"restricted"'),
  same('neg_risk'),
  ...['liquidity', 'volume', 'open_interest', 'volume_24hr', 'competitive'].map((f) => same(f)),
  c('comment_count', 'latest', '"comment_count"::BIGINT'),
  ...GAMMA_TIMES,
  c('published_at', 'latest', ts('published_ts')),
  ...GAMMA_LOOKS,
]);

const TRADES: TableMerge = {
  table: 'TradeFact',
  from: stageView('trades'),
  strategy: 'antijoin',
  columns: [
    c('trade_sk', 'key', tradeKeySql('"trade_id"')),
    c('trade_id', 'first', '"trade_id"'),
    c('market_sk', 'latest', dimKeySql(hex('condition_id'))),
    c('token_sk', 'latest', keyOrNull(text('token_id'))),
    c('trader_sk', 'latest', dimKeySql(hex('wallet'))),
    c('event_sk', 'latest', keyOrNull(text('event_id'))),
    same('side'),
    same('role'),
    c('outcome', 'latest', text('outcome')),
    same('outcome_index'),
    same('price'),
    same('size'),
    c('notional', 'latest', '"price" * "size"'),
    c('transaction_hash', 'latest', hex('transaction_hash')),
    c('trade_timestamp', 'latest', ts('ts')),
    c('trade_date', 'latest', `${ts('ts')}::DATE`),
    c('is_unresolved', 'latest', '"unresolved"'),
  ],
};

const PRICES: TableMerge = {
  table: 'PriceHistoryFact',
  from: stageView('prices'),
  where: `${text('token_id')} IS NOT NULL`,
  strategy: 'antijoin',
  columns: [
    c('token_sk', 'key', dimKeySql(text('token_id'))),
    c('price_timestamp', 'key', ts('ts')),
    c('market_sk', 'latest', keyOrNull(hex('condition_id'))),
    c('price_date', 'latest', `${ts('ts')}::DATE`),
    same('price'),
    same('fidelity_minutes'),
  ],
};

const LEADERBOARD: TableMerge = {
  table: 'LeaderboardSnapshot',
  from: stageView('leaderboard'),
  where: `${hex('wallet')} IS NOT NULL`,
  strategy: 'upsert',
  columns: [
    c('category', 'key', '"category"'),
    c('time_period', 'key', '"time_period"'),
    c('order_by', 'key', '"order_by"'),
    c('snapshot_timestamp', 'key', ts('snapshot_ts')),
    c('rank', 'key', '"rank"'),
    c('snapshot_date', 'latest', `${ts('snapshot_ts')}::DATE`),
    c('trader_sk', 'latest', dimKeySql(hex('wallet'))),
    c('wallet_address', 'latest', hex('wallet')),
    c('user_name', 'latest', text('user_name')),
    c('volume', 'latest', '"vol"'),
    c('profit', 'latest', '"pnl"'),
  ],
};

/** Top holders: one row per market, token, wallet and snapshot (a pass read again gives the same rows). */
const HOLDERS: TableMerge = {
  table: 'HolderSnapshot',
  from: stageView('holders'),
  where: `${hex('wallet')} IS NOT NULL AND ${hex('condition_id')} IS NOT NULL AND ${text('token_id')} IS NOT NULL`,
  strategy: 'upsert',
  columns: [
    c('market_sk', 'key', dimKeySql(hex('condition_id'))),
    c('token_sk', 'key', dimKeySql(text('token_id'))),
    c('trader_sk', 'key', dimKeySql(hex('wallet'))),
    c('snapshot_timestamp', 'key', ts('snapshot_ts')),
    c('snapshot_date', 'latest', `${ts('snapshot_ts')}::DATE`),
    c('condition_id', 'latest', hex('condition_id')),
    c('token_id', 'latest', text('token_id')),
    c('wallet_address', 'latest', hex('wallet')),
    same('outcome_index'),
    same('amount'),
    c('display_name', 'latest', text('name')),
    c('pseudonym', 'latest', text('pseudonym')),
  ],
};

/** Open interest: one row per market and snapshot. */
const OPEN_INTEREST: TableMerge = {
  table: 'OpenInterestFact',
  from: stageView('openInterest'),
  where: `${hex('condition_id')} IS NOT NULL`,
  strategy: 'upsert',
  columns: [
    c('market_sk', 'key', dimKeySql(hex('condition_id'))),
    c('snapshot_timestamp', 'key', ts('snapshot_ts')),
    c('snapshot_date', 'latest', `${ts('snapshot_ts')}::DATE`),
    c('condition_id', 'latest', hex('condition_id')),
    same('value'),
  ],
};

/**
 * A trader's descriptive fields come from rows in any partition, so "latest" is not well defined
 * across them: the value observed at the greatest time wins, ties broken by the values themselves
 * (a total order, so any interleaving gives the same row). First/last seen are min/max.
 */
interface ProfileGroup {
  at: string;
  fields: Array<{ name: string; expr: string }>;
}

function traderStatements(topic: SilverTopicKey, walletField: string, seenExpr: string, profile: ProfileGroup): string[] {
  const batch = `batch_traders_${topic}`;
  const fieldNames = profile.fields.map((f) => f.name);
  const struct = (prefix: string, at: string) => `{'at': ${prefix}${at}, ${fieldNames.map((n) => `'${n}': ${prefix}${n}`).join(', ')}}`;
  const anyField = fieldNames.map((n) => `${n} IS NOT NULL`).join(' OR ');
  const newer = `(excluded.${profile.at} IS NOT NULL AND (TraderDim.${profile.at} IS NULL OR ` + `${struct('excluded.', profile.at)} > ${struct('TraderDim.', profile.at)}))`;
  // Stored values are named with the table: inside a struct literal a bare name is ambiguous.
  const pick = (col: string) => `${col} = CASE WHEN ${newer} THEN excluded.${col} ELSE TraderDim.${col} END`;
  // Grouped on the raw wallet first (cheap), then on the normalised one (hashing once per wallet).
  const perRawWallet =
    `SELECT "${walletField}" AS raw, min(seen) AS first_seen, max(seen) AS last_seen, ` +
    `max({'at': seen, ${fieldNames.map((n) => `'${n}': ${n}`).join(', ')}}) FILTER (WHERE ${anyField}) AS profile ` +
    `FROM (SELECT "${walletField}", ${seenExpr} AS seen, ${profile.fields.map((f) => `${f.expr} AS ${f.name}`).join(', ')} ` +
    `FROM ${stageView(topic)}) GROUP BY "${walletField}"`;
  return [
    `CREATE OR REPLACE TEMP TABLE ${batch} AS SELECT ${dimKeySql('w')} AS trader_sk, w AS wallet_address, ` +
      `min(first_seen) AS first_seen_at, max(last_seen) AS last_seen_at, max(profile) AS profile ` +
      `FROM (SELECT lower(nullif(raw, '')) AS w, first_seen, last_seen, profile FROM (${perRawWallet})) WHERE w IS NOT NULL GROUP BY w`,
    `INSERT INTO TraderDim (trader_sk, wallet_address, first_seen_at, last_seen_at, ${profile.at}, ${fieldNames.join(', ')}) ` +
      `SELECT trader_sk, wallet_address, first_seen_at, last_seen_at, profile.at, ${fieldNames.map((n) => `profile.${n}`).join(', ')} FROM ${batch} ` +
      `ON CONFLICT (trader_sk) DO UPDATE SET first_seen_at = LEAST(TraderDim.first_seen_at, excluded.first_seen_at), ` +
      `last_seen_at = GREATEST(TraderDim.last_seen_at, excluded.last_seen_at), ` +
      `${[profile.at, ...fieldNames].map(pick).join(', ')}`,
  ];
}

/** The event-to-market bridge: each event's latest non-empty market list replaces the one stored. */
function bridgeStatements(): string[] {
  const batch = 'batch_event_markets';
  return [
    `CREATE OR REPLACE TEMP TABLE ${batch} AS SELECT ${dimKeySql('event_id')} AS event_sk, ` +
      `arg_max(ids, _seq) AS ids FROM (SELECT _seq, ${text('event_id')} AS event_id, "market_condition_ids" AS ids ` +
      `FROM ${stageView('events')} WHERE len("market_condition_ids") > 0) WHERE event_id IS NOT NULL GROUP BY event_id`,
    `DELETE FROM EventMarketBridge WHERE event_sk IN (SELECT event_sk FROM ${batch})`,
    `INSERT INTO EventMarketBridge (event_sk, market_sk, condition_id, position) ` +
      `SELECT event_sk, ${dimKeySql('cid')}, cid, pos - 1 FROM (SELECT event_sk, lower(unnest(ids)) AS cid, generate_subscripts(ids, 1) AS pos FROM ${batch}) ` +
      `WHERE cid <> ''`,
    `INSERT INTO MarketDim (market_sk, condition_id) SELECT DISTINCT market_sk, condition_id FROM EventMarketBridge ` +
      `WHERE event_sk IN (SELECT event_sk FROM ${batch}) ON CONFLICT (market_sk) DO NOTHING`,
  ];
}

/** One step of a topic's fold: a table merge, or hand-written statements. */
export type FoldStep = { merge: TableMerge } | { statements: string[] };

export const FOLDS: Readonly<Record<SilverTopicKey, FoldStep[]>> = {
  markets: [{ merge: MARKETS }, { merge: eventStub('markets', 'event_id') }],
  tokens: [{ merge: TOKENS }, { merge: marketStub('tokens', 'condition_id') }],
  events: [{ merge: EVENTS }, { statements: bridgeStatements() }],
  trades: [
    { merge: TRADES },
    { merge: marketStub('trades', 'condition_id') },
    { merge: tokenStub('trades', 'condition_id') },
    { merge: eventStub('trades', 'event_id') },
    {
      statements: traderStatements('trades', 'wallet', ts('ts'), {
        at: 'names_observed_at',
        fields: [
          { name: 'display_name', expr: text('name') },
          { name: 'pseudonym', expr: text('pseudonym') },
        ],
      }),
    },
  ],
  prices: [{ merge: PRICES }, { merge: tokenStub('prices', 'condition_id') }, { merge: marketStub('prices', 'condition_id') }],
  leaderboard: [
    { merge: LEADERBOARD },
    {
      statements: traderStatements('leaderboard', 'wallet', ts('snapshot_ts'), {
        at: 'profile_observed_at',
        fields: [
          { name: 'user_name', expr: text('user_name') },
          { name: 'x_username', expr: text('x_username') },
          { name: 'verified_badge', expr: '"verified_badge"' },
          { name: 'profile_image', expr: text('profile_image') },
        ],
      }),
    },
  ],
  holders: [
    { merge: HOLDERS },
    { merge: marketStub('holders', 'condition_id') },
    { merge: tokenStub('holders', 'condition_id') },
    {
      statements: traderStatements('holders', 'wallet', ts('snapshot_ts'), {
        at: 'names_observed_at',
        fields: [
          { name: 'display_name', expr: text('name') },
          { name: 'pseudonym', expr: text('pseudonym') },
        ],
      }),
    },
  ],
  openInterest: [{ merge: OPEN_INTEREST }, { merge: marketStub('openInterest', 'condition_id') }],
};
