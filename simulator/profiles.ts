/**
 * Every cap, default and behaviour that Polymarket has changed over time is a knob here, grouped
 * into profiles (spec `polymarket-api.md` sections 8 and 9): `current` (the default, late 2026)
 * and `2025-12` (what the Python original saw). Any knob can be overridden one by one
 * (`overrides` in the options, or the `sim.overrides` section of the config file).
 */

export type ProfileName = 'current' | '2025-12';

/** What the Data API does with `/trades` offsets past the cap. */
export type OffsetBeyondCap = 'reject' | 'repeat';

/** How `start`/`end` on `/trades` are treated. */
export type TimeWindowMode = 'honoured' | 'user-only' | 'ignored';

/** Over-limit behaviour: hold the request (documented), refuse it with 429, or hold up to a bound then refuse. */
export type LimitMode = 'delay' | 'reject' | 'mixed';

/** One published rate limit: `limit` requests per `windowMs`, on an API's routes (or all of them). */
export interface RateRule {
  name: string;
  /** `global` spans every API; otherwise the API the rule applies to. */
  api: 'global' | 'gamma' | 'data' | 'clob';
  /** Route templates the rule counts (e.g. "/trades"); absent = every route of the API. */
  routes?: readonly string[];
  limit: number;
  windowMs: number;
}

export interface Profile {
  name: ProfileName;
  gamma: {
    /** Silent clamp of `limit` on `/markets` and `/events`. */
    listLimitMax: number;
    /** Page size when `limit` is not sent (undocumented; 20 like the keyset routes). */
    listLimitDefault: number;
    /** `offset` above this gets 422; null = no cap. */
    listMaxOffset: number | null;
    /** `/markets` without `closed`: false hides closed markets; null returns both. */
    marketsClosedDefault: boolean | null;
    keysetRoutes: boolean;
    marketsKeysetLimitMax: number;
    eventsKeysetLimitMax: number;
    keysetLimitDefault: number;
    tagsLimitMax: number;
  };
  data: {
    tradesLimitDefault: number;
    tradesLimitMax: number;
    tradesMaxOffset: number;
    tradesBeyondOffset: OffsetBeyondCap;
    tradesOffsetError: string;
    tradesTimeWindow: TimeWindowMode;
    /** Without `start` (or with start=0) an honoured window reaches back this far; null = all history. */
    tradesDefaultWindowSec: number | null;
    takerOnlyDefault: boolean;
    leaderboardLimitDefault: number;
    leaderboardLimitMax: number;
    leaderboardMaxOffset: number;
    leaderboardCategories: readonly string[];
    /** The `/v2/*` routes of spec section 4.11. */
    v2Routes: boolean;
    v2TradesLimitMax: number;
    v2TradesMaxMarkets: number;
    v2LeaderboardLimitMax: number;
    /** `/activity` and `/positions`: silent `limit` clamp; `offset` above the cap gets 400. */
    activityLimitMax: number;
    activityMaxOffset: number;
    positionsLimitMax: number;
    positionsMaxOffset: number;
  };
  clob: {
    pageSize: number;
    /** `offset`: base64 of a decimal offset (Dec 2025); `keyset`: base64 of `id:<market id>` (Oct 2026). */
    cursor: 'offset' | 'keyset';
    pricesHistoryMaxWindowSec: number;
    /** Live markets get one extra trailing point stamped "now". */
    pricesHistoryNowPoint: boolean;
    /** How far back `interval=max|all` reaches below 12 h fidelity. */
    pricesHistoryMaxSpanSec: number;
    /** `min_order_size`, `tick_size`, `neg_risk`, `last_trade_price` on /book (since 2025-07-23). */
    bookExtras: boolean;
  };
  ws: {
    /** Beyond this many tokens a connection silently stops delivering updates. */
    tokensPerConnection: number;
    /** Close the socket (1008) on a PING before the first subscription. */
    pingBeforeSubscribeCloses: boolean;
    /** Close a connection that sent nothing for this long. */
    idleTimeoutMs: number;
    /** Close a connection that has not subscribed after this long. */
    subscribeTimeoutMs: number;
    /** `operation: subscribe|unsubscribe` without reconnecting (since ~2025-12). */
    dynamicSubscribe: boolean;
    /** `best_bid_ask`, `new_market`, `market_resolved` with `custom_feature_enabled`. */
    customFeatures: boolean;
  };
  limits: {
    mode: LimitMode;
    /** In `mixed` mode, the longest hold before a 429. */
    maxDelayMs: number;
    rules: readonly RateRule[];
  };
}

const W = 10_000;

const CURRENT_RULES: readonly RateRule[] = [
  { name: 'global', api: 'global', limit: 15_000, windowMs: W },
  { name: 'gamma general', api: 'gamma', limit: 4_000, windowMs: W },
  { name: 'gamma /events', api: 'gamma', routes: ['/events', '/events/keyset'], limit: 500, windowMs: W },
  { name: 'gamma /markets', api: 'gamma', routes: ['/markets', '/markets/keyset'], limit: 300, windowMs: W },
  { name: 'gamma listing', api: 'gamma', routes: ['/markets', '/events', '/markets/keyset', '/events/keyset'], limit: 900, windowMs: W },
  { name: 'gamma /tags', api: 'gamma', routes: ['/tags'], limit: 200, windowMs: W },
  { name: 'gamma /public-search', api: 'gamma', routes: ['/public-search'], limit: 350, windowMs: W },
  { name: 'data general', api: 'data', limit: 1_000, windowMs: W },
  { name: 'data /positions', api: 'data', routes: ['/positions'], limit: 150, windowMs: W },
  { name: 'data /trades', api: 'data', routes: ['/trades', '/v2/trades'], limit: 200, windowMs: W },
  { name: 'data /ok', api: 'data', routes: ['/ok'], limit: 100, windowMs: W },
  { name: 'clob general', api: 'clob', limit: 9_000, windowMs: W },
  { name: 'clob /book', api: 'clob', routes: ['/book'], limit: 1_500, windowMs: W },
  { name: 'clob /books', api: 'clob', routes: ['/books'], limit: 500, windowMs: W },
  { name: 'clob /price', api: 'clob', routes: ['/price'], limit: 1_500, windowMs: W },
  { name: 'clob /prices', api: 'clob', routes: ['/prices'], limit: 500, windowMs: W },
  { name: 'clob /midpoint', api: 'clob', routes: ['/midpoint'], limit: 1_500, windowMs: W },
  { name: 'clob /midpoints', api: 'clob', routes: ['/midpoints'], limit: 500, windowMs: W },
  { name: 'clob /prices-history', api: 'clob', routes: ['/prices-history'], limit: 1_000, windowMs: W },
  { name: 'clob /tick-size', api: 'clob', routes: ['/tick-size'], limit: 200, windowMs: W },
];

/** The 2025 published table (spec 2.1, "earlier published values"). */
const RULES_2025: readonly RateRule[] = [
  { name: 'global', api: 'global', limit: 5_000, windowMs: W },
  { name: 'gamma general', api: 'gamma', limit: 750, windowMs: W },
  { name: 'gamma /events', api: 'gamma', routes: ['/events'], limit: 100, windowMs: W },
  { name: 'gamma /markets', api: 'gamma', routes: ['/markets'], limit: 125, windowMs: W },
  { name: 'gamma listing', api: 'gamma', routes: ['/markets', '/events'], limit: 100, windowMs: W },
  { name: 'gamma /tags', api: 'gamma', routes: ['/tags'], limit: 100, windowMs: W },
  { name: 'gamma /public-search', api: 'gamma', routes: ['/public-search'], limit: 300, windowMs: W },
  { name: 'data general', api: 'data', limit: 200, windowMs: W },
  { name: 'data /trades', api: 'data', routes: ['/trades'], limit: 75, windowMs: W },
  { name: 'data /ok', api: 'data', routes: ['/ok'], limit: 10, windowMs: W },
  { name: 'clob general', api: 'clob', limit: 5_000, windowMs: W },
  { name: 'clob /book', api: 'clob', routes: ['/book'], limit: 200, windowMs: W },
  { name: 'clob /books', api: 'clob', routes: ['/books'], limit: 80, windowMs: W },
  { name: 'clob /price', api: 'clob', routes: ['/price'], limit: 200, windowMs: W },
  { name: 'clob /prices', api: 'clob', routes: ['/prices'], limit: 80, windowMs: W },
  { name: 'clob /midpoint', api: 'clob', routes: ['/midpoint'], limit: 200, windowMs: W },
  { name: 'clob /midpoints', api: 'clob', routes: ['/midpoints'], limit: 80, windowMs: W },
  { name: 'clob /prices-history', api: 'clob', routes: ['/prices-history'], limit: 100, windowMs: W },
  { name: 'clob markets', api: 'clob', routes: ['/markets', '/markets/{condition_id}', '/simplified-markets', '/sampling-markets', '/sampling-simplified-markets'], limit: 250, windowMs: W },
  { name: 'clob /markets listing', api: 'clob', routes: ['/markets'], limit: 100, windowMs: W },
  { name: 'clob /markets/0x', api: 'clob', routes: ['/markets/{condition_id}'], limit: 50, windowMs: W },
  { name: 'clob /tick-size', api: 'clob', routes: ['/tick-size'], limit: 50, windowMs: W },
];

const CATEGORIES_2025 = ['OVERALL', 'POLITICS', 'SPORTS', 'CRYPTO', 'CULTURE', 'MENTIONS', 'WEATHER', 'ECONOMICS', 'TECH', 'FINANCE'];
const CATEGORIES_CURRENT = ['OVERALL', 'POLITICS', 'SPORTS', 'ESPORTS', 'CRYPTO', 'CULTURE', 'MENTIONS', 'WEATHER', 'ECONOMICS', 'TECH', 'FINANCE'];

/** The market channel behaves the same in both profiles. */
const MARKET_CHANNEL: Profile['ws'] = {
  tokensPerConnection: 500,
  pingBeforeSubscribeCloses: true,
  idleTimeoutMs: 60_000,
  subscribeTimeoutMs: 30_000,
  dynamicSubscribe: true,
  customFeatures: true,
};

export const PROFILES: Record<ProfileName, Profile> = {
  current: {
    name: 'current',
    gamma: {
      listLimitMax: 100,
      listLimitDefault: 20,
      listMaxOffset: 2_000,
      marketsClosedDefault: false,
      keysetRoutes: true,
      marketsKeysetLimitMax: 100,
      eventsKeysetLimitMax: 100,
      keysetLimitDefault: 20,
      tagsLimitMax: 100,
    },
    data: {
      tradesLimitDefault: 100,
      tradesLimitMax: 10_000,
      tradesMaxOffset: 10_000,
      tradesBeyondOffset: 'reject',
      tradesOffsetError: 'max historical trades offset of 10000 exceeded',
      tradesTimeWindow: 'honoured',
      tradesDefaultWindowSec: 3 * 365 * 86_400,
      takerOnlyDefault: true,
      leaderboardLimitDefault: 25,
      leaderboardLimitMax: 50,
      leaderboardMaxOffset: 1_000,
      leaderboardCategories: CATEGORIES_CURRENT,
      v2Routes: true,
      v2TradesLimitMax: 1_000,
      v2TradesMaxMarkets: 20,
      v2LeaderboardLimitMax: 50,
      activityLimitMax: 500,
      activityMaxOffset: 5_000,
      positionsLimitMax: 500,
      positionsMaxOffset: 10_000,
    },
    clob: {
      pageSize: 1_000,
      cursor: 'keyset',
      pricesHistoryMaxWindowSec: 1_296_000,
      pricesHistoryNowPoint: true,
      pricesHistoryMaxSpanSec: 31 * 86_400,
      bookExtras: true,
    },
    ws: MARKET_CHANNEL,
    limits: { mode: 'mixed', maxDelayMs: 5_000, rules: CURRENT_RULES },
  },
  '2025-12': {
    name: '2025-12',
    gamma: {
      listLimitMax: 500,
      listLimitDefault: 20,
      listMaxOffset: null,
      marketsClosedDefault: null,
      keysetRoutes: false,
      marketsKeysetLimitMax: 100,
      eventsKeysetLimitMax: 500,
      keysetLimitDefault: 20,
      tagsLimitMax: 100,
    },
    data: {
      tradesLimitDefault: 100,
      tradesLimitMax: 500,
      tradesMaxOffset: 1_000,
      tradesBeyondOffset: 'repeat',
      tradesOffsetError: 'max historical trades offset of 1000 exceeded',
      tradesTimeWindow: 'ignored',
      tradesDefaultWindowSec: null,
      takerOnlyDefault: true,
      leaderboardLimitDefault: 25,
      leaderboardLimitMax: 50,
      leaderboardMaxOffset: 10_000,
      leaderboardCategories: CATEGORIES_2025,
      v2Routes: false,
      v2TradesLimitMax: 1_000,
      v2TradesMaxMarkets: 20,
      v2LeaderboardLimitMax: 50,
      activityLimitMax: 500,
      activityMaxOffset: 1_000,
      positionsLimitMax: 500,
      positionsMaxOffset: 10_000,
    },
    clob: {
      pageSize: 1_000,
      cursor: 'offset',
      pricesHistoryMaxWindowSec: 1_296_000,
      pricesHistoryNowPoint: true,
      pricesHistoryMaxSpanSec: 31 * 86_400,
      bookExtras: true,
    },
    ws: MARKET_CHANNEL,
    limits: { mode: 'mixed', maxDelayMs: 5_000, rules: RULES_2025 },
  },
};

/** A partial profile: any subset of knobs, section by section. */
export type ProfileOverrides = { [K in keyof Omit<Profile, 'name'>]?: Partial<Profile[K]> };

/** The named profile with overrides applied (a new object; the built-in profiles stay untouched). */
export function resolveProfile(name: ProfileName, overrides: ProfileOverrides = {}): Profile {
  const base = PROFILES[name];
  return {
    name,
    gamma: { ...base.gamma, ...overrides.gamma },
    data: { ...base.data, ...overrides.data },
    clob: { ...base.clob, ...overrides.clob },
    ws: { ...base.ws, ...overrides.ws },
    limits: { ...base.limits, ...overrides.limits },
  };
}
