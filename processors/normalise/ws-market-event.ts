/**
 * CLOB market-channel WebSocket events to clean book events, one per outcome token: a
 * price_change that covers several levels or tokens becomes one record per entry (key suffixed
 * `#i`). All three price_change shapes are read (flat 2024, `changes` 2024-2025, `price_changes`
 * since 2025-09-15). Event types this code does not know are kept with their common fields.
 */

import { NormaliseError } from '../../runtime/errors.ts';
import type { BookLevel, CleanBookEvent } from '../../schemas/clean-records.ts';
import { type CleanOutput, type RawInput, requiredKey } from './types.ts';
import { decimal, field, jsonArray, type RawRecord, requiredDecimal, requiredText, requiredTimestamp, symbol, text } from './values.ts';

export function normaliseWsMarketEvent(input: RawInput): CleanOutput[] {
  const raw = input.value;
  const get = (name: string) => field(raw, name);
  const eventType = requiredText(get('event_type'), 'event_type');
  const key = requiredKey(input);
  const base: CleanBookEvent = {
    event_id: key,
    event_type: eventType,
    timestamp: requiredTimestamp(get('timestamp'), 'timestamp', 'ms'),
    condition_id: nonEmpty(text(get('market'), 'market')) ?? nonEmpty(text(get('condition_id'), 'condition_id')),
    token_id: nonEmpty(text(get('asset_id'), 'asset_id')),
    hash: nonEmpty(text(get('hash'), 'hash')),
    bids: [],
    asks: [],
    price: decimal(get('price'), 'price'),
    size: decimal(get('size'), 'size'),
    side: side(get('side'), 'side'),
    best_bid: decimal(get('best_bid'), 'best_bid'),
    best_ask: decimal(get('best_ask'), 'best_ask'),
    spread: decimal(get('spread'), 'spread'),
    last_trade_price: decimal(get('last_trade_price'), 'last_trade_price'),
    tick_size: decimal(get('tick_size'), 'tick_size'),
    old_tick_size: decimal(get('old_tick_size'), 'old_tick_size'),
    new_tick_size: decimal(get('new_tick_size'), 'new_tick_size'),
    fee_rate_bps: decimal(get('fee_rate_bps'), 'fee_rate_bps'),
    transaction_hash: nonEmpty(text(get('transaction_hash'), 'transaction_hash')),
    winning_token_id: nonEmpty(text(get('winning_asset_id'), 'winning_asset_id')),
    winning_outcome: text(get('winning_outcome'), 'winning_outcome'),
  };
  if (eventType === 'book') {
    base.bids = levels(get('bids'), 'bids');
    base.asks = levels(get('asks'), 'asks');
  }
  if (eventType === 'price_change') return priceChanges(key, base, raw);
  return [{ topic: 'book', key, value: base }];
}

function priceChanges(key: string, base: CleanBookEvent, raw: RawRecord): CleanOutput[] {
  const current = jsonArray(field(raw, 'price_changes'), 'price_changes');
  const legacy = jsonArray(field(raw, 'changes'), 'changes');
  const entries = current.length > 0 ? current : legacy;
  const name = current.length > 0 ? 'price_changes' : 'changes';
  if (entries.length === 0) {
    if (base.price === null) throw new NormaliseError('price_change carries no change', { field: 'price_changes' });
    return [{ topic: 'book', key, value: base }];
  }
  return entries.map((entry, i) => {
    const e = asRecord(entry, `${name}[${i}]`);
    const at = (f: string) => `${name}[${i}].${f}`;
    const value: CleanBookEvent = {
      ...base,
      event_id: `${key}#${i}`,
      token_id: nonEmpty(text(field(e, 'asset_id'), at('asset_id'))) ?? base.token_id,
      hash: nonEmpty(text(field(e, 'hash'), at('hash'))) ?? base.hash,
      price: requiredDecimal(field(e, 'price'), at('price')),
      size: requiredDecimal(field(e, 'size'), at('size')),
      side: side(field(e, 'side'), at('side')),
      best_bid: decimal(field(e, 'best_bid'), at('best_bid')) ?? base.best_bid,
      best_ask: decimal(field(e, 'best_ask'), at('best_ask')) ?? base.best_ask,
    };
    return { topic: 'book', key: value.event_id, value };
  });
}

function levels(value: unknown, name: string): BookLevel[] {
  return jsonArray(value, name).map((level, i) => {
    const l = asRecord(level, `${name}[${i}]`);
    return {
      price: requiredDecimal(field(l, 'price'), `${name}[${i}].price`),
      size: requiredDecimal(field(l, 'size'), `${name}[${i}].size`),
    };
  });
}

function asRecord(value: unknown, name: string): RawRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new NormaliseError('expected an object', { field: name, value });
  }
  return value as RawRecord;
}

const side = (value: unknown, name: string) => symbol(value, ['BUY', 'SELL'] as const, name);
const nonEmpty = (s: string | null): string | null => (s === '' ? null : s);
