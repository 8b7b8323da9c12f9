/**
 * CLOB /prices-history points to clean price points, before enrichment. The API appends a "now"
 * point past the requested endTs for live markets (spec §5.4); such points are not history and
 * are dropped here.
 */
import type { CleanPricePoint } from '../../schemas/clean-records.ts';
import { type CleanOutput, type RawInput, requiredKey } from './types.ts';
import { field, int32, requiredDecimal, requiredText, requiredTimestamp, timestamp } from './values.ts';

export function normalisePricePoint(input: RawInput): CleanOutput[] {
  const raw = input.value;
  const get = (name: string) => field(raw, name);
  const at = requiredTimestamp(get('t'), 't', 's');
  const endTs = timestamp(get('endTs'), 'endTs', 's');
  if (endTs !== null && at > endTs) return [];
  const point: CleanPricePoint = {
    token_id: requiredText(get('token'), 'token'),
    timestamp: at,
    price: requiredDecimal(get('p'), 'p'),
    condition_id: null,
    outcome: null,
    outcome_index: null,
    fidelity_minutes: int32(get('fidelity'), 'fidelity'),
    unresolved: false,
  };
  return [{ topic: 'prices', key: requiredKey(input), value: point }];
}
