/**
 * Every topic of the pipeline, in one place. Raw topics hold API records as fetched; clean
 * topics hold normalised, enriched records; control topics hold progress and problems.
 * `schema` names the .avsc file (without extension) beside this module that types the value.
 */
import type { TopicSpec } from '../transport/types.ts';

export interface TopicDef extends Omit<TopicSpec, 'name'> {
  name: string;
  /** The .avsc file in schemas/ for the value, without extension; null where the value is opaque bytes. */
  schema: string | null;
  description: string;
}

const DEFAULT_PARTITIONS = 4;

/**
 * Raw topics keep a week (Kafka's default), not forever: the processors turn a raw record into
 * its clean one within seconds, and the clean topics are what replay and every layer read, so a
 * raw record older than that is only a copy. Without it a followed run's log grows with every
 * poll for as long as it runs; with it, the raw share of the log stops growing after a week.
 */
export const RAW_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export const TOPICS = {
  rawGammaMarkets: {
    name: 'pma.raw.gamma-markets',
    schema: 'raw-gamma-market',
    partitions: DEFAULT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: RAW_RETENTION_MS,
    description: 'Gamma /markets records as fetched',
  },
  rawGammaEvents: {
    name: 'pma.raw.gamma-events',
    schema: 'raw-gamma-event',
    partitions: DEFAULT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: RAW_RETENTION_MS,
    description: 'Gamma /events records as fetched',
  },
  rawClobMarkets: {
    name: 'pma.raw.clob-markets',
    schema: 'raw-clob-market',
    partitions: DEFAULT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: RAW_RETENTION_MS,
    description: 'CLOB /markets records as fetched',
  },
  rawTrades: { name: 'pma.raw.trades', schema: 'raw-trade', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', retentionMs: RAW_RETENTION_MS, description: 'Data API /trades rows as fetched' },
  rawLeaderboard: {
    name: 'pma.raw.leaderboard',
    schema: 'raw-leaderboard-row',
    partitions: DEFAULT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: RAW_RETENTION_MS,
    description: 'Data API /v1/leaderboard rows as fetched',
  },
  rawHolders: {
    name: 'pma.raw.holders',
    schema: 'raw-holder',
    partitions: DEFAULT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: RAW_RETENTION_MS,
    description: 'Data API /holders rows (one per token holder) as fetched',
  },
  rawOpenInterest: {
    name: 'pma.raw.open-interest',
    schema: 'raw-open-interest',
    partitions: DEFAULT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: RAW_RETENTION_MS,
    description: 'Data API /oi elements (one per market) as fetched',
  },
  rawPrices: {
    name: 'pma.raw.prices',
    schema: 'raw-price-point',
    partitions: DEFAULT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: RAW_RETENTION_MS,
    description: 'CLOB /prices-history points as fetched',
  },
  rawMarketWs: {
    name: 'pma.raw.ws-market',
    schema: 'raw-ws-market-event',
    partitions: DEFAULT_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: RAW_RETENTION_MS,
    description: 'CLOB market WebSocket events as received',
  },

  markets: { name: 'pma.markets', schema: 'market', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', description: 'normalised markets' },
  tokens: { name: 'pma.tokens', schema: 'token', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', description: 'normalised outcome tokens' },
  events: { name: 'pma.events', schema: 'event', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', description: 'normalised events' },
  trades: { name: 'pma.trades', schema: 'trade', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', description: 'normalised, enriched trades' },
  prices: { name: 'pma.prices', schema: 'price-point', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', description: 'normalised, enriched price points' },
  leaderboard: { name: 'pma.leaderboard', schema: 'leaderboard-row', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', description: 'normalised leaderboard snapshot rows' },
  holders: { name: 'pma.holders', schema: 'holder', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', description: 'normalised top-holder snapshot rows' },
  openInterest: { name: 'pma.open-interest', schema: 'open-interest', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', description: 'normalised open-interest snapshots' },
  book: { name: 'pma.book', schema: 'book-event', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', description: 'normalised order-book events' },

  cursors: { name: 'pma.cursors', schema: 'cursor', partitions: 1, cleanupPolicy: 'compact', description: 'producer progress per (endpoint, market or token), compacted' },
  gaps: { name: 'pma.gaps', schema: 'gap', partitions: 1, cleanupPolicy: 'delete', description: 'spans of history the API could not give' },
  failures: { name: 'pma.failures', schema: 'failure', partitions: 1, cleanupPolicy: 'delete', description: 'requests that failed after their retries' },
  dlq: { name: 'pma.dlq', schema: null, partitions: 1, cleanupPolicy: 'delete', description: 'records that could not be decoded or normalised: the original bytes, the reason and source in headers' },
  tagDecisions: { name: 'pma.tag-decisions', schema: 'tag-decision', partitions: 1, cleanupPolicy: 'delete', description: 'model and human tagging decisions' },
  tagCatalog: { name: 'pma.tag-catalog', schema: 'tag-event', partitions: 1, cleanupPolicy: 'delete', description: 'Tag Manager edits: tag definitions, example markets, settings' },
} as const satisfies Record<string, TopicDef>;

export type TopicKey = keyof typeof TOPICS;

export const ALL_TOPICS: readonly TopicDef[] = Object.values(TOPICS);
