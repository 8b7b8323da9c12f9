import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { buildGold, type GoldBuildResult, type GoldParameters } from '../../gold/index.ts';
import { queryRows } from '../duckdb-rows.ts';
import { writeHandSilver } from './hand-silver.ts';

describe('gold on a hand-computed Silver', function () {
  this.timeout(60_000);
  let dir: string;
  let built: GoldBuildResult;
  let instance: DuckDBInstance;

  const build = async (name: string, parameters: Partial<GoldParameters>) => buildGold({ silverPath: join(dir, 'silver.duckdb'), goldPath: join(dir, name), parameters });

  const rows = (sql: string) => queryRows(instance, sql);
  const one = async (sql: string) => (await rows(sql))[0]!;
  const close = (actual: unknown, expected: number) => expect(Number(actual)).to.be.closeTo(expected, 1e-9);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-gold-'));
    await writeHandSilver(join(dir, 'silver.duckdb'));
    built = await build('gold.duckdb', { topUsers: 2 });
    instance = await DuckDBInstance.create(join(dir, 'gold.duckdb'), { access_mode: 'READ_ONLY' });
  });
  after(() => {
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records what it was built from and every table with its row count', async () => {
    expect(built.source).to.deep.equal({ kind: 'file', path: join(dir, 'silver.duckdb') });
    const listed = await rows('SELECT name, rows FROM gold_tables ORDER BY name');
    expect(listed.map((r) => r.name)).to.deep.equal(built.tables.map((t) => t.name).sort());
  });

  it('resolution needs a real winner: a CLOB flag, or UMA-resolved prices naming one outcome; 0/0 prices are not one', async () => {
    const r = await rows(`SELECT condition_id, is_closed, winner_token_sk IS NOT NULL AS resolved, resolution_source FROM gold_market_resolution ORDER BY condition_id`);
    expect(r).to.deep.equal([
      { condition_id: '0xm1', is_closed: true, resolved: true, resolution_source: 'clob-winner-flag' },
      { condition_id: '0xm2', is_closed: false, resolved: false, resolution_source: null },
      { condition_id: '0xm3', is_closed: true, resolved: true, resolution_source: 'uma-resolved-prices' },
      { condition_id: '0xm4', is_closed: true, resolved: false, resolution_source: null },
      { condition_id: '0xm5', is_closed: true, resolved: true, resolution_source: 'clob-winner-flag' },
    ]);
  });

  it('each match counts once in market volume: the maker row of #1 is left out, the unlabelled pair #9/#9m is one match', async () => {
    const m = await rows(`SELECT condition_id, trade_count, volume FROM gold_market_summary ORDER BY 1`);
    // M1: taker rows 1, 2, 3, 7, 8, 10 = 40 + 15 + 7 + 4 + 1 + 0.5; M4: #6 (2) and half of #9 + #9m (3 + 3).
    expect(m.map((r) => [r.condition_id, Number(r.trade_count)])).to.deep.equal([
      ['0xm1', 6],
      ['0xm2', 1],
      ['0xm3', 1],
      ['0xm4', 2],
      ['0xm5', 5],
    ]);
    close(m[0]!.volume, 67.5);
    close(m[3]!.volume, 5);
  });

  it('backtest: a sell of shares the wallet does not hold is reported apart, never valued as a naked short', async () => {
    const w2 = await one(`SELECT * FROM bt_user_summary WHERE wallet_address = '0xw2'`);
    close(w2.pnl, 23); // #3 held to a loss (-7), #4 held to a win (+30); #7 and #10 sold Yes W2 never held
    const worst = await one(`SELECT min(pnl) AS worst FROM bt_fixed_size_trades`);
    expect(Number(worst.worst)).to.be.at.least(-100); // was -1900: #10 "sold" 2,000 shares of the winner at 0.05
  });

  it('market summary: M1 counts matches 1, 2, 3, 7, 8, 10 (not the maker row 1m), outcome-0 prices 0.40, 0.80, 0.05, 0.50; traders include the maker', async () => {
    const m1 = await one(`SELECT * FROM gold_market_summary WHERE condition_id = '0xm1'`);
    expect(m1).to.include({ category: 'Sports', is_resolved: true, winning_outcome: 'Yes', trade_count: 6n, distinct_traders: 4n });
    close(m1.volume, 67.5);
    close(m1.shares, 177); // 100 + 50 + 10 + 5 + 2 + 10
    close(m1.min_price, 0.05);
    close(m1.max_price, 0.8);
    close(m1.price_range, 0.75);
    close(m1.first_price, 0.4);
    close(m1.last_price, 0.5);
    close(m1.price_return, 0.25); // (0.50 - 0.40) / 0.40
    expect((m1.first_trade_at as Date).toISOString()).to.equal('2024-01-10T10:00:00.000Z');
    expect((m1.last_trade_at as Date).toISOString()).to.equal('2024-03-10T10:00:00.000Z');
    const others = await rows(`SELECT condition_id, category, is_resolved, winning_outcome, trade_count, volume FROM gold_market_summary WHERE condition_id <> '0xm1' ORDER BY 1`);
    expect(others).to.deep.equal([
      { condition_id: '0xm2', category: 'Politics', is_resolved: false, winning_outcome: null, trade_count: 1n, volume: 10 },
      { condition_id: '0xm3', category: 'Crypto', is_resolved: true, winning_outcome: 'No', trade_count: 1n, volume: 10 },
      { condition_id: '0xm4', category: 'Unknown', is_resolved: false, winning_outcome: null, trade_count: 2n, volume: 5 },
      { condition_id: '0xm5', category: 'Sports', is_resolved: true, winning_outcome: 'A', trade_count: 5n, volume: 161 },
    ]);
    const m4 = await one(`SELECT min_price, max_price, distinct_traders FROM gold_market_summary WHERE condition_id = '0xm4'`);
    expect(m4).to.deep.equal({ min_price: 0.2, max_price: 0.3, distinct_traders: 3n });
  });

  it('event summary: E1 holds M1 (resolved) and M2, 7 matches, volume 67.5 + 10', async () => {
    const e = await one(`SELECT * FROM gold_event_summary`);
    expect(e).to.include({ event_id: 'E1', markets: 2n, resolved_markets: 1n, trade_count: 7n, distinct_traders: 4n });
    close(e.volume, 77.5);
  });

  it('trader profiles: activity from every row of the wallet (maker rows too); PnL, win rate and ROI from its positions, as in the backtest', async () => {
    const t =
      await rows(`SELECT wallet_address, trade_count, volume, markets, buy_count, sell_count, buy_ratio, resolved_trades, realised_pnl, realisations, wins, losses, win_rate, cost_basis, roi, unheld_sells, open_cost
      FROM gold_trader_profile ORDER BY wallet_address`);
    // W1: the backtest's numbers (+60, +15, +30, -6 on 86 of cost); #2 and 50 of #14 unheld; M2 open at 10.
    expect(t[0]).to.include({ wallet_address: '0xw1', trade_count: 8n, markets: 3n, buy_count: 5n, sell_count: 3n, resolved_trades: 7n, realisations: 4n, wins: 3n, losses: 1n, unheld_sells: 2n });
    close(t[0]!.volume, 226); // 40 + 15 + 10 + 20 + 25 + 20 + 90 + 6
    close(t[0]!.buy_ratio, 5 / 8);
    close(t[0]!.realised_pnl, 99);
    close(t[0]!.cost_basis, 86);
    close(t[0]!.win_rate, 0.75);
    close(t[0]!.roi, 99 / 86);
    close(t[0]!.open_cost, 10);
    // W2: +30, -7; #7 and #10 unheld (the old per-trade valuation made #10 a -9.5 short).
    expect(t[1]).to.include({ wallet_address: '0xw2', trade_count: 4n, resolved_trades: 4n, realisations: 2n, wins: 1n, losses: 1n, unheld_sells: 2n });
    close(t[1]!.realised_pnl, 23);
    close(t[1]!.win_rate, 0.5);
    // W3: #6 on M4 (0/0 prices: not resolved, open at 2), #8 BUY Yes@0.50 x2 without a token id, matched by outcome name: settles +1.
    expect(t[2]).to.include({ wallet_address: '0xw3', trade_count: 2n, resolved_trades: 1n, realisations: 1n, wins: 1n, losses: 0n });
    close(t[2]!.realised_pnl, 1);
    close(t[2]!.open_cost, 2);
    // W4: the maker row #1m sold Yes it never held (unheld, no PnL); #9 open at 3. W5: one unheld sell.
    expect(t[3]).to.include({ wallet_address: '0xw4', trade_count: 2n, realisations: 0n, unheld_sells: 1n, realised_pnl: 0 });
    close(t[3]!.open_cost, 3);
    expect(t[4]).to.include({ wallet_address: '0xw5', trade_count: 1n, realisations: 0n, unheld_sells: 1n, realised_pnl: 0 });
  });

  it('each trade valued on its own as if held to resolution: a winner bought at p is worth size*(1-p), a loser sold at p size*p (a sell read as a short)', async () => {
    const v = await rows(`SELECT trade_id, pnl FROM gold_trade_pnl ORDER BY trade_id`);
    const expected: Record<string, number> = { '1': 60, '1m': -60, '2': 15, '3': -7, '4': 30, '7': -1, '8': 1, '10': -9.5, '11': 80, '12': -25, '13': 30, '14': -60, '15': -6 };
    expect(v.map((r) => r.trade_id)).to.have.members(Object.keys(expected));
    for (const r of v) close(r.pnl, expected[String(r.trade_id)]!);
  });

  it('price features: 6 samples of t1a; hourly series 0.55, 0.70, 0.60, 0.65, 0.30 gives two peaks and a trough', async () => {
    const f = await one(`SELECT * FROM gold_price_features WHERE token_id = 't1a'`);
    expect(f).to.include({ samples: 6n, inflections: 3n, peaks: 2n, troughs: 1n });
    close(f.min_price, 0.3);
    close(f.max_price, 0.7);
    close(f.price_range, 0.4);
    close(f.mean_price, 0.55);
    close(f.price_stddev, Math.sqrt(0.1 / 5));
    close(f.volatility, Math.sqrt(0.152 / 4)); // changes 0.05, 0.15, -0.10, 0.05, -0.35
    close(f.first_price, 0.5);
    close(f.last_price, 0.3);
    close(f.price_return, -0.4);
    close(f.max_magnitude, 0.5); // |0.30 - 0.60| / 0.60
    close(f.mean_magnitude, (0.05 / 0.55 + 0.05 / 0.7 + 0.5) / 3);
    const inflections = await rows(
      `SELECT strftime(hour, '%H') AS h, kind FROM gold_price_inflections WHERE token_sk = (SELECT token_sk FROM gold_price_features WHERE token_id = 't1a') ORDER BY hour`,
    );
    expect(inflections).to.deep.equal([
      { h: '01', kind: 'peak' },
      { h: '02', kind: 'trough' },
      { h: '03', kind: 'peak' },
    ]);
    const moves = await rows(
      `SELECT strftime(hour, '%H') AS h, round(change_pct, 2) AS pct, rank FROM gold_price_major_moves WHERE token_sk = (SELECT token_sk FROM gold_price_features WHERE token_id = 't1a') ORDER BY rank`,
    );
    expect(moves).to.deep.equal([
      { h: '04', pct: -53.85, rank: 1n },
      { h: '01', pct: 27.27, rank: 2n },
      { h: '02', pct: -14.29, rank: 3n },
      { h: '03', pct: 8.33, rank: 4n },
    ]);
    const none = await one(`SELECT samples, last_price FROM gold_price_features WHERE token_id = 't5c'`);
    expect(none).to.deep.equal({ samples: 0n, last_price: 0 });
  });

  it('calibration: the last price-history sample 1 and 7 days before resolution, not staler than the horizon again; reliability buckets and Brier per category', async () => {
    // M1 resolves 03-31 (t1b lost): 1 day before, 0.10 (03-29 12:00); 7 days before, 0.40 (03-20). t1a's only samples
    // (01-01) are stale. M3 resolves 03-01 (t3b won): 0.85 (02-28 12:00) and 0.60 (02-22 12:00). M5 has no history.
    const f = await rows(`SELECT token_id, horizon_days, probability, outcome_value FROM gold_calibration ORDER BY horizon_days, token_id`);
    expect(f).to.deep.equal([
      { token_id: 't1b', horizon_days: 1, probability: 0.1, outcome_value: 0 },
      { token_id: 't3b', horizon_days: 1, probability: 0.85, outcome_value: 1 },
      { token_id: 't1b', horizon_days: 7, probability: 0.4, outcome_value: 0 },
      { token_id: 't3b', horizon_days: 7, probability: 0.6, outcome_value: 1 },
    ]);
    const rel = await rows(`SELECT horizon_days, bucket_low, forecasts, mean_probability, observed_frequency FROM gold_calibration_reliability ORDER BY 1, 2`);
    expect(rel.map((r) => [r.horizon_days, Math.round(Number(r.bucket_low) * 10), r.forecasts, r.mean_probability, r.observed_frequency])).to.deep.equal([
      [1, 1, 1n, 0.1, 0],
      [1, 8, 1n, 0.85, 1],
      [7, 4, 1n, 0.4, 0],
      [7, 6, 1n, 0.6, 1], // 0.6 / 0.1 = 5.999... in floating point: still bucket 0.6
    ]);
    const brier = await rows(`SELECT horizon_days, category, forecasts, brier_score FROM gold_calibration_brier ORDER BY 1, 2`);
    const expected: Array<[number, string, number]> = [
      [1, 'All', (0.01 + 0.0225) / 2],
      [1, 'Crypto', 0.15 ** 2],
      [1, 'Sports', 0.1 ** 2],
      [7, 'All', 0.16],
      [7, 'Crypto', 0.4 ** 2],
      [7, 'Sports', 0.4 ** 2],
    ];
    expect(brier.map((b) => [b.horizon_days, b.category])).to.deep.equal(expected.map(([h, c]) => [h, c]));
    for (const [i, [, , v]] of expected.entries()) close(brier[i]!.brier_score, v);
  });

  it('top markets over time: daily matches, volume (each match once), cumulative volume and outcome-0 price of the markets with the most volume', async () => {
    const top = await rows(`SELECT DISTINCT volume_rank, condition_id FROM gold_top_market_daily ORDER BY 1`);
    expect(top.map((t) => t.condition_id)).to.deep.equal(['0xm5', '0xm1', '0xm2', '0xm3', '0xm4']);
    const m1 = await rows(`SELECT strftime(day, '%m-%d') AS day, matches, volume, cumulative_volume, price FROM gold_top_market_daily WHERE condition_id = '0xm1' ORDER BY day`);
    expect(m1).to.deep.equal([
      { day: '01-01', matches: 0n, volume: 0, cumulative_volume: 0, price: 0.3 }, // price history only
      { day: '01-10', matches: 1n, volume: 40, cumulative_volume: 40, price: 0.4 }, // #1; its maker row #1m not again
      { day: '01-15', matches: 1n, volume: 15, cumulative_volume: 55, price: null }, // #2 is outcome 1
      { day: '02-01', matches: 1n, volume: 7, cumulative_volume: 62, price: null },
      { day: '03-05', matches: 1n, volume: 4, cumulative_volume: 66, price: 0.8 },
      { day: '03-06', matches: 1n, volume: 0.5, cumulative_volume: 66.5, price: 0.05 },
      { day: '03-10', matches: 1n, volume: 1, cumulative_volume: 67.5, price: 0.5 },
    ]);
  });

  it('backtest: copies W1 and W2 (latest OVERALL/ALL/PNL profits 1000 and 500; older and other boards ignored)', async () => {
    expect(await rows(`SELECT copy_rank, wallet_address FROM bt_top_users ORDER BY copy_rank`)).to.deep.equal([
      { copy_rank: 1n, wallet_address: '0xw1' },
      { copy_rank: 2n, wallet_address: '0xw2' },
    ]);
  });

  it('backtest position walk: buy-sell-buy-sell at average cost, a partial close, a close with unheld shares, sells of unheld shares valued at nothing', async () => {
    const walk = await rows(`SELECT trade_id, action, held_before, avg_cost_before, closed_shares, unheld_shares, cost_basis, proceeds, realised_pnl, held_after
      FROM bt_trades WHERE trade_id IN ('11', '12', '13', '14', '2', '7', '10') ORDER BY copy_rank, seq`);
    const r = (
      trade_id: string,
      action: string,
      held_before: number,
      avg_cost_before: number | null,
      closed_shares: number,
      unheld_shares: number,
      cost_basis: number,
      proceeds: number,
      realised_pnl: number,
      held_after: number,
    ) => ({ trade_id, action, held_before, avg_cost_before, closed_shares, unheld_shares, cost_basis, proceeds, realised_pnl, held_after });
    const expected = [
      r('2', 'unheld', 0, null, 0, 50, 0, 0, 0, 0), // W1 sold No it never bought: counted apart, no PnL
      r('11', 'buy', 0, null, 0, 0, 0, 0, 0, 100), // 100 A at 0.20: cost 20
      r('12', 'partial-close', 100, 0.2, 50, 0, 10, 25, 15, 50), // 50 closed at 0.50 against 0.20 average
      r('13', 'buy', 50, 0.2, 0, 0, 0, 0, 0, 100), // +50 at 0.40: 100 held at cost 10 + 20 = 30
      r('14', 'close+unheld', 100, 0.3, 100, 50, 30, 60, 30, 0), // sells 150 holding 100: 100 at 0.60 vs 0.30, 50 unheld
      r('7', 'unheld', 0, null, 0, 5, 0, 0, 0, 0),
      r('10', 'unheld', 0, null, 0, 10, 0, 0, 0, 0),
    ];
    expect(walk.map((w) => w.trade_id)).to.deep.equal(expected.map((e) => e.trade_id));
    for (const [i, e] of expected.entries()) {
      for (const [k, v] of Object.entries(e)) {
        if (typeof v === 'number') close(walk[i]![k], v);
        else expect(walk[i]![k], `${e.trade_id}.${k}`).to.equal(v);
      }
    }
  });

  it('backtest positions: what is held at resolution settles at 1 or 0 (multi-outcome M5: B held to 0), open positions stay at cost', async () => {
    const q = await rows(`SELECT wallet_address, status, held_shares, held_cost, pnl FROM bt_positions ORDER BY wallet_address, first_trade_at`);
    // W1: t1a (100 at 0.40, Yes won: +60), t1b (unheld only), t2a (open, 10 at cost), t5a (closed: +15 +30), t5b (20 at 0.30, lost: -6).
    // W2: t1b (10 at 0.70, lost: -7), t3b (40 at 0.25, won: +30), t1a (unheld only).
    expect(q.map((x) => [x.wallet_address, x.status, Number(x.pnl)])).to.deep.equal([
      ['0xw1', 'settled', 60],
      ['0xw1', 'unheld-only', 0],
      ['0xw1', 'open', 0],
      ['0xw1', 'closed', 45],
      ['0xw1', 'settled', -6],
      ['0xw2', 'settled', -7],
      ['0xw2', 'settled', 30],
      ['0xw2', 'unheld-only', 0],
    ]);
    const open = q.find((x) => x.status === 'open')!;
    close(open.held_cost, 10);
  });

  it('backtest per wallet: realisations, wins, ROI on cost basis, drawdown, unheld sells apart', async () => {
    const users = await rows(`SELECT * FROM bt_user_summary ORDER BY copy_rank`);
    // W1 realisations +15 (03-21), +30 (03-23), +60 (03-31), -6 (04-10) on cost 10 + 30 + 40 + 6.
    expect(users[0]).to.include({ trades: 8n, realisations: 4n, wins: 3n, losses: 1n, unheld_sells: 2n, open_positions: 1n });
    close(users[0]!.pnl, 99);
    close(users[0]!.cost_basis, 86);
    close(users[0]!.win_rate_pct, 75);
    close(users[0]!.roi_pct, 115.12);
    close(users[0]!.max_drawdown, 6);
    close(users[0]!.unheld_shares, 100);
    close(users[0]!.unheld_proceeds, 45); // 50 x 0.30 + 50 x 0.60
    close(users[0]!.open_cost, 10);
    // W2: +30 (03-01), -7 (03-31) on cost 10 + 7; drawdown 30 -> 23.
    expect(users[1]).to.include({ trades: 4n, realisations: 2n, wins: 1n, losses: 1n, unheld_sells: 2n });
    close(users[1]!.pnl, 23);
    close(users[1]!.avg_pnl, 11.5);
    close(users[1]!.win_rate_pct, 50);
    close(users[1]!.roi_pct, 135.29);
    close(users[1]!.max_drawdown, 7);
  });

  it('backtest overall: realisations 60, 15, 30, -6, -7, 30 on 103 of cost basis; same-instant realisations netted before the drawdown', async () => {
    const o = await one(`SELECT * FROM bt_overall`);
    expect(o).to.include({ users: 2n, trades: 12n, realisations: 6n, wins: 4n, losses: 2n, unheld_sells: 4n });
    const pnl = [60, 15, 30, -6, -7, 30];
    const mean = 122 / 6;
    const sd = Math.sqrt(pnl.reduce((a, x) => a + (x - mean) ** 2, 0) / 5);
    close(o.capital_deployed, 103);
    close(o.total_pnl, 122);
    close(o.avg_pnl, mean);
    close(o.pnl_stddev, sd);
    close(o.pnl_to_risk, mean / sd);
    close(o.win_rate_pct, 66.67);
    close(o.roi_pct, 118.45);
    close(o.max_drawdown, 6); // cumulative 30, 45, 75, 128 (03-31: +60 - 7), 122
    close(o.unheld_proceeds, 49.5);
    close(o.open_cost, 10);
  });

  it('backtest by category and by UTC day and month, with the running total and drawdown', async () => {
    const c = await rows(`SELECT category, trades, realisations, wins, pnl, cost_basis, volume, max_drawdown FROM bt_category ORDER BY category`);
    expect(c).to.deep.equal([
      { category: 'Crypto', trades: 1n, realisations: 1n, wins: 1n, pnl: 30, cost_basis: 10, volume: 10, max_drawdown: 0 },
      { category: 'Politics', trades: 1n, realisations: 0n, wins: 0n, pnl: 0, cost_basis: 0, volume: 10, max_drawdown: 0 },
      { category: 'Sports', trades: 10n, realisations: 5n, wins: 3n, pnl: 92, cost_basis: 93, volume: 227.5, max_drawdown: 6 },
    ]);
    const m = await rows(
      `SELECT strftime(month, '%Y-%m') AS month, trades, realisations, wins, pnl, cumulative_pnl, cost_basis, volume, win_rate, roi, drawdown, max_drawdown FROM bt_monthly ORDER BY month`,
    );
    expect(m.map((r) => [r.month, r.trades, r.realisations, r.wins])).to.deep.equal([
      ['2024-01', 2n, 0n, 0n],
      ['2024-02', 3n, 0n, 0n],
      ['2024-03', 7n, 5n, 4n],
      ['2024-04', 0n, 1n, 0n],
    ]);
    const columns: Array<[string, Array<number | null>]> = [
      ['pnl', [0, 0, 128, -6]],
      ['cumulative_pnl', [0, 0, 128, 122]],
      ['cost_basis', [0, 0, 97, 6]],
      ['volume', [55, 27, 165.5, 0]],
      ['win_rate', [null, null, 0.8, 0]],
      ['roi', [null, null, 128 / 97, -1]],
      ['drawdown', [0, 0, 0, 6]],
      ['max_drawdown', [0, 0, 0, 6]],
    ];
    for (const [name, values] of columns) {
      for (const [i, v] of values.entries()) {
        if (v === null) expect(m[i]![name], `${name}[${i}]`).to.equal(null);
        else close(m[i]![name], v);
      }
    }
    // 12 days with copied trades, and 03-01, 03-31, 04-10 with settlements only.
    const days = await rows(`SELECT count(*) AS n, sum(trades) AS trades, sum(realisations) AS realisations, sum(pnl) AS pnl FROM bt_daily`);
    expect(days).to.deep.equal([{ n: 15n, trades: 12n, realisations: 6n, pnl: 122 }]);
  });

  it('fixed-size variant: $100 per copied buy but never more shares than the wallet got (every fill here is under $100, so the copier mirrors the wallet); unheld sells skipped', async () => {
    const s = await one(`SELECT * FROM bt_fixed_size_summary`);
    expect(s).to.include({ users: 2n, trades: 12n, copied_buys: 7n, copied_sells: 2n, skipped_sells: 3n, realisations: 6n, wins: 4n, losses: 2n });
    close(s.capital_needed, 113); // 40 + 10 + 20 + 20 + 6 + 7 + 10: each buy's own notional
    close(s.cost_basis, 103);
    close(s.total_pnl, 122);
    close(s.win_rate_pct, 66.67);
    close(s.roi_pct, 118.45);
    close(s.max_drawdown, 6);
    close(s.open_cost, 10);
    const sells = await rows(`SELECT shares, cost_basis, proceeds, pnl FROM bt_fixed_size_trades WHERE action = 'sell' ORDER BY trade_timestamp`);
    expect(sells.map((x) => [Number(x.shares), Number(x.cost_basis), Number(x.proceeds), Number(x.pnl)])).to.deep.equal([
      [50, 10, 25, 15],
      [100, 30, 60, 30],
    ]);
    const worst = await one(`SELECT min(pnl) AS worst FROM bt_fixed_size_trades`);
    expect(Number(worst.worst)).to.be.at.least(-100); // was -1900: #10 "sold" 2,000 shares of the winner at 0.05
  });

  it('fixed-size variant at $15: the stake binds where the fill is bigger, the fill where it is smaller; no position loses more than its stake', async () => {
    await build('gold-stake.duckdb', { topUsers: 2, stake: 15 });
    const conn = await instance.connect();
    try {
      await conn.run(`ATTACH '${join(dir, 'gold-stake.duckdb')}' AS staked (READ_ONLY)`);
      const s = (await conn.runAndReadAll('SELECT * FROM staked.bt_fixed_size_summary')).getRowObjectsJS()[0]!;
      // W1: #1 37.5 shares for 15 (+22.5); #5 20 (the fill) for 10, open; #11 75 for 15, #12 sells half: 37.5 at 0.50 (+11.25);
      // #13 37.5 for 15; #14 all 75 at 0.60 against 22.5 (+22.5); #15 20 (the fill) for 6 (-6). W2: #3 10 for 7 (-7), #4 40 for 10 (+30).
      close(s.capital_needed, 78);
      close(s.cost_basis, 68);
      close(s.total_pnl, 73.25);
      close(s.open_cost, 10);
      const losses = (
        await conn.runAndReadAll(`SELECT p.copier_staked, r.pnl FROM staked.bt_fixed_size_realisations r
        JOIN staked.bt_positions p USING (copy_rank, token_sk) WHERE r.pnl < 0`)
      ).getRowObjectsJS();
      expect(losses).to.have.length(2);
      for (const l of losses) expect(Number(l.pnl)).to.be.at.least(-Number(l.copier_staked));
      await conn.run('DETACH staked');
    } finally {
      conn.closeSync();
    }
  });

  it('the position walk gives the same rows read back 3 trades a page as in one page (its state crosses pages)', async () => {
    await build('gold-paged.duckdb', { topUsers: 2, walkPageRows: 3 });
    const conn = await instance.connect();
    try {
      await conn.run(`ATTACH '${join(dir, 'gold-paged.duckdb')}' AS paged (READ_ONLY)`);
      const diff = await conn.runAndReadAll(`SELECT count(*) FROM ((SELECT * FROM gold_position_walk EXCEPT ALL SELECT * FROM paged.gold_position_walk)
        UNION ALL (SELECT * FROM paged.gold_position_walk EXCEPT ALL SELECT * FROM gold_position_walk))`);
      expect(diff.getRows()[0]![0]).to.equal(0n);
      expect((await conn.runAndReadAll('SELECT count(*) FROM paged.gold_position_walk')).getRows()[0]![0]).to.equal(17n);
      await conn.run('DETACH paged');
    } finally {
      conn.closeSync();
    }
  });

  it('best users to copy: listed from N realisations, win-rate rank only with more history', async () => {
    expect(await rows('SELECT * FROM bt_best_users')).to.deep.equal([]);
    const other = await build('gold-low.duckdb', { topUsers: 2, minResolvedListed: 2, minResolvedWinRate: 3 });
    expect(other.tables.find((t) => t.name === 'bt_best_users')!.rows).to.equal(2);
    const low = await DuckDBInstance.create(join(dir, 'gold-low.duckdb'), { access_mode: 'READ_ONLY' });
    const conn = await low.connect();
    try {
      const best = (await conn.runAndReadAll('SELECT wallet_address, profit_rank, win_rate_rank FROM bt_best_users ORDER BY profit_rank')).getRowObjectsJS();
      expect(best).to.deep.equal([
        { wallet_address: '0xw1', profit_rank: 1n, win_rate_rank: 1n },
        { wallet_address: '0xw2', profit_rank: 2n, win_rate_rank: null },
      ]);
    } finally {
      conn.closeSync();
      low.closeSync();
    }
  });
});
