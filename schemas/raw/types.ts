/**
 * TypeScript shapes of the raw records, one per .avsc in schemas/ (the .avsc files are the truth;
 * test/schemas checks that each field list below equals its schema's fields, and ExactKeys checks
 * at compile time that each interface has exactly those keys).
 */

/** Resolves to true only when T's keys are exactly the names listed in K. */
export type ExactKeys<T, K extends readonly string[]> = [Exclude<keyof T, K[number]>, Exclude<K[number], keyof T>] extends [never, never]
  ? true
  : { error: 'interface and field list differ'; extraKeys: Exclude<keyof T, K[number]>; missingKeys: Exclude<K[number], keyof T> };

/** One Gamma /markets (or /markets/keyset) element as fetched. Values keep their wire types: numeric strings (volume, liquidity, umaBond, ...) stay strings and string-encoded JSON arrays (outcomes, outcomePrices, clobTokenIds, ...) stay strings. Keys the server omits are null. Nested objects and arrays (events, tags, categories, feeSchedule, ...) are kept as their JSON text (field attribute pma.json), because they are large, change shape often and are normalised into their own topics by the processors. */
export interface RawGammaMarket {
  /** Gamma market id: a decimal string. */
  id: string;
  question: null | string;
  /** CTF condition id, 0x + 64 hex. */
  conditionId: null | string;
  slug: null | string;
  twitterCardImage: null | string;
  resolutionSource: null | string;
  endDate: null | string;
  category: null | string;
  ammType: null | string;
  /** Numeric string. */
  liquidity: null | string;
  sponsorName: null | string;
  sponsorImage: null | string;
  startDate: null | string;
  xAxisValue: null | string;
  yAxisValue: null | string;
  denominationToken: null | string;
  fee: null | string;
  image: null | string;
  icon: null | string;
  lowerBound: null | string;
  upperBound: null | string;
  description: null | string;
  /** JSON array serialised into a string, e.g. "[\"Yes\", \"No\"]". */
  outcomes: null | string;
  /** JSON array of decimal strings serialised into a string; index k matches outcomes[k]. */
  outcomePrices: null | string;
  /** Full-precision numeric string (volumeNum is the rounded number). */
  volume: null | string;
  active: null | boolean;
  marketType: null | string;
  formatType: null | string;
  lowerBoundDate: null | string;
  upperBoundDate: null | string;
  closed: null | boolean;
  marketMakerAddress: null | string;
  createdBy: null | number;
  updatedBy: null | number;
  createdAt: null | string;
  updatedAt: null | string;
  /** Timestamp in the "YYYY-MM-DD HH:MM:SS[.fff]+00" dialect, as sent. */
  closedTime: null | string;
  wideFormat: null | boolean;
  new: null | boolean;
  mailchimpTag: null | string;
  featured: null | boolean;
  archived: null | boolean;
  resolvedBy: null | string;
  restricted: null | boolean;
  marketGroup: null | number;
  groupItemTitle: null | string;
  groupItemThreshold: null | string;
  questionID: null | string;
  umaEndDate: null | string;
  enableOrderBook: null | boolean;
  orderPriceMinTickSize: null | number;
  orderMinSize: null | number;
  umaResolutionStatus: null | string;
  curationOrder: null | number;
  volumeNum: null | number;
  liquidityNum: null | number;
  /** Bare date YYYY-MM-DD, as sent. */
  endDateIso: null | string;
  startDateIso: null | string;
  umaEndDateIso: null | string;
  hasReviewedDates: null | boolean;
  readyForCron: null | boolean;
  commentsEnabled: null | boolean;
  volume24hr: null | number;
  volume1wk: null | number;
  volume1mo: null | number;
  volume1yr: null | number;
  gameStartTime: null | string;
  secondsDelay: null | number;
  /** JSON array of token ids (decimal strings) serialised into a string; index k matches outcomes[k]. */
  clobTokenIds: null | string;
  disqusThread: null | string;
  shortOutcomes: null | string;
  teamAID: null | string;
  teamBID: null | string;
  umaBond: null | string;
  umaReward: null | string;
  fpmmLive: null | boolean;
  volume24hrAmm: null | number;
  volume1wkAmm: null | number;
  volume1moAmm: null | number;
  volume1yrAmm: null | number;
  volume24hrClob: null | number;
  volume1wkClob: null | number;
  volume1moClob: null | number;
  volume1yrClob: null | number;
  volumeAmm: null | number;
  volumeClob: null | number;
  liquidityAmm: null | number;
  liquidityClob: null | number;
  makerBaseFee: null | number;
  takerBaseFee: null | number;
  customLiveness: null | number;
  acceptingOrders: null | boolean;
  notificationsEnabled: null | boolean;
  score: null | number;
  /**  JSON text (object). */
  imageOptimized: null | string;
  /**  JSON text (object). */
  iconOptimized: null | string;
  /** JSON text of the parent event(s), each with nested series where applicable. JSON text (array). */
  events: null | string;
  /**  JSON text (array). */
  categories: null | string;
  /** JSON text of the tags array (present with include_tag=true). JSON text (array). */
  tags: null | string;
  creator: null | string;
  ready: null | boolean;
  funded: null | boolean;
  pastSlugs: null | string;
  readyTimestamp: null | string;
  fundedTimestamp: null | string;
  acceptingOrdersTimestamp: null | string;
  competitive: null | number;
  rewardsMinSize: null | number;
  rewardsMaxSpread: null | number;
  spread: null | number;
  automaticallyResolved: null | boolean;
  oneDayPriceChange: null | number;
  oneHourPriceChange: null | number;
  oneWeekPriceChange: null | number;
  oneMonthPriceChange: null | number;
  oneYearPriceChange: null | number;
  lastTradePrice: null | number;
  bestBid: null | number;
  bestAsk: null | number;
  automaticallyActive: null | boolean;
  clearBookOnStart: null | boolean;
  chartColor: null | string;
  seriesColor: null | string;
  showGmpSeries: null | boolean;
  showGmpOutcome: null | boolean;
  manualActivation: null | boolean;
  negRiskOther: null | boolean;
  gameId: null | string;
  groupItemRange: null | string;
  sportsMarketType: null | string;
  line: null | number;
  umaResolutionStatuses: null | string;
  pendingDeployment: null | boolean;
  deploying: null | boolean;
  deployingTimestamp: null | string;
  scheduledDeploymentTimestamp: null | string;
  rfqEnabled: null | boolean;
  eventStartTime: null | string;
  feesEnabled: null | boolean;
  /**  JSON text (object). */
  feeSchedule: null | string;
  approved: null | boolean;
  /**  JSON text (array). */
  clobRewards: null | string;
  comboStatus: null | string;
  cyom: null | boolean;
  feeType: null | string;
  holdingRewardsEnabled: null | boolean;
  makerRebatesFeeShareBps: null | number;
  /**  JSON text (object). */
  marketMetadata: null | string;
  negRisk: null | boolean;
  negRiskMarketID: null | string;
  negRiskRequestID: null | string;
  pagerDutyNotificationEnabled: null | boolean;
  /**  JSON text (array). */
  positionIds: null | string;
  requiresTranslation: null | boolean;
  submitted_by: null | string;
  /** Every key of the API object that this schema does not name, mapped to the JSON text of its value, so keys the API adds later are kept rather than lost or fatal. */
  extra: Record<string, string>;
}

export const rawGammaMarketFields = [
  'id',
  'question',
  'conditionId',
  'slug',
  'twitterCardImage',
  'resolutionSource',
  'endDate',
  'category',
  'ammType',
  'liquidity',
  'sponsorName',
  'sponsorImage',
  'startDate',
  'xAxisValue',
  'yAxisValue',
  'denominationToken',
  'fee',
  'image',
  'icon',
  'lowerBound',
  'upperBound',
  'description',
  'outcomes',
  'outcomePrices',
  'volume',
  'active',
  'marketType',
  'formatType',
  'lowerBoundDate',
  'upperBoundDate',
  'closed',
  'marketMakerAddress',
  'createdBy',
  'updatedBy',
  'createdAt',
  'updatedAt',
  'closedTime',
  'wideFormat',
  'new',
  'mailchimpTag',
  'featured',
  'archived',
  'resolvedBy',
  'restricted',
  'marketGroup',
  'groupItemTitle',
  'groupItemThreshold',
  'questionID',
  'umaEndDate',
  'enableOrderBook',
  'orderPriceMinTickSize',
  'orderMinSize',
  'umaResolutionStatus',
  'curationOrder',
  'volumeNum',
  'liquidityNum',
  'endDateIso',
  'startDateIso',
  'umaEndDateIso',
  'hasReviewedDates',
  'readyForCron',
  'commentsEnabled',
  'volume24hr',
  'volume1wk',
  'volume1mo',
  'volume1yr',
  'gameStartTime',
  'secondsDelay',
  'clobTokenIds',
  'disqusThread',
  'shortOutcomes',
  'teamAID',
  'teamBID',
  'umaBond',
  'umaReward',
  'fpmmLive',
  'volume24hrAmm',
  'volume1wkAmm',
  'volume1moAmm',
  'volume1yrAmm',
  'volume24hrClob',
  'volume1wkClob',
  'volume1moClob',
  'volume1yrClob',
  'volumeAmm',
  'volumeClob',
  'liquidityAmm',
  'liquidityClob',
  'makerBaseFee',
  'takerBaseFee',
  'customLiveness',
  'acceptingOrders',
  'notificationsEnabled',
  'score',
  'imageOptimized',
  'iconOptimized',
  'events',
  'categories',
  'tags',
  'creator',
  'ready',
  'funded',
  'pastSlugs',
  'readyTimestamp',
  'fundedTimestamp',
  'acceptingOrdersTimestamp',
  'competitive',
  'rewardsMinSize',
  'rewardsMaxSpread',
  'spread',
  'automaticallyResolved',
  'oneDayPriceChange',
  'oneHourPriceChange',
  'oneWeekPriceChange',
  'oneMonthPriceChange',
  'oneYearPriceChange',
  'lastTradePrice',
  'bestBid',
  'bestAsk',
  'automaticallyActive',
  'clearBookOnStart',
  'chartColor',
  'seriesColor',
  'showGmpSeries',
  'showGmpOutcome',
  'manualActivation',
  'negRiskOther',
  'gameId',
  'groupItemRange',
  'sportsMarketType',
  'line',
  'umaResolutionStatuses',
  'pendingDeployment',
  'deploying',
  'deployingTimestamp',
  'scheduledDeploymentTimestamp',
  'rfqEnabled',
  'eventStartTime',
  'feesEnabled',
  'feeSchedule',
  'approved',
  'clobRewards',
  'comboStatus',
  'cyom',
  'feeType',
  'holdingRewardsEnabled',
  'makerRebatesFeeShareBps',
  'marketMetadata',
  'negRisk',
  'negRiskMarketID',
  'negRiskRequestID',
  'pagerDutyNotificationEnabled',
  'positionIds',
  'requiresTranslation',
  'submitted_by',
  'extra',
] as const;
/** Compile-time proof that the interface and the field list agree. */
export const rawGammaMarketFieldsMatch: ExactKeys<RawGammaMarket, typeof rawGammaMarketFields> = true;

/** One Gamma /events (or /events/keyset) element as fetched. Unlike markets, an event's volume, liquidity, openInterest and competitive are JSON numbers and gameId is an integer. Nested arrays and objects (markets, series, tags, teams, sport, eventMetadata, ...) are kept as their JSON text (field attribute pma.json); the processors normalise them. */
export interface RawGammaEvent {
  /** Gamma event id: a decimal string. */
  id: string;
  ticker: null | string;
  slug: null | string;
  title: null | string;
  subtitle: null | string;
  description: null | string;
  resolutionSource: null | string;
  startDate: null | string;
  creationDate: null | string;
  endDate: null | string;
  image: null | string;
  icon: null | string;
  active: null | boolean;
  closed: null | boolean;
  archived: null | boolean;
  new: null | boolean;
  featured: null | boolean;
  restricted: null | boolean;
  liquidity: null | number;
  volume: null | number;
  openInterest: null | number;
  sortBy: null | string;
  category: null | string;
  subcategory: null | string;
  isTemplate: null | boolean;
  templateVariables: null | string;
  /** snake_case on the wire; "YYYY-MM-DD HH:MM:SS[.fff]+00" dialect. */
  published_at: null | string;
  createdBy: null | string;
  updatedBy: null | string;
  createdAt: null | string;
  updatedAt: null | string;
  commentsEnabled: null | boolean;
  competitive: null | number;
  volume24hr: null | number;
  volume1wk: null | number;
  volume1mo: null | number;
  volume1yr: null | number;
  featuredImage: null | string;
  disqusThread: null | string;
  parentEvent: null | string;
  enableOrderBook: null | boolean;
  liquidityAmm: null | number;
  liquidityClob: null | number;
  negRisk: null | boolean;
  negRiskMarketID: null | string;
  negRiskFeeBips: null | number;
  commentCount: null | number;
  /**  JSON text (object). */
  imageOptimized: null | string;
  /**  JSON text (object). */
  iconOptimized: null | string;
  /**  JSON text (object). */
  featuredImageOptimized: null | string;
  /**  JSON text (array). */
  subEvents: null | string;
  /** JSON text of the nested Market objects (absent with include_markets=false). JSON text (array). */
  markets: null | string;
  /** JSON text of the series array. JSON text (array). */
  series: null | string;
  /**  JSON text (array). */
  categories: null | string;
  /**  JSON text (array). */
  collections: null | string;
  /** JSON text of the tags array ({id, label, slug, ...}). JSON text (array). */
  tags: null | string;
  cyom: null | boolean;
  closedTime: null | string;
  showAllOutcomes: null | boolean;
  showMarketImages: null | boolean;
  automaticallyResolved: null | boolean;
  enableNegRisk: null | boolean;
  automaticallyActive: null | boolean;
  eventDate: null | string;
  startTime: null | string;
  eventWeek: null | number;
  seriesSlug: null | string;
  score: null | string;
  elapsed: null | string;
  period: null | string;
  live: null | boolean;
  ended: null | boolean;
  finishedTimestamp: null | string;
  gmpChartMode: null | string;
  /**  JSON text (array). */
  eventCreators: null | string;
  tweetCount: null | number;
  /**  JSON text (array). */
  chats: null | string;
  featuredOrder: null | number;
  estimateValue: null | boolean;
  cantEstimate: null | boolean;
  estimatedValue: null | string;
  /**  JSON text (array). */
  templates: null | string;
  spreadsMainLine: null | number;
  totalsMainLine: null | number;
  carouselMap: null | string;
  pendingDeployment: null | boolean;
  deploying: null | boolean;
  deployingTimestamp: null | string;
  scheduledDeploymentTimestamp: null | string;
  gameStatus: null | string;
  countryName: null | string;
  cumulativeMarkets: null | boolean;
  electionType: null | string;
  /**  JSON text (object). */
  eventMetadata: null | string;
  /** Integer on events (a string on markets). */
  gameId: null | number;
  negRiskAugmented: null | boolean;
  parentEventId: null | number;
  requiresTranslation: null | boolean;
  /**  JSON text (object). */
  sport: null | string;
  /**  JSON text (array). */
  teams: null | string;
  /** Every key of the API object that this schema does not name, mapped to the JSON text of its value, so keys the API adds later are kept rather than lost or fatal. */
  extra: Record<string, string>;
}

export const rawGammaEventFields = [
  'id',
  'ticker',
  'slug',
  'title',
  'subtitle',
  'description',
  'resolutionSource',
  'startDate',
  'creationDate',
  'endDate',
  'image',
  'icon',
  'active',
  'closed',
  'archived',
  'new',
  'featured',
  'restricted',
  'liquidity',
  'volume',
  'openInterest',
  'sortBy',
  'category',
  'subcategory',
  'isTemplate',
  'templateVariables',
  'published_at',
  'createdBy',
  'updatedBy',
  'createdAt',
  'updatedAt',
  'commentsEnabled',
  'competitive',
  'volume24hr',
  'volume1wk',
  'volume1mo',
  'volume1yr',
  'featuredImage',
  'disqusThread',
  'parentEvent',
  'enableOrderBook',
  'liquidityAmm',
  'liquidityClob',
  'negRisk',
  'negRiskMarketID',
  'negRiskFeeBips',
  'commentCount',
  'imageOptimized',
  'iconOptimized',
  'featuredImageOptimized',
  'subEvents',
  'markets',
  'series',
  'categories',
  'collections',
  'tags',
  'cyom',
  'closedTime',
  'showAllOutcomes',
  'showMarketImages',
  'automaticallyResolved',
  'enableNegRisk',
  'automaticallyActive',
  'eventDate',
  'startTime',
  'eventWeek',
  'seriesSlug',
  'score',
  'elapsed',
  'period',
  'live',
  'ended',
  'finishedTimestamp',
  'gmpChartMode',
  'eventCreators',
  'tweetCount',
  'chats',
  'featuredOrder',
  'estimateValue',
  'cantEstimate',
  'estimatedValue',
  'templates',
  'spreadsMainLine',
  'totalsMainLine',
  'carouselMap',
  'pendingDeployment',
  'deploying',
  'deployingTimestamp',
  'scheduledDeploymentTimestamp',
  'gameStatus',
  'countryName',
  'cumulativeMarkets',
  'electionType',
  'eventMetadata',
  'gameId',
  'negRiskAugmented',
  'parentEventId',
  'requiresTranslation',
  'sport',
  'teams',
  'extra',
] as const;
/** Compile-time proof that the interface and the field list agree. */
export const rawGammaEventFieldsMatch: ExactKeys<RawGammaEvent, typeof rawGammaEventFields> = true;

/** One element of a CLOB market's tokens array. */
export interface RawClobToken {
  /** Token (asset) id: a decimal string of up to 78 digits. */
  token_id: null | string;
  outcome: null | string;
  /** JSON number on the listing (1/0 on resolved markets). */
  price: null | number;
  winner: null | boolean;
  /** Every key of the API object that this schema does not name, mapped to the JSON text of its value, so keys the API adds later are kept rather than lost or fatal. */
  extra: Record<string, string>;
}

export const rawClobTokenFields = ['token_id', 'outcome', 'price', 'winner', 'extra'] as const;
/** Compile-time proof that the interface and the field list agree. */
export const rawClobTokenFieldsMatch: ExactKeys<RawClobToken, typeof rawClobTokenFields> = true;

/** One CLOB /markets (or /sampling-markets) element as fetched. The tokens array is typed because it carries the token ids every other CLOB endpoint is keyed by; rewards stays JSON text. */
export interface RawClobMarket {
  /** CTF condition id, 0x + 64 hex. */
  condition_id: string;
  question_id: null | string;
  question: null | string;
  description: null | string;
  market_slug: null | string;
  enable_order_book: null | boolean;
  active: null | boolean;
  closed: null | boolean;
  archived: null | boolean;
  accepting_orders: null | boolean;
  /** ISO timestamp or null, as sent. */
  accepting_order_timestamp: null | string;
  minimum_order_size: null | number;
  minimum_tick_size: null | number;
  end_date_iso: null | string;
  game_start_time: null | string;
  seconds_delay: null | number;
  fpmm: null | string;
  maker_base_fee: null | number;
  taker_base_fee: null | number;
  notifications_enabled: null | boolean;
  neg_risk: null | boolean;
  neg_risk_market_id: null | string;
  neg_risk_request_id: null | string;
  icon: null | string;
  image: null | string;
  /** JSON text of {rates, min_size, max_spread}. JSON text (object). */
  rewards: null | string;
  is_50_50_outcome: null | boolean;
  /** Outcome tokens: token id, outcome label, price, winner. */
  tokens: null | RawClobToken[];
  tags: null | string[];
  /** Every key of the API object that this schema does not name, mapped to the JSON text of its value, so keys the API adds later are kept rather than lost or fatal. */
  extra: Record<string, string>;
}

export const rawClobMarketFields = [
  'condition_id',
  'question_id',
  'question',
  'description',
  'market_slug',
  'enable_order_book',
  'active',
  'closed',
  'archived',
  'accepting_orders',
  'accepting_order_timestamp',
  'minimum_order_size',
  'minimum_tick_size',
  'end_date_iso',
  'game_start_time',
  'seconds_delay',
  'fpmm',
  'maker_base_fee',
  'taker_base_fee',
  'notifications_enabled',
  'neg_risk',
  'neg_risk_market_id',
  'neg_risk_request_id',
  'icon',
  'image',
  'rewards',
  'is_50_50_outcome',
  'tokens',
  'tags',
  'extra',
] as const;
/** Compile-time proof that the interface and the field list agree. */
export const rawClobMarketFieldsMatch: ExactKeys<RawClobMarket, typeof rawClobMarketFields> = true;

/** One Data API /trades row as fetched (rows have no id; one transactionHash can carry several fills). Every key is nullable because projections and older captures omit some. */
export interface RawTrade {
  /** Trader proxy wallet, 0x + 40 hex (lower case as sent). */
  proxyWallet: null | string;
  /** "BUY" or "SELL" from proxyWallet's view, as sent. */
  side: null | string;
  /** Token id (decimal string). */
  asset: null | string;
  conditionId: null | string;
  /** Shares, JSON number. */
  size: null | number;
  /** USDC per share, JSON number (may carry float noise such as 0.999000000999). */
  price: null | number;
  /** Unix seconds. */
  timestamp: null | number;
  title: null | string;
  slug: null | string;
  icon: null | string;
  eventSlug: null | string;
  outcome: null | string;
  /** Index of the outcome in the market's outcomes. */
  outcomeIndex: null | number;
  name: null | string;
  pseudonym: null | string;
  bio: null | string;
  profileImage: null | string;
  profileImageOptimized: null | string;
  transactionHash: null | string;
  /** Every key of the API object that this schema does not name, mapped to the JSON text of its value, so keys the API adds later are kept rather than lost or fatal. */
  extra: Record<string, string>;
}

export const rawTradeFields = [
  'proxyWallet',
  'side',
  'asset',
  'conditionId',
  'size',
  'price',
  'timestamp',
  'title',
  'slug',
  'icon',
  'eventSlug',
  'outcome',
  'outcomeIndex',
  'name',
  'pseudonym',
  'bio',
  'profileImage',
  'profileImageOptimized',
  'transactionHash',
  'extra',
] as const;
/** Compile-time proof that the interface and the field list agree. */
export const rawTradeFieldsMatch: ExactKeys<RawTrade, typeof rawTradeFields> = true;

/** One Data API /v1/leaderboard row as fetched, plus the request that produced it (the row alone does not say which board it belongs to). */
export interface RawLeaderboardRow {
  /** Rank as sent: a string ("1", "2", ...). */
  rank: null | string;
  proxyWallet: null | string;
  userName: null | string;
  xUsername: null | string;
  verifiedBadge: null | boolean;
  /** Volume in USDC for the board's period. */
  vol: null | number;
  /** Profit and loss in USDC for the board's period. */
  pnl: null | number;
  profileImage: null | string;
  /** Request context: the category parameter (OVERALL, POLITICS, ...). */
  category: null | string;
  /** Request context: the timePeriod parameter (DAY, WEEK, MONTH, ALL). */
  timePeriod: null | string;
  /** Request context: the orderBy parameter (PNL, VOL). */
  orderBy: null | string;
  /** Request context: the board's snapshot, Unix ms: when the ingest pass that read the board began, the same on every row of the pass (each page's own fetch time is the pma-fetched-at header). */
  fetchedAt: null | number;
  /** Every key of the API object that this schema does not name, mapped to the JSON text of its value, so keys the API adds later are kept rather than lost or fatal. */
  extra: Record<string, string>;
}

export const rawLeaderboardRowFields = [
  'rank',
  'proxyWallet',
  'userName',
  'xUsername',
  'verifiedBadge',
  'vol',
  'pnl',
  'profileImage',
  'category',
  'timePeriod',
  'orderBy',
  'fetchedAt',
  'extra',
] as const;
/** Compile-time proof that the interface and the field list agree. */
export const rawLeaderboardRowFieldsMatch: ExactKeys<RawLeaderboardRow, typeof rawLeaderboardRowFields> = true;

/** One holder of one outcome token in a Data API /holders response, as fetched, plus the request that produced it (the holder row names the token but not the market). */
export interface RawHolder {
  proxyWallet: null | string;
  bio: null | string;
  /** The outcome token id. */
  asset: null | string;
  pseudonym: null | string;
  /** Shares of the token the wallet holds. */
  amount: null | number;
  displayUsernamePublic: null | boolean;
  /** Index of the token's outcome in the market's outcomes. */
  outcomeIndex: null | number;
  name: null | string;
  profileImage: null | string;
  profileImageOptimized: null | string;
  verified: null | boolean;
  /** Request context: the condition id asked for (the market parameter). */
  market: null | string;
  /** Request context: the token of the response element the holder was listed under. */
  token: null | string;
  /** Request context: the snapshot, Unix ms (one value for every record of the pass). */
  fetchedAt: null | number;
  /** Every key of the API object that this schema does not name, mapped to the JSON text of its value. */
  extra: Record<string, string>;
}

export const rawHolderFields = [
  'proxyWallet',
  'bio',
  'asset',
  'pseudonym',
  'amount',
  'displayUsernamePublic',
  'outcomeIndex',
  'name',
  'profileImage',
  'profileImageOptimized',
  'verified',
  'market',
  'token',
  'fetchedAt',
  'extra',
] as const;
/** Compile-time proof that the interface and the field list agree. */
export const rawHolderFieldsMatch: ExactKeys<RawHolder, typeof rawHolderFields> = true;

/** One market's element of a Data API /oi response, as fetched. */
export interface RawOpenInterest {
  /** The condition id (GLOBAL for the all-markets total, which the producers do not ask for). */
  market: null | string;
  /** Open interest in USDC. */
  value: null | number;
  /** Request context: the snapshot, Unix ms (one value for every record of the pass). */
  fetchedAt: null | number;
  /** Every key of the API object that this schema does not name, mapped to the JSON text of its value. */
  extra: Record<string, string>;
}

export const rawOpenInterestFields = ['market', 'value', 'fetchedAt', 'extra'] as const;
/** Compile-time proof that the interface and the field list agree. */
export const rawOpenInterestFieldsMatch: ExactKeys<RawOpenInterest, typeof rawOpenInterestFields> = true;

/** One CLOB /prices-history point as fetched. The API returns only {t, p}; the token and the request window travel with each point so a point is meaningful on its own (e.g. to drop the appended "now" point past endTs). */
export interface RawPricePoint {
  /** Point time, Unix seconds, as sent. */
  t: number;
  /** Price, JSON number, as sent. */
  p: number;
  /** Request context: the token id asked for (the endpoint's "market" parameter). */
  token: string;
  /** Request context: the interval parameter (max, all, 1m, 1w, 1d, 6h, 1h), if sent. */
  interval: null | string;
  /** Request context: the fidelity parameter in minutes, if sent. */
  fidelity: null | number;
  /** Request context: startTs, Unix seconds, if sent. */
  startTs: null | number;
  /** Request context: endTs, Unix seconds, if sent. */
  endTs: null | number;
  /** Request context: when the response arrived, Unix ms. */
  fetchedAt: null | number;
  /** Every key of the API object that this schema does not name, mapped to the JSON text of its value, so keys the API adds later are kept rather than lost or fatal. */
  extra: Record<string, string>;
}

export const rawPricePointFields = ['t', 'p', 'token', 'interval', 'fidelity', 'startTs', 'endTs', 'fetchedAt', 'extra'] as const;
/** Compile-time proof that the interface and the field list agree. */
export const rawPricePointFieldsMatch: ExactKeys<RawPricePoint, typeof rawPricePointFields> = true;

/** One aggregated book level; price and size are decimal strings as sent. */
export interface RawBookLevel {
  price: null | string;
  size: null | string;
  /** Every key of the API object that this schema does not name, mapped to the JSON text of its value, so keys the API adds later are kept rather than lost or fatal. */
  extra: Record<string, string>;
}

export const rawBookLevelFields = ['price', 'size', 'extra'] as const;
/** Compile-time proof that the interface and the field list agree. */
export const rawBookLevelFieldsMatch: ExactKeys<RawBookLevel, typeof rawBookLevelFields> = true;

/** One element of the Oct 2024 - Sep 2025 price_change "changes" array. */
export interface RawLegacyPriceChange {
  price: null | string;
  side: null | string;
  size: null | string;
  /** Every key of the API object that this schema does not name, mapped to the JSON text of its value, so keys the API adds later are kept rather than lost or fatal. */
  extra: Record<string, string>;
}

export const rawLegacyPriceChangeFields = ['price', 'side', 'size', 'extra'] as const;
/** Compile-time proof that the interface and the field list agree. */
export const rawLegacyPriceChangeFieldsMatch: ExactKeys<RawLegacyPriceChange, typeof rawLegacyPriceChangeFields> = true;

/** One element of the current (since 2025-09-15) price_change "price_changes" array. */
export interface RawPriceChange {
  asset_id: null | string;
  price: null | string;
  /** New aggregate size at this level; "0" removes it. */
  size: null | string;
  /** BUY = bid side, SELL = ask side. */
  side: null | string;
  hash: null | string;
  /** Best bid after the change; "" when that side is empty. */
  best_bid: null | string;
  /** Best ask after the change; "" when that side is empty. */
  best_ask: null | string;
  /** Every key of the API object that this schema does not name, mapped to the JSON text of its value, so keys the API adds later are kept rather than lost or fatal. */
  extra: Record<string, string>;
}

export const rawPriceChangeFields = ['asset_id', 'price', 'size', 'side', 'hash', 'best_bid', 'best_ask', 'extra'] as const;
/** Compile-time proof that the interface and the field list agree. */
export const rawPriceChangeFieldsMatch: ExactKeys<RawPriceChange, typeof rawPriceChangeFields> = true;

/** One CLOB market-channel WebSocket event as received, whatever its event_type: book, price_change (the flat 2024 shape, the 2024-2025 "changes" shape and the current "price_changes" shape), last_trade_price, tick_size_change, and the custom-feature events best_bid_ask, new_market and market_resolved. REST /book snapshots (taken to re-sync a book) travel here too, as book events. One record with optional fields rather than a union of records, so an event_type the server adds later still decodes: its known keys land in named fields, the rest in extra. All numbers are strings on this channel and stay strings. */
export interface RawWsMarketEvent {
  /** book | price_change | last_trade_price | tick_size_change | best_bid_ask | new_market | market_resolved | any later type. */
  event_type: string;
  /** Condition id. */
  market: null | string;
  /** Token id. */
  asset_id: null | string;
  /** Unix ms as a string, as sent. */
  timestamp: null | string;
  hash: null | string;
  /** book: bid levels, ascending (best bid last). */
  bids: null | RawBookLevel[];
  /** book: ask levels, descending (best ask last). */
  asks: null | RawBookLevel[];
  tick_size: null | string;
  /** book: "" on a book that never traded. */
  last_trade_price: null | string;
  /** REST /book snapshots only (not sent on the WebSocket). */
  min_order_size: null | string;
  /** REST /book snapshots only (not sent on the WebSocket). */
  neg_risk: null | boolean;
  /** last_trade_price, and the flat 2024 price_change. */
  price: null | string;
  size: null | string;
  side: null | string;
  /** price_change, Oct 2024 - Sep 2025 shape. */
  changes: null | RawLegacyPriceChange[];
  /** price_change, current shape. */
  price_changes: null | RawPriceChange[];
  fee_rate_bps: null | string;
  transaction_hash: null | string;
  old_tick_size: null | string;
  new_tick_size: null | string;
  best_bid: null | string;
  best_ask: null | string;
  spread: null | string;
  /** new_market / market_resolved: Gamma market id. */
  id: null | string;
  question: null | string;
  slug: null | string;
  description: null | string;
  assets_ids: null | string[];
  outcomes: null | string[];
  /** JSON text of {id, ticker, slug, title, description}. JSON text (object). */
  event_message: null | string;
  tags: null | string[];
  condition_id: null | string;
  active: null | boolean;
  clob_token_ids: null | string[];
  sports_market_type: null | string;
  line: null | string;
  game_start_time: null | string;
  order_price_min_tick_size: null | string;
  group_item_title: null | string;
  taker_base_fee: null | string;
  fees_enabled: null | boolean;
  /**  JSON text (object). */
  fee_schedule: null | string;
  winning_asset_id: null | string;
  winning_outcome: null | string;
  /** Every key of the API object that this schema does not name, mapped to the JSON text of its value, so keys the API adds later are kept rather than lost or fatal. */
  extra: Record<string, string>;
}

export const rawWsMarketEventFields = [
  'event_type',
  'market',
  'asset_id',
  'timestamp',
  'hash',
  'bids',
  'asks',
  'tick_size',
  'last_trade_price',
  'min_order_size',
  'neg_risk',
  'price',
  'size',
  'side',
  'changes',
  'price_changes',
  'fee_rate_bps',
  'transaction_hash',
  'old_tick_size',
  'new_tick_size',
  'best_bid',
  'best_ask',
  'spread',
  'id',
  'question',
  'slug',
  'description',
  'assets_ids',
  'outcomes',
  'event_message',
  'tags',
  'condition_id',
  'active',
  'clob_token_ids',
  'sports_market_type',
  'line',
  'game_start_time',
  'order_price_min_tick_size',
  'group_item_title',
  'taker_base_fee',
  'fees_enabled',
  'fee_schedule',
  'winning_asset_id',
  'winning_outcome',
  'extra',
] as const;
/** Compile-time proof that the interface and the field list agree. */
export const rawWsMarketEventFieldsMatch: ExactKeys<RawWsMarketEvent, typeof rawWsMarketEventFields> = true;
