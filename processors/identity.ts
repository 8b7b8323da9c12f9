/**
 * The dedup identity of a clean record. Facts (trades, price points, book events, leaderboard
 * rows) are the same record when their key is the same: the producers' keys name the fill, the
 * point, the event, the board row. Reference records (markets, tokens, events) are fetched again
 * and again and change over time, so for them a repeat is the same key with the same content
 * (apart from when it was fetched): an unchanged market is dropped, a changed one goes out.
 * A leaderboard row is a fact of one snapshot: its key names the board and the wallet, and every
 * pass over a board is a snapshot of its own, so the snapshot is part of the identity (a page
 * fetched again within the pass carries the same snapshot and is dropped). Top holders and open
 * interest are snapshots the same way: their keys name the market (and token and wallet), and the
 * pass's snapshot tells one pass's figures from the next.
 */
import type { CleanTopicKey } from '../schemas/clean-records.ts';
import type { CleanOutput } from './normalise/types.ts';
import { identity } from './state/dedup-window.ts';

const SNAPSHOT_TOPICS: ReadonlySet<CleanTopicKey> = new Set(['leaderboard', 'holders', 'openInterest']);

export const REFERENCE_TOPICS: ReadonlySet<CleanTopicKey> = new Set(['markets', 'tokens', 'events']);

/** Header on every clean record holding its dedup identity (read back to rebuild the windows). */
export const DEDUP_HEADER = 'pma-dedup';
/** Header naming the raw record a clean record came from: `topic/partition/offset`. */
export const SOURCE_HEADER = 'pma-source';

export function dedupIdentity(out: CleanOutput): string {
  if (SNAPSHOT_TOPICS.has(out.topic)) return identity(out.topic, out.key, String((out.value as { snapshot_ts: number }).snapshot_ts));
  if (!REFERENCE_TOPICS.has(out.topic)) return identity(out.topic, out.key);
  const { observed_ts: _, ...content } = out.value as { observed_ts: number };
  return identity(out.topic, out.key, JSON.stringify(content));
}
