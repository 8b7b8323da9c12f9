/**
 * Data API /holders rows to clean rows. A row names its token (`asset`) but not its market: the
 * market is the condition id the producer asked for, recorded with each row. The snapshot is the
 * record's `fetchedAt`, set once per pass over every market; the response's own fetch time (the
 * header) stands in only for a record written without one.
 */
import type { CleanHolder } from '../../schemas/clean-records.ts';
import { type CleanOutput, fetchedAt, type RawInput, requiredKey } from './types.ts';
import { field, int32, requiredDecimal, requiredText, text, timestamp } from './values.ts';

export function normaliseHolder(input: RawInput): CleanOutput[] {
  const raw = input.value;
  const get = (name: string) => field(raw, name);
  const row: CleanHolder = {
    snapshot_ts: timestamp(get('fetchedAt'), 'fetchedAt', 'ms') ?? fetchedAt(input),
    condition_id: requiredText(get('market'), 'market'),
    // The row's own asset is the token; the element it was listed under says the same where the row does not.
    token_id: text(get('asset'), 'asset') || requiredText(get('token'), 'token'),
    outcome_index: int32(get('outcomeIndex'), 'outcomeIndex'),
    proxy_wallet: requiredText(get('proxyWallet'), 'proxyWallet'),
    amount: requiredDecimal(get('amount'), 'amount'),
    name: text(get('name'), 'name'),
    pseudonym: text(get('pseudonym'), 'pseudonym'),
  };
  return [{ topic: 'holders', key: requiredKey(input), value: row }];
}
