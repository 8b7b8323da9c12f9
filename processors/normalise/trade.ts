/**
 * Data API /trades rows to clean trades, before enrichment: what the row itself says about its
 * market, outcome token and outcome is kept as sent; the stream fills in the rest from lookups.
 */
import type { CleanTrade, TradeRole } from '../../schemas/clean-records.ts';
import { type CleanOutput, RAW_HEADERS, type RawInput, requiredKey } from './types.ts';
import { field, int32, requiredDecimal, requiredText, requiredTimestamp, symbol, text } from './values.ts';

const ROLES = ['MAKER', 'TAKER', 'UNKNOWN'] as const;

export function normaliseTrade(input: RawInput): CleanOutput[] {
  const raw = input.value;
  const get = (name: string) => field(raw, name);
  const key = requiredKey(input);
  const trade: CleanTrade = {
    trade_id: key,
    timestamp: requiredTimestamp(get('timestamp'), 'timestamp', 's'),
    condition_id: requiredText(get('conditionId'), 'conditionId'),
    token_id: nonEmpty(text(get('asset'), 'asset')),
    outcome: text(get('outcome'), 'outcome'),
    outcome_index: int32(get('outcomeIndex'), 'outcomeIndex'),
    event_id: null,
    event_slug: nonEmpty(text(get('eventSlug'), 'eventSlug')),
    side: symbol(requiredText(get('side'), 'side'), ['BUY', 'SELL'] as const, 'side')!,
    role: tradeRole(input),
    price: requiredDecimal(get('price'), 'price'),
    size: requiredDecimal(get('size'), 'size'),
    transaction_hash: requiredText(get('transactionHash'), 'transactionHash'),
    proxy_wallet: requiredText(get('proxyWallet'), 'proxyWallet'),
    title: text(get('title'), 'title'),
    market_slug: text(get('slug'), 'slug'),
    name: text(get('name'), 'name'),
    pseudonym: text(get('pseudonym'), 'pseudonym'),
    unresolved: false,
  };
  return [{ topic: 'trades', key, value: trade }];
}

/** The maker/taker role the producer recorded for the row (header pma-fill-role), else UNKNOWN. */
function tradeRole(input: RawInput): TradeRole {
  const recorded = input.headers[RAW_HEADERS.fillRole];
  return symbol(recorded, ROLES, 'role') ?? 'UNKNOWN';
}

const nonEmpty = (s: string | null): string | null => (s === '' ? null : s);
