/** The normaliser of each raw topic, by the raw topic's name. */
import { TOPICS } from '../../schemas/topics.ts';
import { normaliseClobMarket } from './clob-market.ts';
import { normaliseGammaEvent } from './gamma-event.ts';
import { normaliseGammaMarket } from './gamma-market.ts';
import { normaliseHolder } from './holder.ts';
import { normaliseLeaderboardRow } from './leaderboard-row.ts';
import { normaliseOpenInterest } from './open-interest.ts';
import { normalisePricePoint } from './price-point.ts';
import { normaliseTrade } from './trade.ts';
import type { Normaliser } from './types.ts';
import { normaliseWsMarketEvent } from './ws-market-event.ts';

export const NORMALISERS: Readonly<Record<string, Normaliser>> = {
  [TOPICS.rawGammaMarkets.name]: normaliseGammaMarket,
  [TOPICS.rawGammaEvents.name]: normaliseGammaEvent,
  [TOPICS.rawClobMarkets.name]: normaliseClobMarket,
  [TOPICS.rawTrades.name]: normaliseTrade,
  [TOPICS.rawPrices.name]: normalisePricePoint,
  [TOPICS.rawLeaderboard.name]: normaliseLeaderboardRow,
  [TOPICS.rawHolders.name]: normaliseHolder,
  [TOPICS.rawOpenInterest.name]: normaliseOpenInterest,
  [TOPICS.rawMarketWs.name]: normaliseWsMarketEvent,
};

export type { CleanOutput, Normaliser, RawInput } from './types.ts';
