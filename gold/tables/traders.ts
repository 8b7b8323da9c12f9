/**
 * Trades valued at resolution, and trader profiles. A trade on a resolved market is worth, per
 * share, 1 − price when it bought the winning outcome, −price when it bought a losing one, and the
 * opposite when it sold (spec section 7). Trades on markets that have not resolved count in no
 * PnL and no win rate (the original counted them as losses, spec section 11 item 22).
 */
import type { GoldTable } from './types.ts';

export const TRADER_TABLES: GoldTable[] = [
  {
    name: 'gold_trade_outcome',
    description: "one row per trade: its token (matched by outcome name when the trade did not carry one), category, and value at resolution",
    select: () => `
      WITH by_name AS (
        SELECT market_sk, lower(outcome) AS outcome_key, min(token_sk) AS token_sk, count(*) AS n
        FROM silver.MarketTokenDim WHERE outcome IS NOT NULL GROUP BY ALL)
      SELECT f.trade_sk, f.trade_id, f.trader_sk, f.market_sk, coalesce(f.token_sk, CASE WHEN b.n = 1 THEN b.token_sk END) AS token_sk,
        c.category, f.side, f.price, f.size, f.notional, f.trade_timestamp, f.trade_date,
        r.winner_token_sk IS NOT NULL AS is_resolved,
        CASE WHEN r.winner_token_sk IS NULL OR coalesce(f.token_sk, CASE WHEN b.n = 1 THEN b.token_sk END) IS NULL THEN NULL
             WHEN coalesce(f.token_sk, b.token_sk) = r.winner_token_sk THEN 1.0 ELSE 0.0 END AS final_price
      FROM silver.TradeFact f
      JOIN gold_market_resolution r USING (market_sk)
      JOIN gold_market_category c USING (market_sk)
      LEFT JOIN by_name b ON b.market_sk = f.market_sk AND b.outcome_key = lower(f.outcome) AND f.token_sk IS NULL`,
  },
  {
    name: 'gold_trade_pnl',
    description: 'one row per trade on a resolved market with a known token: final price, PnL per share and in total, won or lost',
    select: () => `
      SELECT *, CASE side WHEN 'BUY' THEN final_price - price ELSE price - final_price END AS pnl_per_share,
        size * CASE side WHEN 'BUY' THEN final_price - price ELSE price - final_price END AS pnl
      FROM gold_trade_outcome WHERE final_price IS NOT NULL`,
  },
  {
    name: 'gold_trader_profile',
    description: 'one row per trader: volume, trades, markets, buy/sell mix, activity span, realised PnL and win rate on resolved markets',
    select: () => `
      WITH a AS (
        SELECT trader_sk, count(*) AS trade_count, sum(notional) AS volume, avg(notional) AS avg_trade_notional,
          count(DISTINCT market_sk) AS markets, count(*) FILTER (WHERE side = 'BUY') AS buy_count,
          count(*) FILTER (WHERE side = 'SELL') AS sell_count, min(trade_timestamp) AS first_trade_at,
          max(trade_timestamp) AS last_trade_at, count(DISTINCT trade_date) AS trading_days
        FROM silver.TradeFact GROUP BY trader_sk),
      p AS (
        SELECT trader_sk, count(*) AS resolved_trades, sum(pnl) AS realised_pnl,
          count(*) FILTER (WHERE pnl > 0) AS wins, count(*) FILTER (WHERE pnl < 0) AS losses, sum(notional) AS resolved_volume
        FROM gold_trade_pnl GROUP BY trader_sk)
      SELECT a.trader_sk, d.wallet_address, d.user_name, a.trade_count, a.volume, a.avg_trade_notional, a.markets,
        a.buy_count, a.sell_count, a.buy_count / a.trade_count AS buy_ratio, a.first_trade_at, a.last_trade_at, a.trading_days,
        coalesce(p.resolved_trades, 0) AS resolved_trades, coalesce(p.realised_pnl, 0) AS realised_pnl,
        coalesce(p.wins, 0) AS wins, coalesce(p.losses, 0) AS losses,
        CASE WHEN p.resolved_trades > 0 THEN p.wins / p.resolved_trades END AS win_rate,
        CASE WHEN p.resolved_volume > 0 THEN p.realised_pnl / p.resolved_volume END AS roi
      FROM a LEFT JOIN p USING (trader_sk) LEFT JOIN silver.TraderDim d USING (trader_sk)`,
  },
];
