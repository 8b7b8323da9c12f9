/**
 * Open interest and holder concentration per market over time, from the snapshots Silver keeps
 * (HolderSnapshot, OpenInterestFact). A market's holders are wallets: a wallet listed under both
 * outcome tokens holds the sum of its amounts. The Data API lists at most 20 holders per token, so
 * the concentration figures describe the listed top holders, not every holder of the market.
 *
 * - `top10_share`: the 10 largest wallets' share of the listed holders' amount (ties broken by
 *   address, so the figure does not depend on row order); 1 when 10 or fewer wallets are listed.
 * - `herfindahl`: the Herfindahl-Hirschman index over the wallets' shares of that amount, Σ sᵢ²,
 *   from 1/n (n equal holders) to 1 (one holder); on a 0-1 scale, not the 0-10,000 of percent shares.
 *
 * Holder and open-interest passes run on their own intervals, so their snapshot times need not
 * meet: a row is a market at a snapshot time of either, with the other's figures null.
 */
import type { GoldTable } from './types.ts';

/** How many of the largest holders the top share counts. */
const TOP_HOLDERS = 10;

export const HOLDER_TABLES: GoldTable[] = [
  {
    name: 'gold_market_concentration',
    description: `one row per market and snapshot time: open interest, listed holders, their amount, the top-${TOP_HOLDERS} share and the Herfindahl index of their holdings`,
    select: () => `
      WITH wallets AS (
        SELECT market_sk, snapshot_timestamp, trader_sk, any_value(wallet_address) AS wallet, sum(amount) AS amount
        FROM silver.HolderSnapshot GROUP BY market_sk, snapshot_timestamp, trader_sk),
      ranked AS (
        SELECT *, sum(amount) OVER (PARTITION BY market_sk, snapshot_timestamp) AS total,
          row_number() OVER (PARTITION BY market_sk, snapshot_timestamp ORDER BY amount DESC, wallet) AS rank
        FROM wallets),
      concentration AS (
        SELECT market_sk, snapshot_timestamp, count(*) AS holders, any_value(total) AS holder_amount,
          CASE WHEN any_value(total) > 0 THEN sum(amount) FILTER (WHERE rank <= ${TOP_HOLDERS}) / any_value(total) END AS top10_share,
          CASE WHEN any_value(total) > 0 THEN sum((amount / total) * (amount / total)) END AS herfindahl
        FROM ranked GROUP BY market_sk, snapshot_timestamp)
      SELECT market_sk, coalesce(m.condition_id, o.condition_id) AS condition_id, snapshot_timestamp,
        o.value AS open_interest, c.holders, c.holder_amount, c.top10_share, c.herfindahl
      FROM concentration c FULL OUTER JOIN silver.OpenInterestFact o USING (market_sk, snapshot_timestamp)
        LEFT JOIN silver.MarketDim m USING (market_sk)`,
  },
];
