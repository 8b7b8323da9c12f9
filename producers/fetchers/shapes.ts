/**
 * What each endpoint's body must look like before any of it is used: the envelope, and on each
 * row the fields the producers key, page or chain on. Everything else is left to the raw Avro
 * check per record, so one odd field dead-letters one record, not a page.
 */
import { z } from 'zod';

const nonEmpty = z.string().min(1);

/** A Data API /trades row: the fields of its fill key and its time. */
export const tradeRow = z.looseObject({
  conditionId: nonEmpty,
  timestamp: z.number().int(),
  asset: z.string(),
  proxyWallet: z.string(),
  side: z.string(),
  size: z.number(),
  price: z.number(),
  transactionHash: z.string(),
});
export const tradesPage = z.array(tradeRow);

/** A Data API v2 /trades row (snake_case): the fields of its fill key and its time. */
export const v2TradeRow = z.looseObject({
  condition_id: nonEmpty,
  timestamp: z.number().int(),
  token_id: z.string(),
  proxy_wallet: z.string(),
  side: z.string(),
  size: z.number(),
  price: z.number(),
  transaction_hash: z.string(),
});
/** Data API v2 envelope: `{data, pagination: {has_more, next_cursor}}`. */
export const v2TradesPage = z.looseObject({
  data: z.array(v2TradeRow),
  pagination: z.looseObject({ has_more: z.boolean().optional(), next_cursor: z.string().nullish() }),
});
export type V2TradeRowJson = z.output<typeof v2TradeRow>;

export const leaderboardRow = z.looseObject({
  rank: z.union([z.string(), z.number()]),
  proxyWallet: nonEmpty,
});
export const leaderboardPage = z.array(leaderboardRow);

const clobToken = z.looseObject({ token_id: z.string(), outcome: z.string().nullish() });
export const clobMarket = z.looseObject({
  condition_id: nonEmpty,
  tokens: z.array(clobToken).nullish(),
  closed: z.boolean().nullish(),
  end_date_iso: z.string().nullish(),
  game_start_time: z.string().nullish(),
  accepting_order_timestamp: z.string().nullish(),
});
export const clobMarketsPage = z.looseObject({ data: z.array(clobMarket), next_cursor: z.string().nullish() });

export const gammaMarket = z.looseObject({
  id: z.union([z.string(), z.number()]),
  conditionId: z.string().nullish(),
  clobTokenIds: z.string().nullish(),
  volumeNum: z.number().nullish(),
  closed: z.boolean().nullish(),
  startDate: z.string().nullish(),
  createdAt: z.string().nullish(),
  endDate: z.string().nullish(),
  closedTime: z.string().nullish(),
});
export const gammaMarketsPage = z.array(gammaMarket);
export const gammaMarketsKeysetPage = z.looseObject({ markets: z.array(gammaMarket), next_cursor: z.string().nullish() });

export const gammaEvent = z.looseObject({ id: z.union([z.string(), z.number()]) });
export const gammaEventsPage = z.array(gammaEvent);
export const gammaEventsKeysetPage = z.looseObject({ events: z.array(gammaEvent), next_cursor: z.string().nullish() });

export const pricePoint = z.looseObject({ t: z.number(), p: z.number() });
export const pricesHistory = z.looseObject({ history: z.array(pricePoint) });

export type TradeRowJson = z.output<typeof tradeRow>;
export type ClobMarketJson = z.output<typeof clobMarket>;
export type GammaMarketJson = z.output<typeof gammaMarket>;
