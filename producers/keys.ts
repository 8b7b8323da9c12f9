/**
 * Record keys: deterministic, the same for the same API object on every fetch, so a page fetched
 * twice (after a restart) repeats keys rather than inventing records, and downstream dedup by
 * key is exact. They equal the simulator's ground-truth keys.
 */

/** Gamma market: its Gamma id. */
export function gammaMarketKey(m: { id: string | number }): string {
  return String(m.id);
}

/** Gamma event: its Gamma id. */
export function gammaEventKey(e: { id: string | number }): string {
  return String(e.id);
}

/** CLOB market: its condition id. */
export function clobMarketKey(m: { condition_id: string }): string {
  return m.condition_id;
}

/**
 * A fill as the Data API reports it from one participant's side. One transaction carries many
 * fills, and with maker rows included one match appears once per participant, so the key names
 * the transaction, the wallet, the token, the side, the price, the size and the time.
 */
export function tradeKey(t: { transactionHash: string; proxyWallet: string; asset: string; side: string; price: number; size: number; timestamp: number }): string {
  return `${t.transactionHash}|${t.proxyWallet.toLowerCase()}|${t.asset}|${t.side}|${t.price}|${t.size}|${t.timestamp}`;
}

/** A leaderboard row: the board it is on and the wallet. */
export function leaderboardKey(board: { category: string; timePeriod: string; orderBy: string }, row: { proxyWallet: string }): string {
  return `${board.timePeriod}/${board.orderBy}/${board.category}/${row.proxyWallet.toLowerCase()}`;
}

/** A top holder of a token: the market, the token and the wallet (the snapshot tells passes apart downstream). */
export function holderKey(conditionId: string, token: string, wallet: string): string {
  return `${conditionId.toLowerCase()}|${token}|${wallet.toLowerCase()}`;
}

/** A market's open interest: its condition id (the snapshot tells passes apart downstream). */
export function openInterestKey(conditionId: string): string {
  return conditionId.toLowerCase();
}

/** A price point: the token and the point's time. */
export function pricePointKey(token: string, t: number): string {
  return `${token}|${t}`;
}

/**
 * A market-channel event: the socket gives no id, so the key is made of what tells two events
 * apart (type, market, token, time, book hash, and for trades and changes the price, size, side).
 * A price_change covering several tokens is keyed by its first change.
 */
export function wsEventKey(e: Record<string, unknown>, receivedAt: number): string {
  const first = Array.isArray(e.price_changes) ? (e.price_changes[0] as Record<string, unknown> | undefined) : undefined;
  const pick = (k: string) => {
    const v = e[k] ?? first?.[k];
    return v === undefined || v === null ? '' : String(v);
  };
  return [pick('event_type'), pick('market'), pick('asset_id'), pick('timestamp') || String(receivedAt), pick('hash'), pick('transaction_hash'), pick('price'), pick('size'), pick('side')].join('|');
}
