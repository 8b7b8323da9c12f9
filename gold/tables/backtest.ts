/**
 * The copy-trading backtest of spec section 6.3, corrected: a trade is judged only on a market
 * with a real winner (gold_market_resolution), any number of outcomes counts, days and months are
 * UTC, and "volume" is named for what it sums (every copied trade, or those on resolved markets).
 *
 * The copied wallets are the top N by profit on the configured board (default OVERALL / ALL /
 * PNL; every board when that one holds no rows), each board judged by its latest snapshot (Silver
 * keeps one whole snapshot per ingest pass): a wallet that has dropped out of the top N, or off
 * the board, is not copied on the strength of an older row (the original filtered on rank before
 * taking the latest row, so it was).
 */
import { type GoldTable, lit } from './types.ts';

export const BACKTEST_TABLES: GoldTable[] = [
  {
    name: 'bt_top_users',
    description: 'the copied wallets: rank by profit, with the leaderboard row they were chosen on',
    select: (p) => `
      WITH board AS (
        SELECT * FROM silver.LeaderboardSnapshot
        WHERE category = ${lit(p.board.category)} AND time_period = ${lit(p.board.timePeriod)} AND order_by = ${lit(p.board.orderBy)}),
      rows AS (
        SELECT * FROM board UNION ALL
        SELECT * FROM silver.LeaderboardSnapshot WHERE NOT EXISTS (SELECT 1 FROM board)),
      latest AS (
        SELECT * FROM rows
        QUALIFY snapshot_timestamp = max(snapshot_timestamp) OVER (PARTITION BY category, time_period, order_by)),
      chosen AS (
        SELECT * FROM latest
        QUALIFY row_number() OVER (PARTITION BY trader_sk
          ORDER BY snapshot_timestamp DESC, profit DESC NULLS LAST, category, time_period, order_by, rank) = 1)
      SELECT row_number() OVER (ORDER BY profit DESC NULLS LAST, wallet_address) AS copy_rank, trader_sk, wallet_address,
        user_name, profit AS leaderboard_pnl, volume AS leaderboard_volume, rank AS leaderboard_rank,
        category AS board_category, time_period AS board_period, order_by AS board_order, snapshot_timestamp
      FROM chosen WHERE rank <= ${p.topUsers} ORDER BY copy_rank LIMIT ${p.topUsers}`,
  },
  {
    name: 'bt_trades',
    description: 'every trade of a copied wallet: resolved or not, final price, PnL per share and in total (resolved only)',
    select: () => `
      SELECT u.copy_rank, u.wallet_address, o.trade_sk, o.trade_id, o.market_sk, o.token_sk, o.category, o.side, o.price, o.size,
        o.notional AS trade_value, o.trade_timestamp, o.trade_date, date_trunc('month', o.trade_timestamp)::DATE AS trade_month,
        o.is_resolved AND o.final_price IS NOT NULL AS is_resolved, o.final_price,
        CASE WHEN o.final_price IS NOT NULL THEN CASE o.side WHEN 'BUY' THEN o.final_price - o.price ELSE o.price - o.final_price END END AS pnl_per_share,
        CASE WHEN o.final_price IS NOT NULL THEN o.size * CASE o.side WHEN 'BUY' THEN o.final_price - o.price ELSE o.price - o.final_price END END AS pnl
      FROM gold_trade_outcome o JOIN bt_top_users u USING (trader_sk)`,
  },
  {
    name: 'bt_user_summary',
    description: 'one row per copied wallet: trades, resolved, wins, losses, resolved volume, PnL, average PnL, win rate and ROI',
    select: () => `
      SELECT copy_rank, wallet_address, count(*) AS trades, count(*) FILTER (WHERE is_resolved) AS resolved,
        count(*) FILTER (WHERE pnl > 0) AS wins, count(*) FILTER (WHERE pnl < 0) AS losses,
        coalesce(sum(abs(trade_value)) FILTER (WHERE is_resolved), 0) AS resolved_volume,
        coalesce(sum(pnl), 0) AS pnl, avg(pnl) AS avg_pnl,
        round(100 * count(*) FILTER (WHERE pnl > 0) / nullif(count(*) FILTER (WHERE is_resolved), 0), 2) AS win_rate_pct,
        round(100 * sum(pnl) / nullif(sum(abs(trade_value)) FILTER (WHERE is_resolved), 0), 2) AS roi_pct
      FROM bt_trades GROUP BY copy_rank, wallet_address`,
  },
  {
    name: 'bt_overall',
    description: 'the whole strategy: wallets, trades, resolved, wins, capital deployed, PnL, its spread, PnL-to-risk, win rate, ROI',
    select: () => `
      SELECT count(DISTINCT wallet_address) AS users, count(*) AS trades, count(*) FILTER (WHERE is_resolved) AS resolved,
        count(*) FILTER (WHERE pnl > 0) AS wins, count(*) FILTER (WHERE pnl < 0) AS losses,
        coalesce(sum(trade_value) FILTER (WHERE is_resolved), 0) AS capital_deployed, coalesce(sum(pnl), 0) AS total_pnl,
        avg(pnl) AS avg_pnl, stddev_samp(pnl) AS pnl_stddev, avg(pnl) / nullif(stddev_samp(pnl), 0) AS pnl_to_risk,
        round(100 * count(*) FILTER (WHERE pnl > 0) / nullif(count(*) FILTER (WHERE is_resolved), 0), 2) AS win_rate_pct,
        round(100 * sum(pnl) / nullif(sum(trade_value) FILTER (WHERE is_resolved), 0), 2) AS roi_pct
      FROM bt_trades`,
  },
  {
    name: 'bt_category',
    description: 'one row per market category: trades, resolved, wins, win rate, PnL, average PnL, volume of every trade',
    select: () => `
      SELECT category, count(*) AS trades, count(*) FILTER (WHERE is_resolved) AS resolved, count(*) FILTER (WHERE pnl > 0) AS wins,
        round(100 * count(*) FILTER (WHERE pnl > 0) / nullif(count(*) FILTER (WHERE is_resolved), 0), 2) AS win_rate_pct,
        coalesce(sum(pnl), 0) AS pnl, avg(pnl) AS avg_pnl, sum(trade_value) AS volume
      FROM bt_trades GROUP BY category`,
  },
  {
    name: 'bt_daily',
    description: 'one row per UTC day: trades, resolved, wins, PnL, volume of resolved trades and of all trades',
    select: () => `
      SELECT trade_date AS day, count(*) AS trades, count(*) FILTER (WHERE is_resolved) AS resolved, count(*) FILTER (WHERE pnl > 0) AS wins,
        coalesce(sum(pnl), 0) AS pnl, coalesce(sum(trade_value) FILTER (WHERE is_resolved), 0) AS resolved_volume, sum(trade_value) AS volume
      FROM bt_trades GROUP BY trade_date`,
  },
  {
    name: 'bt_monthly',
    description: 'one row per UTC month: trades, resolved, wins, PnL, cumulative PnL, volumes, win rate, ROI on resolved volume',
    select: () => `
      SELECT month, trades, resolved, wins, pnl, sum(pnl) OVER (ORDER BY month) AS cumulative_pnl, resolved_volume, volume,
        wins / nullif(resolved, 0) AS win_rate, pnl / nullif(resolved_volume, 0) AS roi
      FROM (SELECT trade_month AS month, count(*) AS trades, count(*) FILTER (WHERE is_resolved) AS resolved,
              count(*) FILTER (WHERE pnl > 0) AS wins, coalesce(sum(pnl), 0) AS pnl,
              coalesce(sum(trade_value) FILTER (WHERE is_resolved), 0) AS resolved_volume, sum(trade_value) AS volume
            FROM bt_trades GROUP BY trade_month)`,
  },
  {
    name: 'bt_fixed_size_trades',
    description: 'every copied trade with a positive price, as if a fixed stake were put on it: shares bought and PnL',
    select: (p) => `
      SELECT copy_rank, wallet_address, trade_sk, trade_month, side, price, is_resolved, final_price, ${p.stake} / price AS shares,
        CASE WHEN is_resolved THEN ${p.stake} / price * CASE side WHEN 'BUY' THEN final_price - price ELSE price - final_price END END AS pnl
      FROM bt_trades WHERE price > 0`,
  },
  {
    name: 'bt_fixed_size_summary',
    description: 'the fixed-stake variant overall: wallets, trades, resolved, capital needed (stake x trades), PnL, win rate, ROI',
    select: (p) => `
      SELECT count(DISTINCT wallet_address) AS users, count(*) AS trades, count(*) FILTER (WHERE is_resolved) AS resolved,
        ${p.stake} * count(*) AS capital_needed, coalesce(sum(pnl), 0) AS total_pnl,
        round(100 * count(*) FILTER (WHERE pnl > 0) / nullif(count(*) FILTER (WHERE is_resolved), 0), 2) AS win_rate_pct,
        round(100 * coalesce(sum(pnl), 0) / nullif(${p.stake} * count(*), 0), 2) AS roi_pct
      FROM bt_fixed_size_trades`,
  },
  {
    name: 'bt_best_users',
    description: 'wallets worth copying: enough resolved trades, ranked by PnL, and by win rate among those with more history',
    select: (p) => `
      SELECT *, row_number() OVER (ORDER BY pnl DESC, wallet_address) AS profit_rank,
        CASE WHEN resolved >= ${p.minResolvedWinRate}
             THEN row_number() OVER (PARTITION BY resolved >= ${p.minResolvedWinRate} ORDER BY win_rate_pct DESC, pnl DESC, wallet_address) END AS win_rate_rank
      FROM bt_user_summary WHERE resolved >= ${p.minResolvedListed}
      QUALIFY profit_rank <= ${p.bestUsersLimit}`,
  },
];
