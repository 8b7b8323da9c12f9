import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { buildGold, type GoldBuildResult, type GoldParameters } from '../../gold/index.ts';
import { writeHandSilver } from './hand-silver.ts';

type Row = Record<string, unknown>;

describe('gold on a hand-computed Silver', function () {
  this.timeout(60_000);
  let dir: string;
  let built: GoldBuildResult;
  let instance: DuckDBInstance;

  const build = async (name: string, parameters: Partial<GoldParameters>) =>
    buildGold({ silverPath: join(dir, 'silver.duckdb'), goldPath: join(dir, name), parameters });

  async function rows(sql: string): Promise<Row[]> {
    const conn = await instance.connect();
    try {
      return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Row[];
    } finally {
      conn.closeSync();
    }
  }
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
    ]);
  });

  it('market summary: M1 has trades 1,2,3,7,8 (volume 40+15+7+4+1), outcome-0 prices 0.40, 0.80, 0.50', async () => {
    const m1 = await one(`SELECT * FROM gold_market_summary WHERE condition_id = '0xm1'`);
    expect(m1).to.include({ category: 'Sports', is_resolved: true, winning_outcome: 'Yes', trade_count: 5n, distinct_traders: 3n });
    close(m1.volume, 67);
    close(m1.min_price, 0.4);
    close(m1.max_price, 0.8);
    close(m1.price_range, 0.4);
    close(m1.first_price, 0.4);
    close(m1.last_price, 0.5);
    close(m1.price_return, 0.25); // (0.50 - 0.40) / 0.40
    expect((m1.first_trade_at as Date).toISOString()).to.equal('2024-01-10T10:00:00.000Z');
    expect((m1.last_trade_at as Date).toISOString()).to.equal('2024-03-10T10:00:00.000Z');
    const others = await rows(`SELECT condition_id, category, is_resolved, winning_outcome, trade_count, volume FROM gold_market_summary WHERE condition_id <> '0xm1' ORDER BY 1`);
    expect(others).to.deep.equal([
      { condition_id: '0xm2', category: 'Politics', is_resolved: false, winning_outcome: null, trade_count: 1n, volume: 10 },
      { condition_id: '0xm3', category: 'Crypto', is_resolved: true, winning_outcome: 'No', trade_count: 1n, volume: 10 },
      { condition_id: '0xm4', category: 'Unknown', is_resolved: false, winning_outcome: null, trade_count: 1n, volume: 2 },
    ]);
  });

  it('event summary: E1 holds M1 (resolved) and M2, 6 trades, volume 67 + 10', async () => {
    const e = await one(`SELECT * FROM gold_event_summary`);
    expect(e).to.include({ event_id: 'E1', markets: 2n, resolved_markets: 1n, trade_count: 6n, distinct_traders: 3n });
    close(e.volume, 77);
  });

  it('trader profiles: PnL of a winner bought at p is size*(1-p), of a loser sold at p is size*p; unresolved trades count in neither PnL nor win rate', async () => {
    const t = await rows(`SELECT wallet_address, trade_count, volume, markets, buy_count, sell_count, buy_ratio, resolved_trades, realised_pnl, wins, losses, win_rate, roi FROM gold_trader_profile ORDER BY wallet_address`);
    // W1: #1 BUY Yes@0.40 x100 won (+60), #2 SELL No@0.30 x50 lost (+15), #5 on open M2.
    expect(t[0]).to.include({ wallet_address: '0xw1', trade_count: 3n, markets: 2n, buy_count: 2n, sell_count: 1n, resolved_trades: 2n, wins: 2n, losses: 0n });
    close(t[0]!.volume, 65);
    close(t[0]!.buy_ratio, 2 / 3);
    close(t[0]!.realised_pnl, 75);
    close(t[0]!.win_rate, 1);
    close(t[0]!.roi, 75 / 55);
    // W2: #3 BUY No@0.70 x10 lost (-7), #4 BUY No@0.25 x40 on M3 won (+30), #7 SELL Yes@0.80 x5 won (-1).
    expect(t[1]).to.include({ wallet_address: '0xw2', trade_count: 3n, resolved_trades: 3n, wins: 1n, losses: 2n });
    close(t[1]!.realised_pnl, 22);
    close(t[1]!.win_rate, 1 / 3);
    // W3: #6 on M4 (0/0 prices: not resolved), #8 BUY Yes@0.50 x2 without a token id, matched by outcome name: won (+1).
    expect(t[2]).to.include({ wallet_address: '0xw3', trade_count: 2n, resolved_trades: 1n, wins: 1n, losses: 0n });
    close(t[2]!.realised_pnl, 1);
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
    const inflections = await rows(`SELECT strftime(hour, '%H') AS h, kind FROM gold_price_inflections ORDER BY hour`);
    expect(inflections).to.deep.equal([
      { h: '01', kind: 'peak' },
      { h: '02', kind: 'trough' },
      { h: '03', kind: 'peak' },
    ]);
    const moves = await rows(`SELECT strftime(hour, '%H') AS h, round(change_pct, 2) AS pct, rank FROM gold_price_major_moves ORDER BY rank`);
    expect(moves).to.deep.equal([
      { h: '04', pct: -53.85, rank: 1n },
      { h: '01', pct: 27.27, rank: 2n },
      { h: '02', pct: -14.29, rank: 3n },
      { h: '03', pct: 8.33, rank: 4n },
    ]);
    const none = await one(`SELECT samples, last_price FROM gold_price_features WHERE token_id = 't1b'`);
    expect(none).to.deep.equal({ samples: 0n, last_price: 0 });
  });

  it('backtest: copies W1 and W2 (latest OVERALL/ALL/PNL profits 1000 and 500; older and other boards ignored)', async () => {
    expect(await rows(`SELECT copy_rank, wallet_address FROM bt_top_users ORDER BY copy_rank`)).to.deep.equal([
      { copy_rank: 1n, wallet_address: '0xw1' },
      { copy_rank: 2n, wallet_address: '0xw2' },
    ]);
    const users = await rows(`SELECT * FROM bt_user_summary ORDER BY copy_rank`);
    expect(users[0]).to.include({ trades: 3n, resolved: 2n, wins: 2n, losses: 0n });
    close(users[0]!.pnl, 75);
    close(users[0]!.resolved_volume, 55);
    close(users[0]!.win_rate_pct, 100);
    close(users[0]!.roi_pct, 136.36);
    expect(users[1]).to.include({ trades: 3n, resolved: 3n, wins: 1n, losses: 2n });
    close(users[1]!.pnl, 22);
    close(users[1]!.avg_pnl, 22 / 3);
    close(users[1]!.win_rate_pct, 33.33);
    close(users[1]!.roi_pct, 104.76);
  });

  it('backtest overall: PnL 60, 15, -7, 30, -1 on 76 of resolved capital', async () => {
    const o = await one(`SELECT * FROM bt_overall`);
    expect(o).to.include({ users: 2n, trades: 6n, resolved: 5n, wins: 3n, losses: 2n });
    close(o.capital_deployed, 76);
    close(o.total_pnl, 97);
    close(o.avg_pnl, 19.4);
    close(o.pnl_stddev, Math.sqrt(2893.2 / 4));
    close(o.pnl_to_risk, 19.4 / Math.sqrt(2893.2 / 4));
    close(o.win_rate_pct, 60);
    close(o.roi_pct, 127.63);
  });

  it('backtest by category and by UTC month, with the running total', async () => {
    const c = await rows(`SELECT category, trades, resolved, wins, pnl, volume FROM bt_category ORDER BY category`);
    expect(c).to.deep.equal([
      { category: 'Crypto', trades: 1n, resolved: 1n, wins: 1n, pnl: 30, volume: 10 },
      { category: 'Politics', trades: 1n, resolved: 0n, wins: 0n, pnl: 0, volume: 10 },
      { category: 'Sports', trades: 4n, resolved: 4n, wins: 2n, pnl: 67, volume: 66 },
    ]);
    const m = await rows(`SELECT strftime(month, '%Y-%m') AS month, trades, resolved, wins, pnl, cumulative_pnl, resolved_volume, volume, win_rate, roi FROM bt_monthly ORDER BY month`);
    expect(m.map((r) => [r.month, r.trades, r.resolved, r.wins])).to.deep.equal([
      ['2024-01', 2n, 2n, 2n],
      ['2024-02', 3n, 2n, 1n],
      ['2024-03', 1n, 1n, 0n],
    ]);
const columns: Array<[string, number[]]> = [
      ['pnl', [75, 23, -1]],
      ['cumulative_pnl', [75, 98, 97]],
      ['resolved_volume', [55, 17, 4]],
      ['volume', [55, 27, 4]],
      ['win_rate', [1, 0.5, 0]],
      ['roi', [75 / 55, 23 / 17, -0.25]],
    ];
    for (const [name, values] of columns) for (const [i, v] of values.entries()) close(m[i]![name], v);
    const days = await rows(`SELECT count(*) AS n, sum(trades) AS trades FROM bt_daily`);
    expect(days).to.deep.equal([{ n: 6n, trades: 6n }]);
  });

  it('fixed-size variant: $100 per trade gives +150, +100, -100, +300, -25 on 600 of capital', async () => {
    const s = await one(`SELECT * FROM bt_fixed_size_summary`);
    expect(s).to.include({ users: 2n, trades: 6n, resolved: 5n });
    close(s.capital_needed, 600);
    close(s.total_pnl, 425);
    close(s.win_rate_pct, 60);
    close(s.roi_pct, 70.83);
  });

  it('best users to copy: listed from N resolved trades, win-rate rank only with more history', async () => {
    expect(await rows('SELECT * FROM bt_best_users')).to.deep.equal([]);
    const other = await build('gold-low.duckdb', { topUsers: 2, minResolvedListed: 2, minResolvedWinRate: 3 });
    expect(other.tables.find((t) => t.name === 'bt_best_users')!.rows).to.equal(2);
    const low = await DuckDBInstance.create(join(dir, 'gold-low.duckdb'), { access_mode: 'READ_ONLY' });
    const conn = await low.connect();
    try {
      const best = (await conn.runAndReadAll('SELECT wallet_address, profit_rank, win_rate_rank FROM bt_best_users ORDER BY profit_rank')).getRowObjectsJS();
      expect(best).to.deep.equal([
        { wallet_address: '0xw1', profit_rank: 1n, win_rate_rank: null },
        { wallet_address: '0xw2', profit_rank: 2n, win_rate_rank: 1n },
      ]);
    } finally {
      conn.closeSync();
      low.closeSync();
    }
  });
});
