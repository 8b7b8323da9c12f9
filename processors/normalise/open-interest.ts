/**
 * Data API /oi elements to clean rows. The snapshot is the record's `fetchedAt`, set once per
 * pass over every market; the response's own fetch time (the header) stands in only for a record
 * written without one. The all-markets total (`GLOBAL`) is no market's figure: it is refused.
 */
import { NormaliseError } from '../../runtime/errors.ts';
import type { CleanOpenInterest } from '../../schemas/clean-records.ts';
import { type CleanOutput, fetchedAt, type RawInput, requiredKey } from './types.ts';
import { field, requiredDecimal, requiredText, timestamp } from './values.ts';

export function normaliseOpenInterest(input: RawInput): CleanOutput[] {
  const raw = input.value;
  const get = (name: string) => field(raw, name);
  const market = requiredText(get('market'), 'market');
  if (!market.startsWith('0x')) throw new NormaliseError('not a condition id', { field: 'market', value: market });
  const row: CleanOpenInterest = {
    snapshot_ts: timestamp(get('fetchedAt'), 'fetchedAt', 'ms') ?? fetchedAt(input),
    condition_id: market,
    value: requiredDecimal(get('value'), 'value'),
  };
  return [{ topic: 'openInterest', key: requiredKey(input), value: row }];
}
