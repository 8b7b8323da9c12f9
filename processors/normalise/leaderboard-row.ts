/**
 * Data API /v1/leaderboard rows to clean rows. The board (category, period, order) comes from
 * the request the producer recorded with each row; where a parameter was not sent, the API's
 * documented default applies (OVERALL, DAY, PNL), as it did on the server. The snapshot is the
 * record's `fetchedAt`, which the producer sets once per pass over a board; the page's own fetch
 * time (the header) stands in only for a record written without one.
 */

import { NormaliseError } from '../../runtime/errors.ts';
import type { CleanLeaderboardRow } from '../../schemas/clean-records.ts';
import { type CleanOutput, fetchedAt, type RawInput, requiredKey } from './types.ts';
import { bool, decimal, field, int32, requiredText, symbol, text, timestamp } from './values.ts';

export function normaliseLeaderboardRow(input: RawInput): CleanOutput[] {
  const raw = input.value;
  const get = (name: string) => field(raw, name);
  const rank = int32(get('rank'), 'rank');
  if (rank === null) throw new NormaliseError('required field is missing', { field: 'rank', value: get('rank') });
  const row: CleanLeaderboardRow = {
    snapshot_ts: timestamp(get('fetchedAt'), 'fetchedAt', 'ms') ?? fetchedAt(input),
    category: text(get('category'), 'category') || 'OVERALL',
    time_period: symbol(get('timePeriod'), ['DAY', 'WEEK', 'MONTH', 'ALL'] as const, 'timePeriod') ?? 'DAY',
    order_by: symbol(get('orderBy'), ['PNL', 'VOL'] as const, 'orderBy') ?? 'PNL',
    rank,
    proxy_wallet: requiredText(get('proxyWallet'), 'proxyWallet'),
    user_name: text(get('userName'), 'userName'),
    x_username: text(get('xUsername'), 'xUsername'),
    verified_badge: bool(get('verifiedBadge'), 'verifiedBadge'),
    vol: decimal(get('vol'), 'vol'),
    pnl: decimal(get('pnl'), 'pnl'),
    profile_image: text(get('profileImage'), 'profileImage'),
  };
  return [{ topic: 'leaderboard', key: requiredKey(input), value: row }];
}
