/**
 * Surrogate keys of Silver, derived from natural keys only, so a rebuild (or another tool) gets
 * the same keys: MD5 is fixed forever and easy to compute anywhere, unlike DuckDB's `hash()`,
 * whose values may change between DuckDB versions.
 *
 * - Dimension keys (`market_sk`, `token_sk`, `event_sk`, `trader_sk`) are UBIGINT: bytes 8..15 of
 *   MD5(natural key) read little-endian, which is DuckDB's `md5_number(k) >> 64`. Each dimension
 *   also keeps its natural key UNIQUE, so a collision would stop the sink with a constraint error
 *   rather than merge two rows.
 * - `trade_sk` is UHUGEINT: all 16 bytes of MD5(trade_id) little-endian (DuckDB `md5_number`).
 *   Trades are deduplicated on it, so it gets 128 bits: at 10^9 trades the chance of any
 *   collision is about 1e-21.
 *
 * Natural keys are normalised first: hex identifiers (condition ids, wallets) lower-cased, the
 * others (token ids, event ids, trade ids) as sent.
 */
import { createHash } from 'node:crypto';

/** SQL of the dimension key of a VARCHAR expression (the expression must already be normalised). */
export const dimKeySql = (expr: string): string => `(md5_number(${expr}) >> 64)::UBIGINT`;

/** SQL of the trade key of a VARCHAR expression. */
export const tradeKeySql = (expr: string): string => `md5_number(${expr})`;

/** The dimension key of a natural key, as Silver computes it. */
export function dimKey(natural: string): bigint {
  return createHash('md5').update(natural, 'utf8').digest().readBigUInt64LE(8);
}

/** The trade key of a trade id, as Silver computes it. */
export function tradeKey(tradeId: string): bigint {
  const d = createHash('md5').update(tradeId, 'utf8').digest();
  return (d.readBigUInt64LE(8) << 64n) | d.readBigUInt64LE(0);
}

/** market_sk of a condition id. */
export const marketKey = (conditionId: string): bigint => dimKey(conditionId.toLowerCase());
/** trader_sk of a wallet address. */
export const traderKey = (wallet: string): bigint => dimKey(wallet.toLowerCase());
/** token_sk of an outcome token id. */
export const tokenKey = (tokenId: string): bigint => dimKey(tokenId);
/** event_sk of a Gamma event id. */
export const eventKey = (eventId: string): bigint => dimKey(eventId);
