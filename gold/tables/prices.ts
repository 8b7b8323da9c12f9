/**
 * Price features per outcome token from its CLOB price history (spec section 7, with its query
 * that always failed made to work): samples, range, standard deviation, volatility (standard
 * deviation of the changes between consecutive samples), first/last price and return; tokens
 * without history keep their last known price. Inflection points and major moves are found on the
 * hourly series (the last price of each hour), so kept points are at least an hour apart.
 */
import type { GoldTable } from './types.ts';

export const PRICE_TABLES: GoldTable[] = [
  {
    name: 'gold_price_hourly',
    description: 'one row per token and hour with history: the last price of the hour, and the hours before and after',
    select: () => `
      WITH h AS (
        SELECT token_sk, date_trunc('hour', price_timestamp) AS hour, arg_max(price, price_timestamp) AS price
        FROM silver.PriceHistoryFact GROUP BY ALL)
      SELECT token_sk, hour, price,
        lag(price) OVER w AS previous_price, lead(price) OVER w AS next_price, row_number() OVER w AS position
      FROM h WINDOW w AS (PARTITION BY token_sk ORDER BY hour)`,
  },
  {
    name: 'gold_price_inflections',
    description: 'one row per reversal of an hourly series whose size is at least the threshold: peak or trough, magnitude',
    select: (p) => `
      SELECT token_sk, hour, price, CASE WHEN price > previous_price THEN 'peak' ELSE 'trough' END AS kind,
        abs(next_price - previous_price) / greatest(previous_price, 0.001) AS magnitude
      FROM gold_price_hourly
      WHERE (price - previous_price) * (next_price - price) < 0
        AND abs(next_price - previous_price) / greatest(previous_price, 0.001) >= ${p.inflectionThreshold}`,
  },
  {
    name: 'gold_price_major_moves',
    description: 'the largest hour-to-hour moves of each token by absolute percent change (previous price above 0)',
    select: (p) => `
      SELECT token_sk, hour, previous_price, price, 100 * (price - previous_price) / previous_price AS change_pct, rank
      FROM (SELECT *, row_number() OVER (PARTITION BY token_sk ORDER BY abs((price - previous_price) / previous_price) DESC, hour) AS rank
            FROM gold_price_hourly WHERE previous_price > 0)
      WHERE rank <= ${p.majorMoves}`,
  },
  {
    name: 'gold_price_features',
    description: 'one row per token: samples, range, stddev, volatility, first/last price and return, inflection counts',
    select: () => `
      WITH s AS (
        SELECT token_sk, count(*) AS samples, min(price_timestamp) AS first_at, max(price_timestamp) AS last_at,
          min(price) AS min_price, max(price) AS max_price, avg(price) AS mean_price, stddev_samp(price) AS price_stddev,
          arg_min(price, price_timestamp) AS first_price, arg_max(price, price_timestamp) AS last_price
        FROM silver.PriceHistoryFact GROUP BY token_sk),
      v AS (
        SELECT token_sk, stddev_samp(change) AS volatility FROM (
          SELECT token_sk, price - lag(price) OVER (PARTITION BY token_sk ORDER BY price_timestamp) AS change FROM silver.PriceHistoryFact)
        WHERE change IS NOT NULL GROUP BY token_sk),
      i AS (
        SELECT token_sk, count(*) AS inflections, count(*) FILTER (WHERE kind = 'peak') AS peaks,
          count(*) FILTER (WHERE kind = 'trough') AS troughs, avg(magnitude) AS mean_magnitude, max(magnitude) AS max_magnitude
        FROM gold_price_inflections GROUP BY token_sk)
      SELECT k.token_sk, k.token_id, k.market_sk, k.outcome, coalesce(s.samples, 0) AS samples, s.first_at, s.last_at,
        s.min_price, s.max_price, s.max_price - s.min_price AS price_range, s.mean_price, s.price_stddev, v.volatility,
        s.first_price, coalesce(s.last_price, k.price) AS last_price,
        CASE WHEN s.first_price > 0 THEN (s.last_price - s.first_price) / s.first_price END AS price_return,
        coalesce(i.inflections, 0) AS inflections, coalesce(i.peaks, 0) AS peaks, coalesce(i.troughs, 0) AS troughs,
        i.mean_magnitude, i.max_magnitude
      FROM silver.MarketTokenDim k LEFT JOIN s USING (token_sk) LEFT JOIN v USING (token_sk) LEFT JOIN i USING (token_sk)`,
  },
];
