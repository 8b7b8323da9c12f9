/**
 * TypeScript shapes of the clean records (the .avsc files beside this module are the truth; a test
 * checks that each field list here equals its schema's fields). Timestamps are UTC epoch
 * milliseconds, prices and sizes doubles, nullable fields null when the source did not say.
 */

export type MarketSource = 'GAMMA' | 'CLOB';
export type Side = 'BUY' | 'SELL';
export type TradeRole = 'MAKER' | 'TAKER' | 'UNKNOWN';
export type LeaderboardPeriod = 'DAY' | 'WEEK' | 'MONTH' | 'ALL';
export type LeaderboardOrder = 'PNL' | 'VOL';

export interface CleanMarket {
  condition_id: string;
  source: MarketSource;
  observed_ts: number;
  gamma_id: string | null;
  question_id: string | null;
  question: string | null;
  slug: string | null;
  description: string | null;
  category: string | null;
  event_id: string | null;
  event_slug: string | null;
  outcomes: string[];
  token_ids: string[];
  outcome_prices: number[];
  active: boolean | null;
  closed: boolean | null;
  archived: boolean | null;
  restricted: boolean | null;
  accepting_orders: boolean | null;
  enable_order_book: boolean | null;
  neg_risk: boolean | null;
  volume: number | null;
  liquidity: number | null;
  volume_24hr: number | null;
  minimum_tick_size: number | null;
  minimum_order_size: number | null;
  maker_base_fee: number | null;
  taker_base_fee: number | null;
  start_ts: number | null;
  end_ts: number | null;
  created_ts: number | null;
  updated_ts: number | null;
  closed_ts: number | null;
  game_start_ts: number | null;
  accepting_orders_ts: number | null;
  uma_resolution_status: string | null;
  market_maker_address: string | null;
  tags: string[];
  image: string | null;
  icon: string | null;
}

export interface CleanToken {
  token_id: string;
  condition_id: string;
  source: MarketSource;
  observed_ts: number;
  outcome: string;
  outcome_index: number;
  price: number | null;
  winner: boolean | null;
  event_id: string | null;
}

export interface CleanEvent {
  event_id: string;
  observed_ts: number;
  ticker: string | null;
  slug: string | null;
  title: string | null;
  subtitle: string | null;
  description: string | null;
  category: string | null;
  subcategory: string | null;
  series_slug: string | null;
  active: boolean | null;
  closed: boolean | null;
  archived: boolean | null;
  featured: boolean | null;
  restricted: boolean | null;
  neg_risk: boolean | null;
  liquidity: number | null;
  volume: number | null;
  open_interest: number | null;
  volume_24hr: number | null;
  competitive: number | null;
  comment_count: number | null;
  start_ts: number | null;
  end_ts: number | null;
  created_ts: number | null;
  updated_ts: number | null;
  closed_ts: number | null;
  published_ts: number | null;
  market_condition_ids: string[];
  tags: string[];
  image: string | null;
  icon: string | null;
}

export interface CleanTrade {
  trade_id: string;
  timestamp: number;
  condition_id: string;
  token_id: string | null;
  outcome: string | null;
  outcome_index: number | null;
  event_id: string | null;
  event_slug: string | null;
  side: Side;
  role: TradeRole;
  price: number;
  size: number;
  transaction_hash: string;
  proxy_wallet: string;
  title: string | null;
  market_slug: string | null;
  name: string | null;
  pseudonym: string | null;
  unresolved: boolean;
}

export interface CleanPricePoint {
  token_id: string;
  timestamp: number;
  price: number;
  condition_id: string | null;
  outcome: string | null;
  outcome_index: number | null;
  fidelity_minutes: number | null;
  unresolved: boolean;
}

export interface CleanLeaderboardRow {
  snapshot_ts: number;
  category: string;
  time_period: LeaderboardPeriod;
  order_by: LeaderboardOrder;
  rank: number;
  proxy_wallet: string;
  user_name: string | null;
  x_username: string | null;
  verified_badge: boolean | null;
  vol: number | null;
  pnl: number | null;
  profile_image: string | null;
}

export interface CleanHolder {
  snapshot_ts: number;
  condition_id: string;
  token_id: string;
  outcome_index: number | null;
  proxy_wallet: string;
  amount: number;
  name: string | null;
  pseudonym: string | null;
}

export interface CleanOpenInterest {
  snapshot_ts: number;
  condition_id: string;
  value: number;
}

export interface BookLevel {
  price: number;
  size: number;
}

export interface CleanBookEvent {
  event_id: string;
  event_type: string;
  timestamp: number;
  condition_id: string | null;
  token_id: string | null;
  hash: string | null;
  bids: BookLevel[];
  asks: BookLevel[];
  price: number | null;
  size: number | null;
  side: Side | null;
  best_bid: number | null;
  best_ask: number | null;
  spread: number | null;
  last_trade_price: number | null;
  tick_size: number | null;
  old_tick_size: number | null;
  new_tick_size: number | null;
  fee_rate_bps: number | null;
  transaction_hash: string | null;
  winning_token_id: string | null;
  winning_outcome: string | null;
}

/** The clean topics by their key in schemas/topics.ts, with the record each holds. */
export interface CleanRecordByTopic {
  markets: CleanMarket;
  tokens: CleanToken;
  events: CleanEvent;
  trades: CleanTrade;
  prices: CleanPricePoint;
  leaderboard: CleanLeaderboardRow;
  holders: CleanHolder;
  openInterest: CleanOpenInterest;
  book: CleanBookEvent;
}

export type CleanTopicKey = keyof CleanRecordByTopic;

export const CLEAN_TOPIC_KEYS: readonly CleanTopicKey[] = ['markets', 'tokens', 'events', 'trades', 'prices', 'leaderboard', 'holders', 'openInterest', 'book'];

/** Field names per clean record, in schema order (checked against the .avsc files by a test). */
export const CLEAN_FIELDS = {
  markets: [
    'condition_id',
    'source',
    'observed_ts',
    'gamma_id',
    'question_id',
    'question',
    'slug',
    'description',
    'category',
    'event_id',
    'event_slug',
    'outcomes',
    'token_ids',
    'outcome_prices',
    'active',
    'closed',
    'archived',
    'restricted',
    'accepting_orders',
    'enable_order_book',
    'neg_risk',
    'volume',
    'liquidity',
    'volume_24hr',
    'minimum_tick_size',
    'minimum_order_size',
    'maker_base_fee',
    'taker_base_fee',
    'start_ts',
    'end_ts',
    'created_ts',
    'updated_ts',
    'closed_ts',
    'game_start_ts',
    'accepting_orders_ts',
    'uma_resolution_status',
    'market_maker_address',
    'tags',
    'image',
    'icon',
  ],
  tokens: ['token_id', 'condition_id', 'source', 'observed_ts', 'outcome', 'outcome_index', 'price', 'winner', 'event_id'],
  events: [
    'event_id',
    'observed_ts',
    'ticker',
    'slug',
    'title',
    'subtitle',
    'description',
    'category',
    'subcategory',
    'series_slug',
    'active',
    'closed',
    'archived',
    'featured',
    'restricted',
    'neg_risk',
    'liquidity',
    'volume',
    'open_interest',
    'volume_24hr',
    'competitive',
    'comment_count',
    'start_ts',
    'end_ts',
    'created_ts',
    'updated_ts',
    'closed_ts',
    'published_ts',
    'market_condition_ids',
    'tags',
    'image',
    'icon',
  ],
  trades: [
    'trade_id',
    'timestamp',
    'condition_id',
    'token_id',
    'outcome',
    'outcome_index',
    'event_id',
    'event_slug',
    'side',
    'role',
    'price',
    'size',
    'transaction_hash',
    'proxy_wallet',
    'title',
    'market_slug',
    'name',
    'pseudonym',
    'unresolved',
  ],
  prices: ['token_id', 'timestamp', 'price', 'condition_id', 'outcome', 'outcome_index', 'fidelity_minutes', 'unresolved'],
  leaderboard: ['snapshot_ts', 'category', 'time_period', 'order_by', 'rank', 'proxy_wallet', 'user_name', 'x_username', 'verified_badge', 'vol', 'pnl', 'profile_image'],
  holders: ['snapshot_ts', 'condition_id', 'token_id', 'outcome_index', 'proxy_wallet', 'amount', 'name', 'pseudonym'],
  openInterest: ['snapshot_ts', 'condition_id', 'value'],
  book: [
    'event_id',
    'event_type',
    'timestamp',
    'condition_id',
    'token_id',
    'hash',
    'bids',
    'asks',
    'price',
    'size',
    'side',
    'best_bid',
    'best_ask',
    'spread',
    'last_trade_price',
    'tick_size',
    'old_tick_size',
    'new_tick_size',
    'fee_rate_bps',
    'transaction_hash',
    'winning_token_id',
    'winning_outcome',
  ],
} as const satisfies { [K in CleanTopicKey]: ReadonlyArray<keyof CleanRecordByTopic[K]> };

/** The field of each clean record that decides its Bronze `dt` (UTC date). */
export const EVENT_TIME_FIELD = {
  markets: 'observed_ts',
  tokens: 'observed_ts',
  events: 'observed_ts',
  trades: 'timestamp',
  prices: 'timestamp',
  leaderboard: 'snapshot_ts',
  holders: 'snapshot_ts',
  openInterest: 'snapshot_ts',
  book: 'timestamp',
} as const satisfies { [K in CleanTopicKey]: keyof CleanRecordByTopic[K] };
