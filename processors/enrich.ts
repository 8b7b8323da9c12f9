/**
 * Enrichment of trades and price points from the lookup tables. Each function fills in what it
 * can, never overwriting what the record itself says, and returns the lookup keys it still waits
 * for: an empty list means the record is complete.
 */
import type { CleanPricePoint, CleanTrade } from '../schemas/clean-records.ts';
import type { LookupTables } from './state/lookup.ts';

/** A trade needs its outcome token (market and outcome) and its market's event. */
export function enrichTrade(t: CleanTrade, lookup: LookupTables): string[] {
  const tokenId = t.token_id ?? lookup.tokenOf(t.condition_id, t.outcome_index, t.outcome);
  const info = tokenId === undefined ? undefined : lookup.token(tokenId);
  if (tokenId !== undefined && info) {
    t.token_id ??= tokenId;
    t.outcome ??= info.outcome;
    t.outcome_index ??= info.outcomeIndex;
  }
  const event = lookup.event(t.condition_id);
  if (event) {
    t.event_id ??= event.eventId;
    t.event_slug ??= event.eventSlug;
  }
  const missing: string[] = [];
  if (!info) missing.push(t.token_id ?? t.condition_id);
  if (!event && !missing.includes(t.condition_id)) missing.push(t.condition_id);
  return missing;
}

/** A price point needs its token's market and outcome. */
export function enrichPricePoint(p: CleanPricePoint, lookup: LookupTables): string[] {
  const info = lookup.token(p.token_id);
  if (!info) return [p.token_id];
  p.condition_id ??= info.conditionId;
  p.outcome ??= info.outcome;
  p.outcome_index ??= info.outcomeIndex;
  return [];
}
