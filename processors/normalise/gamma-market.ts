/** Gamma /markets records to a clean market and its outcome tokens. */

import { NormaliseError } from '../../runtime/errors.ts';
import type { CleanMarket, CleanToken } from '../../schemas/clean-records.ts';
import { firstEventRef, tagLabels } from './nested.ts';
import { type CleanOutput, fetchedAt, type RawInput } from './types.ts';
import { bool, decimal, decimalArray, field, jsonArray, requiredText, text, textArray, timestamp } from './values.ts';

export function normaliseGammaMarket(input: RawInput): CleanOutput[] {
  const raw = input.value;
  const get = (name: string) => field(raw, name);
  const observed = fetchedAt(input);
  const conditionId = requiredText(get('conditionId'), 'conditionId');
  const outcomes = textArray(get('outcomes'), 'outcomes');
  const tokenIds = textArray(get('clobTokenIds'), 'clobTokenIds');
  const prices = decimalArray(get('outcomePrices'), 'outcomePrices');
  if (tokenIds.length > 0 && outcomes.length !== tokenIds.length) {
    throw new NormaliseError(`outcomes has ${outcomes.length} items but clobTokenIds has ${tokenIds.length}`, {
      field: 'clobTokenIds',
      value: get('clobTokenIds'),
    });
  }
  const event = firstEventRef(jsonArray(get('events'), 'events'));
  const market: CleanMarket = {
    condition_id: conditionId,
    source: 'GAMMA',
    observed_ts: observed,
    gamma_id: text(get('id'), 'id'),
    question_id: text(get('questionID'), 'questionID'),
    question: text(get('question'), 'question'),
    slug: text(get('slug'), 'slug'),
    description: text(get('description'), 'description'),
    category: text(get('category'), 'category'),
    event_id: event.id,
    event_slug: event.slug,
    outcomes,
    token_ids: tokenIds,
    outcome_prices: prices,
    active: bool(get('active'), 'active'),
    closed: bool(get('closed'), 'closed'),
    archived: bool(get('archived'), 'archived'),
    restricted: bool(get('restricted'), 'restricted'),
    accepting_orders: bool(get('acceptingOrders'), 'acceptingOrders'),
    enable_order_book: bool(get('enableOrderBook'), 'enableOrderBook'),
    neg_risk: bool(get('negRisk'), 'negRisk'),
    volume: decimal(get('volume'), 'volume') ?? decimal(get('volumeNum'), 'volumeNum'),
    liquidity: decimal(get('liquidity'), 'liquidity') ?? decimal(get('liquidityNum'), 'liquidityNum'),
    volume_24hr: decimal(get('volume24hr'), 'volume24hr'),
    minimum_tick_size: decimal(get('orderPriceMinTickSize'), 'orderPriceMinTickSize'),
    minimum_order_size: decimal(get('orderMinSize'), 'orderMinSize'),
    maker_base_fee: decimal(get('makerBaseFee'), 'makerBaseFee'),
    taker_base_fee: decimal(get('takerBaseFee'), 'takerBaseFee'),
    start_ts: timestamp(get('startDate'), 'startDate') ?? timestamp(get('startDateIso'), 'startDateIso'),
    end_ts: timestamp(get('endDate'), 'endDate') ?? timestamp(get('endDateIso'), 'endDateIso'),
    created_ts: timestamp(get('createdAt'), 'createdAt'),
    updated_ts: timestamp(get('updatedAt'), 'updatedAt'),
    closed_ts: timestamp(get('closedTime'), 'closedTime'),
    game_start_ts: timestamp(get('gameStartTime'), 'gameStartTime'),
    accepting_orders_ts: timestamp(get('acceptingOrdersTimestamp'), 'acceptingOrdersTimestamp'),
    uma_resolution_status: text(get('umaResolutionStatus'), 'umaResolutionStatus'),
    market_maker_address: text(get('marketMakerAddress'), 'marketMakerAddress'),
    tags: tagLabels(jsonArray(get('tags'), 'tags'), 'tags'),
    image: text(get('image'), 'image'),
    icon: text(get('icon'), 'icon'),
  };
  const out: CleanOutput[] = [{ topic: 'markets', key: conditionId, value: market }];
  tokenIds.forEach((tokenId, i) => {
    const token: CleanToken = {
      token_id: tokenId,
      condition_id: conditionId,
      source: 'GAMMA',
      observed_ts: observed,
      outcome: outcomes[i]!,
      outcome_index: i,
      price: prices[i] ?? null,
      winner: null,
      event_id: event.id,
    };
    out.push({ topic: 'tokens', key: tokenId, value: token });
  });
  return out;
}
