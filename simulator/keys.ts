/**
 * Record keys of the ground truth, computed from what a client sees in a served row (nothing the
 * simulator keeps to itself). They are the same definitions as the producers' `producers/keys.ts`,
 * so "the ingest equals the truth" is a comparison of key sets.
 *
 * | record            | key                                                                              |
 * |-------------------|----------------------------------------------------------------------------------|
 * | Gamma market      | Gamma `id`                                                                       |
 * | Gamma event       | Gamma `id`                                                                       |
 * | Gamma tag         | Gamma `id`                                                                       |
 * | CLOB market       | `condition_id`                                                                   |
 * | trade (fill row)  | `transactionHash|proxyWallet(lower)|asset|side|price|size|timestamp`             |
 * | price point       | `token|t`                                                                        |
 * | leaderboard row   | `timePeriod/orderBy/category/proxyWallet(lower)`                                 |
 * | top holder        | `conditionId(lower)|asset|proxyWallet(lower)`                                     |
 * | open interest     | `conditionId(lower)`                                                             |
 *
 * The trade key is a true identity in the simulated world: one transaction holds several fills,
 * and with maker rows the same match appears once per participant, but within a transaction no
 * two rows share wallet, side, price and size (see world/fills.ts).
 */

/** Record types of the ground truth (truth.ts). */
export const TRUTH_TYPES = ['gamma-market', 'gamma-event', 'tag', 'clob-market', 'trade', 'price-point', 'leaderboard-row', 'holder', 'open-interest', 'gap'] as const;
export type TruthType = (typeof TRUTH_TYPES)[number];

export function gammaMarketKey(m: { id: string | number }): string {
  return String(m.id);
}

export function gammaEventKey(e: { id: string | number }): string {
  return String(e.id);
}

export function tagKey(t: { id: string | number }): string {
  return String(t.id);
}

export function clobMarketKey(m: { condition_id: string }): string {
  return m.condition_id;
}

/** Key of a `/trades` (v1) row. */
export function tradeKey(t: { transactionHash: string; proxyWallet: string; asset: string; side: string; price: number; size: number; timestamp: number }): string {
  return [t.transactionHash, t.proxyWallet.toLowerCase(), t.asset, t.side, t.price, t.size, t.timestamp].join('|');
}

/** Key of a `/v2/trades` row (same fill, same key as its v1 row). */
export function tradeKeyV2(t: { transaction_hash: string; proxy_wallet: string; token_id: string; side: string; price: number; size: number; timestamp: number }): string {
  return tradeKey({ transactionHash: t.transaction_hash, proxyWallet: t.proxy_wallet, asset: t.token_id, side: t.side, price: t.price, size: t.size, timestamp: t.timestamp });
}

export function pricePointKey(token: string, t: number): string {
  return `${token}|${t}`;
}

export function leaderboardKey(board: { category: string; timePeriod: string; orderBy: string }, row: { proxyWallet: string }): string {
  return `${board.timePeriod}/${board.orderBy}/${board.category}/${row.proxyWallet.toLowerCase()}`;
}

/** Key of a `/holders` row of market `conditionId`. */
export function holderKey(conditionId: string, row: { asset: string; proxyWallet: string }): string {
  return `${conditionId.toLowerCase()}|${row.asset}|${row.proxyWallet.toLowerCase()}`;
}

/** Key of an `/oi` element. */
export function openInterestKey(market: string): string {
  return market.toLowerCase();
}
