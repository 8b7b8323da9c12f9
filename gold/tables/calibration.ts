/**
 * Calibration: is the market's price a probability? For every outcome token of a market with a
 * real winner, the market-implied probability H days before resolution (resolved_at, as in
 * gold_market_resolution) is the last CLOB price-history sample at or before that moment; a
 * sample older than another H days is stale and the token is left out for that horizon (a
 * three-month-old price says nothing about the day before). Trade prices are not used: a fill's
 * price is one order's, the history is the book's. Every outcome counts (multi-outcome markets
 * contribute one forecast per token); outcome = 1 for the winner, else 0.
 *
 * Also the price and volume over time of the markets with the most volume (each match once).
 */
import { MATCH_COUNT, MATCH_ROW, MATCH_WEIGHT } from './markets.ts';
import type { GoldTable } from './types.ts';

export const CALIBRATION_TABLES: GoldTable[] = [
  {
    name: 'gold_calibration',
    description: 'one row per resolved market token and horizon: the market-implied probability H days before resolution (last price-history sample, not staler than H more days) and the outcome',
    select: (p) => `
      WITH res AS (
        SELECT r.market_sk, r.winner_token_sk, r.resolved_at, c.category
        FROM gold_market_resolution r JOIN gold_market_category c USING (market_sk)
        WHERE r.winner_token_sk IS NOT NULL AND r.resolved_at IS NOT NULL),
      f AS (
        SELECT k.token_sk, k.token_id, k.market_sk, k.outcome, res.category, h.horizon_days, res.resolved_at,
          res.resolved_at - to_days(h.horizon_days) AS forecast_at, CASE WHEN k.token_sk = res.winner_token_sk THEN 1 ELSE 0 END AS outcome_value
        FROM silver.MarketTokenDim k JOIN res USING (market_sk)
        CROSS JOIN (SELECT unnest([${p.calibrationHorizonDays.map((d) => Math.trunc(d)).join(', ')}]::INTEGER[]) AS horizon_days) h)
      SELECT f.*, s.price AS probability, s.price_timestamp AS price_at, (f.outcome_value - s.price) ^ 2 AS squared_error
      FROM f ASOF JOIN silver.PriceHistoryFact s ON s.token_sk = f.token_sk AND s.price_timestamp <= f.forecast_at
      WHERE s.price_timestamp >= f.forecast_at - to_days(f.horizon_days)`,
  },
  {
    name: 'gold_calibration_reliability',
    description: 'one row per horizon and probability bucket: forecasts, mean implied probability, observed frequency of the outcome, and the gap',
    select: (p) => {
      const n = Math.max(1, Math.round(1 / p.calibrationBucket));
      // 1e-9 keeps 0.6 / 0.1 = 5.999... in bucket 6; a price of 1 goes in the top bucket.
      return `
      SELECT horizon_days, bucket / ${n} AS bucket_low, (bucket + 1) / ${n} AS bucket_high, count(*) AS forecasts,
        avg(probability) AS mean_probability, avg(outcome_value) AS observed_frequency, avg(outcome_value) - avg(probability) AS gap
      FROM (SELECT *, least(floor(probability * ${n} + 1e-9), ${n - 1}) AS bucket FROM gold_calibration)
      GROUP BY horizon_days, bucket`;
    },
  },
  {
    name: 'gold_calibration_brier',
    description: "one row per horizon and category (and 'All'): forecasts, markets, Brier score (mean squared error of the probability), mean probability, observed frequency",
    select: () => `
      SELECT horizon_days, coalesce(category, 'All') AS category, count(*) AS forecasts, count(DISTINCT market_sk) AS markets,
        avg(squared_error) AS brier_score, avg(probability) AS mean_probability, avg(outcome_value) AS observed_frequency
      FROM gold_calibration GROUP BY GROUPING SETS ((horizon_days, category), (horizon_days))`,
  },
  {
    name: 'gold_top_market_daily',
    description: 'one row per UTC day of the markets with the most volume: matches, volume (each match once), cumulative volume, outcome-0 price (price history, else the last trade) and VWAP',
    select: (p) => `
      WITH top AS (
        SELECT market_sk, condition_id, market_slug, question, volume AS total_volume,
          row_number() OVER (ORDER BY volume DESC, condition_id) AS volume_rank
        FROM gold_market_summary WHERE volume > 0 QUALIFY volume_rank <= ${Math.trunc(p.topMarkets)}),
      t AS (
        SELECT market_sk, trade_date AS day, ${MATCH_COUNT} AS matches, sum(notional * ${MATCH_WEIGHT}) AS volume,
          arg_max(price, (trade_timestamp, trade_sk)) FILTER (WHERE outcome_index = 0 AND ${MATCH_ROW}) AS last_trade_price,
          sum(notional * ${MATCH_WEIGHT}) FILTER (WHERE outcome_index = 0) / nullif(sum(size * ${MATCH_WEIGHT}) FILTER (WHERE outcome_index = 0), 0) AS vwap
        FROM silver.TradeFact WHERE market_sk IN (SELECT market_sk FROM top) GROUP BY ALL),
      h AS (
        SELECT k.market_sk, s.price_date AS day, arg_max(s.price, s.price_timestamp) AS history_price
        FROM silver.PriceHistoryFact s JOIN silver.MarketTokenDim k USING (token_sk)
        WHERE k.outcome_index = 0 AND k.market_sk IN (SELECT market_sk FROM top) GROUP BY ALL)
      SELECT top.volume_rank, market_sk, top.condition_id, top.market_slug, top.question, day,
        coalesce(t.matches, 0) AS matches, coalesce(t.volume, 0) AS volume,
        sum(coalesce(t.volume, 0)) OVER (PARTITION BY market_sk ORDER BY day) AS cumulative_volume,
        coalesce(h.history_price, t.last_trade_price) AS price, h.history_price, t.last_trade_price, t.vwap
      FROM t FULL JOIN h USING (market_sk, day) JOIN top USING (market_sk)`,
  },
];
