/**
 * What each endpoint's body must look like before any of it is used: the envelope, and on each
 * row the fields the producers key, page or chain on. Everything else is left to the raw Avro
 * check per record, so one odd field dead-letters one record, not a page.
 */
import { z } from 'zod';

const nonEmpty = z.string().min(1);

/**
 * Trade rows come by the hundred thousand: they are checked in place by a predicate (no copy of
 * each row, as an object schema would make) for the fields of the fill key and the time.
 */
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => typeof v === 'string';
const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

/** A Data API /trades row: the fields of its fill key and its time. */
export interface TradeRowJson {
  conditionId: string;
  timestamp: number;
  asset: string;
  proxyWallet: string;
  side: string;
  size: number;
  price: number;
  transactionHash: string;
  [key: string]: unknown;
}
export const tradeRow = z.custom<TradeRowJson>(
  (v) =>
    isObject(v) &&
    typeof v.conditionId === 'string' &&
    v.conditionId.length > 0 &&
    Number.isInteger(v.timestamp) &&
    str(v.asset) &&
    str(v.proxyWallet) &&
    str(v.side) &&
    num(v.size) &&
    num(v.price) &&
    str(v.transactionHash),
  { message: 'a trade row needs conditionId, integer timestamp, asset, proxyWallet, side, numeric size and price, transactionHash' },
);
export const tradesPage = z.array(tradeRow);

/** A Data API v2 /trades row (snake_case): the fields of its fill key and its time. */
export interface V2TradeRowJson {
  condition_id: string;
  timestamp: number;
  token_id: string;
  proxy_wallet: string;
  side: string;
  size: number;
  price: number;
  transaction_hash: string;
  [key: string]: unknown;
}
export const v2TradeRow = z.custom<V2TradeRowJson>(
  (v) =>
    isObject(v) &&
    typeof v.condition_id === 'string' &&
    v.condition_id.length > 0 &&
    Number.isInteger(v.timestamp) &&
    str(v.token_id) &&
    str(v.proxy_wallet) &&
    str(v.side) &&
    num(v.size) &&
    num(v.price) &&
    str(v.transaction_hash),
  { message: 'a v2 trade row needs condition_id, integer timestamp, token_id, proxy_wallet, side, numeric size and price, transaction_hash' },
);
/** Data API v2 envelope: `{data, pagination: {has_more, next_cursor}}`. */
export const v2TradesPage = z.looseObject({
  data: z.array(v2TradeRow),
  pagination: z.looseObject({ has_more: z.boolean().optional(), next_cursor: z.string().nullish() }),
});

export const leaderboardRow = z.looseObject({
  rank: z.union([z.string(), z.number()]),
  proxyWallet: nonEmpty,
});
export const leaderboardPage = z.array(leaderboardRow);

/** Data API /holders: one element per outcome token of the markets asked for. */
export const holderRow = z.looseObject({ proxyWallet: nonEmpty, amount: z.number(), asset: z.string().nullish() });
export const holdersResponse = z.array(z.looseObject({ token: nonEmpty, holders: z.array(holderRow) }));

/** Data API /oi: one element per market asked for. */
export const openInterestResponse = z.array(z.looseObject({ market: nonEmpty, value: z.number() }));

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

export type ClobMarketJson = z.output<typeof clobMarket>;
export type GammaMarketJson = z.output<typeof gammaMarket>;
