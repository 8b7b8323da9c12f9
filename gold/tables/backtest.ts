/**
 * The copy-trading backtest of spec section 6.3, corrected: it follows positions (positions.ts,
 * gold_position_walk: average cost, a SELL closes only shares held, the rest of a position
 * settles at 1 or 0 when its market has a real winner, sells of unheld shares are counted apart
 * and never valued), and every
 * figure is built on REALISATIONS: a SELL closing held shares (at its time) or a settlement (at
 * the market's resolution time, or the position's last trade when later). Per realisation: cost
 * basis (average cost × shares), proceeds, PnL = proceeds − cost basis. ROI = PnL / cost basis;
 * win rate = realisations with PnL > 0 / realisations; drawdown = the running peak of cumulative
 * PnL (from 0) minus cumulative PnL, realisations at the same instant netted first. Open
 * positions (unresolved markets) are reported at cost, never valued. Days and months are UTC.
 *
 * The copied wallets are the top N by profit on the configured board (default OVERALL / ALL /
 * PNL; every board when that one holds no rows), each board judged by its latest snapshot (Silver
 * keeps one whole snapshot per ingest pass): a wallet that has dropped out of the top N, or off
 * the board, is not copied on the strength of an older row (the original filtered on rank before
 * taking the latest row, so it was).
 */
import { type GoldTable, lit } from './types.ts';

/**
 * Per group of `part` (a list of columns, possibly empty), the worst drawdown of the cumulative
 * PnL of a realisations table, and its running peak, over instants (same-instant PnL netted).
 */
const drawdowns = (table: string, part: string[]) => {
  const by = part.length > 0 ? `PARTITION BY ${part.join(', ')}` : '';
  const cols = part.map((c) => `${c}, `).join('');
  return `(SELECT ${cols}realised_at, pnl, cum, greatest(0, max(cum) OVER (${by} ORDER BY realised_at)) AS peak,
      greatest(0, max(cum) OVER (${by} ORDER BY realised_at)) - cum AS drawdown
    FROM (SELECT *, sum(pnl) OVER (${by} ORDER BY realised_at) AS cum
          FROM (SELECT ${cols}realised_at, sum(pnl) AS pnl FROM ${table} GROUP BY ALL)))`;
};

/** Realisation columns shared by the copied and the fixed-stake variants. */
const realisationSummary = `count(*) AS realisations, count(*) FILTER (WHERE pnl > 0) AS wins, count(*) FILTER (WHERE pnl < 0) AS losses,
  coalesce(sum(cost_basis), 0) AS cost_basis, coalesce(sum(pnl), 0) AS pnl, avg(pnl) AS avg_pnl,
  round(100 * count(*) FILTER (WHERE pnl > 0) / nullif(count(*), 0), 2) AS win_rate_pct,
  round(100 * sum(pnl) / nullif(sum(cost_basis), 0), 2) AS roi_pct`;

/** Per-period rows (day or month) over the copied trades and the realisations. */
const periodTable = (period: 'day' | 'month', trades: string, realisations: string) => `
  WITH t AS (SELECT ${period === 'day' ? 'trade_date' : 'trade_month'} AS period, count(*) AS trades, sum(trade_value) AS volume FROM ${trades} GROUP BY 1),
  r AS (SELECT ${period} AS period, count(*) AS realisations, count(*) FILTER (WHERE pnl > 0) AS wins, sum(pnl) AS pnl, sum(cost_basis) AS cost_basis
        FROM ${realisations} GROUP BY 1),
  d AS (SELECT ${period === 'day' ? 'realised_at::DATE' : "date_trunc('month', realised_at)::DATE"} AS period, max(drawdown) AS max_drawdown, max(peak) AS peak
        FROM ${drawdowns(realisations, [])} GROUP BY 1),
  p AS (
    SELECT period, coalesce(t.trades, 0) AS trades, coalesce(t.volume, 0) AS volume, coalesce(r.realisations, 0) AS realisations,
      coalesce(r.wins, 0) AS wins, coalesce(r.pnl, 0) AS pnl, coalesce(r.cost_basis, 0) AS cost_basis, coalesce(d.max_drawdown, 0) AS max_drawdown, d.peak
    FROM t FULL JOIN r USING (period) FULL JOIN d USING (period))
  SELECT period AS ${period}, trades, volume, realisations, wins, pnl, sum(pnl) OVER w AS cumulative_pnl, cost_basis,
    wins / nullif(realisations, 0) AS win_rate, pnl / nullif(cost_basis, 0) AS roi,
    greatest(0, max(peak) OVER w) - sum(pnl) OVER w AS drawdown, max_drawdown
  FROM p WINDOW w AS (ORDER BY period)`;

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
    name: 'bt_trade_walk',
    description: 'one row per copied trade: the position walk (held before, average cost, shares closed and unheld, realised PnL) and the fixed-stake copier beside it',
    select: () => `SELECT u.copy_rank, w.* EXCLUDE (trader_sk) FROM gold_position_walk w JOIN bt_top_users u USING (trader_sk)`,
  },
  {
    name: 'bt_trades',
    description: 'every trade of a copied wallet: what it did to the position (buy, close, partial-close, close+unheld, unheld), cost basis and realised PnL of what it closed',
    select: () => `
      SELECT u.copy_rank, u.wallet_address, o.trade_sk, o.trade_id, o.market_sk, o.token_sk, o.category, o.side, o.price, o.size,
        o.notional AS trade_value, o.trade_timestamp, o.trade_date, date_trunc('month', o.trade_timestamp)::DATE AS trade_month,
        o.is_resolved AND o.final_price IS NOT NULL AS is_resolved, o.final_price, w.action, w.held_before, w.avg_cost_before,
        w.closed_shares, w.unheld_shares, w.cost_basis, w.proceeds, w.realised_pnl, w.held_after, w.seq
      FROM bt_trade_walk w JOIN gold_trade_outcome o USING (trade_sk) JOIN bt_top_users u USING (copy_rank)`,
  },
  {
    name: 'bt_positions',
    description: 'one row per copied wallet and token: bought, closed, unheld sells, held at the end, realised and settlement PnL, status (closed, settled, open); the fixed-stake copier beside it',
    select: () => `
      WITH w AS (
        SELECT w.*, o.market_sk, o.token_sk, o.category, o.side, o.size, o.price, o.trade_timestamp, o.final_price, r.resolved_at
        FROM bt_trade_walk w JOIN gold_trade_outcome o USING (trade_sk) JOIN gold_market_resolution r USING (market_sk)
        WHERE o.token_sk IS NOT NULL),
      p AS (
        SELECT copy_rank, token_sk, any_value(market_sk) AS market_sk, any_value(category) AS category, any_value(final_price) AS final_price,
          any_value(resolved_at) AS resolved_at, count(*) AS trades, min(trade_timestamp) AS first_trade_at, max(trade_timestamp) AS last_trade_at,
          coalesce(sum(size) FILTER (WHERE side = 'BUY'), 0) AS bought_shares, coalesce(sum(size * price) FILTER (WHERE side = 'BUY'), 0) AS buy_cost,
          sum(closed_shares) AS closed_shares, sum(realised_pnl) AS sell_pnl, sum(unheld_shares) AS unheld_shares,
          sum(unheld_shares * price) AS unheld_proceeds, count(*) FILTER (WHERE unheld_shares > 0) AS unheld_sells,
          arg_max(held_after, seq) AS held_shares, arg_max(cost_after, seq) AS held_cost,
          sum(copier_stake) AS copier_staked, sum(copier_pnl) AS copier_sell_pnl,
          arg_max(copier_held_after, seq) AS copier_held_shares, arg_max(copier_cost_after, seq) AS copier_held_cost
        FROM w GROUP BY copy_rank, token_sk)
      SELECT u.wallet_address, p.*, p.final_price IS NOT NULL AS is_resolved,
        CASE WHEN p.bought_shares = 0 THEN 'unheld-only' WHEN p.held_shares <= 1e-9 THEN 'closed' WHEN p.final_price IS NOT NULL THEN 'settled' ELSE 'open' END AS status,
        CASE WHEN p.final_price IS NOT NULL THEN greatest(coalesce(p.resolved_at, p.last_trade_at), p.last_trade_at) END AS settled_at,
        CASE WHEN p.final_price IS NOT NULL AND p.held_shares > 1e-9 THEN p.held_shares * p.final_price - p.held_cost ELSE 0 END AS settlement_pnl,
        p.sell_pnl + CASE WHEN p.final_price IS NOT NULL AND p.held_shares > 1e-9 THEN p.held_shares * p.final_price - p.held_cost ELSE 0 END AS pnl,
        CASE WHEN p.final_price IS NOT NULL AND p.copier_held_shares > 1e-9 THEN p.copier_held_shares * p.final_price - p.copier_held_cost ELSE 0 END AS copier_settlement_pnl
      FROM p JOIN bt_top_users u USING (copy_rank)`,
  },
  {
    name: 'bt_realisations',
    description: 'one row per realisation of a copied wallet: a sell closing held shares, or a settlement at resolution; cost basis, proceeds, PnL, UTC day and month',
    select: () => `
      SELECT *, realised_at::DATE AS day, date_trunc('month', realised_at)::DATE AS month FROM (
        SELECT copy_rank, wallet_address, market_sk, token_sk, category, 'sell' AS kind, trade_timestamp AS realised_at,
          closed_shares AS shares, cost_basis, proceeds, realised_pnl AS pnl
        FROM bt_trades WHERE closed_shares > 0
        UNION ALL
        SELECT copy_rank, wallet_address, market_sk, token_sk, category, 'settlement', settled_at, held_shares, held_cost,
          held_shares * final_price, settlement_pnl
        FROM bt_positions WHERE status = 'settled')`,
  },
  {
    name: 'bt_user_summary',
    description: 'one row per copied wallet: trades, realisations, wins, losses, cost basis, PnL, win rate, ROI, worst drawdown, unheld sells, open positions at cost',
    select: () => `
      WITH t AS (SELECT copy_rank, wallet_address, count(*) AS trades, sum(trade_value) AS volume FROM bt_trades GROUP BY ALL),
      r AS (SELECT copy_rank, ${realisationSummary} FROM bt_realisations GROUP BY copy_rank),
      d AS (SELECT copy_rank, max(drawdown) AS max_drawdown FROM ${drawdowns('bt_realisations', ['copy_rank'])} GROUP BY copy_rank),
      p AS (SELECT copy_rank, sum(unheld_sells) AS unheld_sells, sum(unheld_shares) AS unheld_shares, sum(unheld_proceeds) AS unheld_proceeds,
              count(*) FILTER (WHERE status = 'open') AS open_positions, coalesce(sum(held_cost) FILTER (WHERE status = 'open'), 0) AS open_cost
            FROM bt_positions GROUP BY copy_rank)
      SELECT t.copy_rank, t.wallet_address, t.trades, t.volume, coalesce(r.realisations, 0) AS realisations, coalesce(r.wins, 0) AS wins,
        coalesce(r.losses, 0) AS losses, coalesce(r.cost_basis, 0) AS cost_basis, coalesce(r.pnl, 0) AS pnl, r.avg_pnl, r.win_rate_pct, r.roi_pct,
        coalesce(d.max_drawdown, 0) AS max_drawdown, coalesce(p.unheld_sells, 0) AS unheld_sells, coalesce(p.unheld_shares, 0) AS unheld_shares,
        coalesce(p.unheld_proceeds, 0) AS unheld_proceeds, coalesce(p.open_positions, 0) AS open_positions, coalesce(p.open_cost, 0) AS open_cost
      FROM t LEFT JOIN r USING (copy_rank) LEFT JOIN d USING (copy_rank) LEFT JOIN p USING (copy_rank)`,
  },
  {
    name: 'bt_overall',
    description: 'the whole strategy: wallets, trades, realisations, wins, cost basis realised, PnL, its spread, PnL-to-risk, win rate, ROI, worst drawdown, unheld sells, open cost',
    select: () => `
      SELECT (SELECT count(DISTINCT wallet_address) FROM bt_trades) AS users, (SELECT count(*) FROM bt_trades) AS trades,
        count(*) AS realisations, count(*) FILTER (WHERE pnl > 0) AS wins, count(*) FILTER (WHERE pnl < 0) AS losses,
        coalesce(sum(cost_basis), 0) AS capital_deployed, coalesce(sum(pnl), 0) AS total_pnl,
        avg(pnl) AS avg_pnl, stddev_samp(pnl) AS pnl_stddev, avg(pnl) / nullif(stddev_samp(pnl), 0) AS pnl_to_risk,
        round(100 * count(*) FILTER (WHERE pnl > 0) / nullif(count(*), 0), 2) AS win_rate_pct,
        round(100 * sum(pnl) / nullif(sum(cost_basis), 0), 2) AS roi_pct,
        coalesce((SELECT max(drawdown) FROM ${drawdowns('bt_realisations', [])}), 0) AS max_drawdown,
        (SELECT count(*) FROM bt_trades WHERE unheld_shares > 0) AS unheld_sells,
        (SELECT coalesce(sum(unheld_shares * price), 0) FROM bt_trades) AS unheld_proceeds,
        (SELECT coalesce(sum(held_cost), 0) FROM bt_positions WHERE status = 'open') AS open_cost
      FROM bt_realisations`,
  },
  {
    name: 'bt_category',
    description: 'one row per market category: trades and their volume, realisations, wins, win rate, PnL, cost basis, ROI, worst drawdown',
    select: () => `
      WITH t AS (SELECT category, count(*) AS trades, sum(trade_value) AS volume FROM bt_trades GROUP BY category),
      r AS (SELECT category, ${realisationSummary} FROM bt_realisations GROUP BY category),
      d AS (SELECT category, max(drawdown) AS max_drawdown FROM ${drawdowns('bt_realisations', ['category'])} GROUP BY category)
      SELECT category, coalesce(t.trades, 0) AS trades, coalesce(t.volume, 0) AS volume, coalesce(r.realisations, 0) AS realisations,
        coalesce(r.wins, 0) AS wins, r.win_rate_pct, coalesce(r.pnl, 0) AS pnl, r.avg_pnl, coalesce(r.cost_basis, 0) AS cost_basis, r.roi_pct,
        coalesce(d.max_drawdown, 0) AS max_drawdown
      FROM t FULL JOIN r USING (category) LEFT JOIN d USING (category)`,
  },
  {
    name: 'bt_daily',
    description:
      'one row per UTC day with copied trades or realisations: trades, volume, realisations, wins, PnL, cumulative PnL, cost basis, win rate, ROI, drawdown at the end of the day and worst within it',
    select: () => periodTable('day', 'bt_trades', 'bt_realisations'),
  },
  {
    name: 'bt_monthly',
    description:
      'one row per UTC month with copied trades or realisations: trades, volume, realisations, wins, PnL, cumulative PnL, cost basis, win rate, ROI, drawdown at month end and worst within it',
    select: () => periodTable('month', 'bt_trades', 'bt_realisations'),
  },
  {
    name: 'bt_fixed_size_trades',
    description:
      "every copied trade as the fixed-stake copier saw it: a buy of the stake (at most the wallet's fill), a sell of the same fraction of its position as the wallet sold of its held shares, or skipped",
    select: () => `
      SELECT t.copy_rank, t.wallet_address, t.trade_sk, t.market_sk, t.token_sk, t.category, t.trade_timestamp, t.trade_date, t.trade_month,
        t.side, t.price, t.is_resolved, t.final_price, w.copier_action AS action, w.copier_shares AS shares, w.copier_stake AS stake,
        w.copier_cost_basis AS cost_basis, w.copier_proceeds AS proceeds, w.copier_pnl AS pnl, w.copier_held_after AS held_after
      FROM bt_trades t JOIN bt_trade_walk w USING (trade_sk)`,
  },
  {
    name: 'bt_fixed_size_realisations',
    description: 'one row per realisation of the fixed-stake copier: a copied sell, or a settlement at resolution; cost basis, proceeds, PnL, UTC day and month',
    select: () => `
      SELECT *, realised_at::DATE AS day, date_trunc('month', realised_at)::DATE AS month FROM (
        SELECT copy_rank, wallet_address, market_sk, token_sk, category, 'sell' AS kind, trade_timestamp AS realised_at,
          shares, cost_basis, proceeds, pnl
        FROM bt_fixed_size_trades WHERE action = 'sell'
        UNION ALL
        SELECT copy_rank, wallet_address, market_sk, token_sk, category, 'settlement', settled_at, copier_held_shares, copier_held_cost,
          copier_held_shares * final_price, copier_settlement_pnl
        FROM bt_positions WHERE final_price IS NOT NULL AND copier_held_shares > 1e-9)`,
  },
  {
    name: 'bt_fixed_size_summary',
    description: 'the fixed-stake variant overall: wallets, trades, buys copied, sells copied and skipped, capital staked, realisations, PnL, win rate, ROI, worst drawdown, open cost',
    select: () => `
      SELECT (SELECT count(DISTINCT wallet_address) FROM bt_fixed_size_trades) AS users, (SELECT count(*) FROM bt_fixed_size_trades) AS trades,
        (SELECT count(*) FILTER (WHERE action = 'buy') FROM bt_fixed_size_trades) AS copied_buys,
        (SELECT count(*) FILTER (WHERE action = 'sell') FROM bt_fixed_size_trades) AS copied_sells,
        (SELECT count(*) FILTER (WHERE side = 'SELL' AND action <> 'sell') FROM bt_fixed_size_trades) AS skipped_sells,
        (SELECT coalesce(sum(stake), 0) FROM bt_fixed_size_trades) AS capital_needed,
        ${realisationSummary.replace('coalesce(sum(pnl), 0) AS pnl', 'coalesce(sum(pnl), 0) AS total_pnl')},
        coalesce((SELECT max(drawdown) FROM ${drawdowns('bt_fixed_size_realisations', [])}), 0) AS max_drawdown,
        (SELECT coalesce(sum(copier_held_cost), 0) FROM bt_positions WHERE final_price IS NULL) AS open_cost
      FROM bt_fixed_size_realisations`,
  },
  {
    name: 'bt_best_users',
    description: 'wallets worth copying: enough realisations, ranked by PnL, and by win rate among those with more history',
    select: (p) => `
      SELECT *, row_number() OVER (ORDER BY pnl DESC, wallet_address) AS profit_rank,
        CASE WHEN realisations >= ${p.minResolvedWinRate}
             THEN row_number() OVER (PARTITION BY realisations >= ${p.minResolvedWinRate} ORDER BY win_rate_pct DESC, pnl DESC, wallet_address) END AS win_rate_rank
      FROM bt_user_summary WHERE realisations >= ${p.minResolvedListed}
      QUALIFY profit_rank <= ${p.bestUsersLimit}`,
  },
];
