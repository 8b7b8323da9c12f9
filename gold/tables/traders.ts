/**
 * Trades valued at resolution, positions, and trader profiles. gold_trade_pnl values each trade
 * on its own as if held to resolution: per share, 1 − price when it bought the winning outcome,
 * −price when it bought a losing one, and the opposite when it sold (spec section 7), so a sell of
 * shares the wallet never held reads as a naked short. A trader's PnL, win rate and ROI therefore
 * come from the position walk (positions.ts: average cost, sells close only shares held, the rest
 * settles at 1 or 0), as in the backtest. Trades on markets that have not resolved count in no
 * settlement and no win rate (the original counted them as losses, spec section 11 item 22).
 */
import { buildPositionWalk } from './positions.ts';
import type { GoldTable } from './types.ts';

export const TRADER_TABLES: GoldTable[] = [
  {
    name: 'gold_trade_outcome',
    description: 'one row per trade: its token (matched by outcome name when the trade did not carry one), category, and value at resolution',
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
    description: 'one row per trade on a resolved market with a known token, valued on its own as if held to resolution (a sell as a short): final price, value per share and in total',
    select: () => `
      SELECT *, CASE side WHEN 'BUY' THEN final_price - price ELSE price - final_price END AS pnl_per_share,
        size * CASE side WHEN 'BUY' THEN final_price - price ELSE price - final_price END AS pnl
      FROM gold_trade_outcome WHERE final_price IS NOT NULL`,
  },
  {
    name: 'gold_position_walk',
    description: "one row per trade of every wallet: the position walk (held before, average cost, shares closed and unheld, cost basis, realised PnL, held after) and a fixed-stake copier's",
    build: buildPositionWalk,
  },
  {
    name: 'gold_trader_profile',
    description: 'one row per trader: volume, trades, markets, buy/sell mix, activity span; from its positions: PnL, realisations, win rate, ROI, unheld sells, open cost',
    select: () => `
      WITH a AS (
        SELECT trader_sk, count(*) AS trade_count, sum(notional) AS volume, avg(notional) AS avg_trade_notional,
          count(DISTINCT market_sk) AS markets, count(*) FILTER (WHERE side = 'BUY') AS buy_count,
          count(*) FILTER (WHERE side = 'SELL') AS sell_count, min(trade_timestamp) AS first_trade_at,
          max(trade_timestamp) AS last_trade_at, count(DISTINCT trade_date) AS trading_days
        FROM silver.TradeFact GROUP BY trader_sk),
      p AS (SELECT trader_sk, count(*) AS resolved_trades FROM gold_trade_pnl GROUP BY trader_sk),
      pos AS (
        SELECT w.trader_sk, o.token_sk, any_value(o.final_price) AS final_price,
          arg_max(w.held_after, w.seq) AS held, arg_max(w.cost_after, w.seq) AS held_cost,
          sum(w.realised_pnl) AS sell_pnl, sum(w.cost_basis) AS sell_cost, count(*) FILTER (WHERE w.closed_shares > 0) AS closes,
          count(*) FILTER (WHERE w.closed_shares > 0 AND w.realised_pnl > 0) AS close_wins,
          count(*) FILTER (WHERE w.closed_shares > 0 AND w.realised_pnl < 0) AS close_losses, count(*) FILTER (WHERE w.unheld_shares > 0) AS unheld_sells
        FROM gold_position_walk w JOIN gold_trade_outcome o USING (trade_sk) WHERE o.token_sk IS NOT NULL GROUP BY w.trader_sk, o.token_sk),
      settled AS (SELECT *, CASE WHEN final_price IS NOT NULL AND held > 1e-9 THEN held * final_price - held_cost END AS settle_pnl FROM pos),
      q AS (
        SELECT trader_sk, sum(sell_pnl) + coalesce(sum(settle_pnl), 0) AS realised_pnl, sum(closes) + count(settle_pnl) AS realisations,
          sum(close_wins) + count(*) FILTER (WHERE settle_pnl > 0) AS wins, sum(close_losses) + count(*) FILTER (WHERE settle_pnl < 0) AS losses,
          sum(sell_cost) + coalesce(sum(held_cost) FILTER (WHERE settle_pnl IS NOT NULL), 0) AS cost_basis, sum(unheld_sells) AS unheld_sells,
          coalesce(sum(held_cost) FILTER (WHERE final_price IS NULL AND held > 1e-9), 0) AS open_cost
        FROM settled GROUP BY trader_sk)
      SELECT a.trader_sk, d.wallet_address, d.user_name, a.trade_count, a.volume, a.avg_trade_notional, a.markets,
        a.buy_count, a.sell_count, a.buy_count / a.trade_count AS buy_ratio, a.first_trade_at, a.last_trade_at, a.trading_days,
        coalesce(p.resolved_trades, 0) AS resolved_trades, coalesce(q.realised_pnl, 0) AS realised_pnl,
        coalesce(q.realisations, 0) AS realisations, coalesce(q.wins, 0) AS wins, coalesce(q.losses, 0) AS losses,
        CASE WHEN q.realisations > 0 THEN q.wins / q.realisations END AS win_rate, coalesce(q.cost_basis, 0) AS cost_basis,
        CASE WHEN q.cost_basis > 0 THEN q.realised_pnl / q.cost_basis END AS roi,
        coalesce(q.unheld_sells, 0) AS unheld_sells, coalesce(q.open_cost, 0) AS open_cost
      FROM a LEFT JOIN p USING (trader_sk) LEFT JOIN q USING (trader_sk) LEFT JOIN silver.TraderDim d USING (trader_sk)`,
  },
];
