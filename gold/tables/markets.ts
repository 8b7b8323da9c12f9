/**
 * Markets and events: how each market resolved (only a real winner counts: a winner flag from the
 * CLOB, or a UMA-resolved market whose prices name exactly one outcome at 1; a closed market whose
 * prices are 0 or 1 is not enough, spec section 11 item 21), its category, and summaries of its
 * trading. Prices in a market summary are those of its first outcome (outcome index 0).
 *
 * TradeFact holds every side of a match: the taker's row and one row per maker it filled against.
 * Market and event volume, trade counts and prices count each match once, by its taker row; a
 * row whose role was not recorded (UNKNOWN: the producer ran without role labels, or could not
 * tell) is taken as one side of a two-sided match, so its transaction counts as one match and
 * half its notional as the match's volume. Distinct traders count every side: makers trade too.
 */
import { dimKeySql } from '../../sinks/silver/keys.ts';
import type { GoldTable } from './types.ts';

/** The share of a TradeFact row's notional and size that belongs to the match it is part of. */
export const MATCH_WEIGHT = `CASE role WHEN 'TAKER' THEN 1.0 WHEN 'UNKNOWN' THEN 0.5 ELSE 0.0 END`;
/** Matches among a group of TradeFact rows: taker rows, plus the transactions of unlabelled rows. */
export const MATCH_COUNT = `(count(*) FILTER (WHERE role = 'TAKER') + count(DISTINCT transaction_hash) FILTER (WHERE role = 'UNKNOWN'))`;
/** Rows that carry a match's price (a maker row repeats it, or names the complement's). */
export const MATCH_ROW = `role <> 'MAKER'`;

export const MARKET_TABLES: GoldTable[] = [
  {
    name: 'gold_market_resolution',
    description: 'one row per market: closed, resolved, the winning token and how the winner is known',
    select: () => `
      WITH flags AS (
        SELECT market_sk,
          count(*) FILTER (WHERE is_winner) AS winners,
          max(token_sk) FILTER (WHERE is_winner) AS winner_token_sk
        FROM silver.MarketTokenDim GROUP BY market_sk),
      uma AS (
        SELECT m.market_sk, m.token_ids[list_position(m.outcome_prices, 1.0)] AS winner_token_id
        FROM silver.MarketDim m
        WHERE m.is_closed AND lower(m.uma_resolution_status) = 'resolved'
          AND len(m.outcome_prices) = len(m.token_ids) AND len(m.outcome_prices) >= 2
          AND len(list_filter(m.outcome_prices, x -> x = 1.0)) = 1
          AND len(list_filter(m.outcome_prices, x -> x = 0.0)) = len(m.outcome_prices) - 1)
      SELECT m.market_sk, m.condition_id, coalesce(m.is_closed, false) AS is_closed,
        CASE WHEN f.winners = 1 THEN f.winner_token_sk
             WHEN coalesce(f.winners, 0) = 0 AND u.winner_token_id IS NOT NULL THEN ${dimKeySql('u.winner_token_id')} END AS winner_token_sk,
        CASE WHEN f.winners = 1 THEN 'clob-winner-flag'
             WHEN coalesce(f.winners, 0) = 0 AND u.winner_token_id IS NOT NULL THEN 'uma-resolved-prices' END AS resolution_source,
        coalesce(m.closed_time, m.end_date) AS resolved_at
      FROM silver.MarketDim m LEFT JOIN flags f USING (market_sk) LEFT JOIN uma u USING (market_sk)`,
  },
  {
    name: 'gold_market_category',
    description: "one row per market: its category (the market's, else its event's, else its first tag other than All, else Unknown)",
    select: () => `
      WITH event_of AS (
        SELECT market_sk, min(event_sk) AS event_sk FROM (
          SELECT market_sk, event_sk FROM silver.MarketDim WHERE event_sk IS NOT NULL
          UNION SELECT market_sk, event_sk FROM silver.EventMarketBridge) GROUP BY market_sk)
      SELECT m.market_sk, eo.event_sk,
        coalesce(m.category, e.category, list_filter(m.tags, t -> t <> 'All')[1], 'Unknown') AS category
      FROM silver.MarketDim m LEFT JOIN event_of eo USING (market_sk) LEFT JOIN silver.EventDim e ON e.event_sk = eo.event_sk`,
  },
  {
    name: 'gold_market_summary',
    description: 'one row per market: matches and their volume (each match once), distinct traders, first/last trade, price range and return of outcome 0, resolution, winner, Gamma volume',
    select: () => `
      WITH t AS (
        SELECT market_sk, ${MATCH_COUNT} AS trade_count, sum(notional * ${MATCH_WEIGHT}) AS volume, sum(size * ${MATCH_WEIGHT}) AS shares,
          count(DISTINCT trader_sk) AS distinct_traders, min(trade_timestamp) AS first_trade_at, max(trade_timestamp) AS last_trade_at
        FROM silver.TradeFact GROUP BY market_sk),
      p AS (
        SELECT market_sk, min(price) AS min_price, max(price) AS max_price,
          arg_min(price, (trade_timestamp, trade_sk)) AS first_price, arg_max(price, (trade_timestamp, trade_sk)) AS last_price
        FROM silver.TradeFact WHERE outcome_index = 0 AND ${MATCH_ROW} GROUP BY market_sk)
      SELECT m.market_sk, m.condition_id, m.market_slug, m.question, c.category, c.event_sk, r.is_closed,
        r.winner_token_sk IS NOT NULL AS is_resolved, w.outcome AS winning_outcome, r.resolution_source, r.resolved_at,
        coalesce(t.trade_count, 0) AS trade_count, coalesce(t.volume, 0) AS volume, coalesce(t.shares, 0) AS shares,
        coalesce(t.distinct_traders, 0) AS distinct_traders, t.first_trade_at, t.last_trade_at,
        p.min_price, p.max_price, p.max_price - p.min_price AS price_range, p.first_price, p.last_price,
        CASE WHEN p.first_price > 0 THEN (p.last_price - p.first_price) / p.first_price END AS price_return,
        m.volume AS gamma_volume
      FROM silver.MarketDim m
      JOIN gold_market_resolution r USING (market_sk)
      JOIN gold_market_category c USING (market_sk)
      LEFT JOIN silver.MarketTokenDim w ON w.token_sk = r.winner_token_sk
      LEFT JOIN t USING (market_sk) LEFT JOIN p USING (market_sk)`,
  },
  {
    name: 'gold_event_summary',
    description: 'one row per event: its markets (and how many resolved), matches and their volume (each match once), distinct traders, first/last trade, Gamma volume',
    select: () => `
      WITH em AS (
        SELECT DISTINCT event_sk, market_sk FROM (
          SELECT event_sk, market_sk FROM silver.MarketDim WHERE event_sk IS NOT NULL
          UNION ALL SELECT event_sk, market_sk FROM silver.EventMarketBridge)),
      m AS (
        SELECT em.event_sk, count(*) AS markets, count(*) FILTER (WHERE s.is_resolved) AS resolved_markets
        FROM em JOIN gold_market_summary s USING (market_sk) GROUP BY em.event_sk),
      t AS (
        SELECT em.event_sk, ${MATCH_COUNT} AS trade_count, sum(f.notional * ${MATCH_WEIGHT}) AS volume, count(DISTINCT f.trader_sk) AS distinct_traders,
          min(f.trade_timestamp) AS first_trade_at, max(f.trade_timestamp) AS last_trade_at
        FROM em JOIN silver.TradeFact f USING (market_sk) GROUP BY em.event_sk)
      SELECT e.event_sk, e.event_id, e.title, e.slug, e.category, coalesce(e.is_closed, false) AS is_closed,
        coalesce(m.markets, 0) AS markets, coalesce(m.resolved_markets, 0) AS resolved_markets,
        coalesce(t.trade_count, 0) AS trade_count, coalesce(t.volume, 0) AS volume, coalesce(t.distinct_traders, 0) AS distinct_traders,
        t.first_trade_at, t.last_trade_at, e.volume AS gamma_volume
      FROM silver.EventDim e LEFT JOIN m USING (event_sk) LEFT JOIN t USING (event_sk)`,
  },
];
