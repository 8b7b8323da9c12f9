/** CLOB /markets records to a clean market and its outcome tokens (with winner flags). */

import { NormaliseError } from '../../runtime/errors.ts';
import type { CleanMarket, CleanToken } from '../../schemas/clean-records.ts';
import { tagLabels } from './nested.ts';
import { type CleanOutput, fetchedAt, type RawInput } from './types.ts';
import { bool, decimal, field, jsonArray, type RawRecord, requiredText, text, timestamp } from './values.ts';

export function normaliseClobMarket(input: RawInput): CleanOutput[] {
  const raw = input.value;
  const get = (name: string) => field(raw, name);
  const observed = fetchedAt(input);
  const conditionId = requiredText(get('condition_id'), 'condition_id');
  const tokens = jsonArray(get('tokens'), 'tokens').map((t, i) => readToken(t, i));
  const market: CleanMarket = {
    condition_id: conditionId,
    source: 'CLOB',
    observed_ts: observed,
    gamma_id: null,
    question_id: text(get('question_id'), 'question_id'),
    question: text(get('question'), 'question'),
    slug: text(get('market_slug'), 'market_slug'),
    description: text(get('description'), 'description'),
    category: null,
    event_id: null,
    event_slug: null,
    outcomes: tokens.map((t) => t.outcome),
    token_ids: tokens.map((t) => t.tokenId),
    outcome_prices: tokens.every((t) => t.price !== null) ? tokens.map((t) => t.price as number) : [],
    active: bool(get('active'), 'active'),
    closed: bool(get('closed'), 'closed'),
    archived: bool(get('archived'), 'archived'),
    restricted: null,
    accepting_orders: bool(get('accepting_orders'), 'accepting_orders'),
    enable_order_book: bool(get('enable_order_book'), 'enable_order_book'),
    neg_risk: bool(get('neg_risk'), 'neg_risk'),
    volume: null,
    liquidity: null,
    volume_24hr: null,
    minimum_tick_size: decimal(get('minimum_tick_size'), 'minimum_tick_size'),
    minimum_order_size: decimal(get('minimum_order_size'), 'minimum_order_size'),
    maker_base_fee: decimal(get('maker_base_fee'), 'maker_base_fee'),
    taker_base_fee: decimal(get('taker_base_fee'), 'taker_base_fee'),
    start_ts: null,
    end_ts: timestamp(get('end_date_iso'), 'end_date_iso'),
    created_ts: null,
    updated_ts: null,
    closed_ts: null,
    game_start_ts: timestamp(get('game_start_time'), 'game_start_time'),
    accepting_orders_ts: timestamp(get('accepting_order_timestamp'), 'accepting_order_timestamp'),
    uma_resolution_status: null,
    market_maker_address: text(get('fpmm'), 'fpmm'),
    tags: tagLabels(jsonArray(get('tags'), 'tags'), 'tags'),
    image: text(get('image'), 'image'),
    icon: text(get('icon'), 'icon'),
  };
  const out: CleanOutput[] = [{ topic: 'markets', key: conditionId, value: market }];
  tokens.forEach((t, i) => {
    const token: CleanToken = {
      token_id: t.tokenId,
      condition_id: conditionId,
      source: 'CLOB',
      observed_ts: observed,
      outcome: t.outcome,
      outcome_index: i,
      price: t.price,
      winner: t.winner,
      event_id: null,
    };
    out.push({ topic: 'tokens', key: t.tokenId, value: token });
  });
  return out;
}

function readToken(item: unknown, i: number): { tokenId: string; outcome: string; price: number | null; winner: boolean | null } {
  if (typeof item !== 'object' || item === null) {
    throw new NormaliseError(`tokens[${i}] is not an object`, { field: `tokens[${i}]`, value: item });
  }
  const t = item as RawRecord;
  return {
    tokenId: requiredText(field(t, 'token_id'), `tokens[${i}].token_id`),
    outcome: text(field(t, 'outcome'), `tokens[${i}].outcome`) ?? '',
    price: decimal(field(t, 'price'), `tokens[${i}].price`),
    winner: bool(field(t, 'winner'), `tokens[${i}].winner`),
  };
}
