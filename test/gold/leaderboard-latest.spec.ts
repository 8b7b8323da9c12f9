/**
 * Silver keeps every snapshot of a board (one per ingest pass); the backtest copies the wallets of
 * each board's latest snapshot only, so a wallet that has left the board since an older snapshot
 * is not copied on the strength of that older row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { buildGold, type GoldParameters } from '../../gold/index.ts';
import { openSilverDatabase } from '../../sinks/silver/writer.ts';

// Two passes over two boards. OVERALL/ALL/PNL: W4 was third in March and is off the board in April.
// POLITICS/DAY/PNL: W5 led it in March only.
const SNAPSHOTS = `
INSERT INTO LeaderboardSnapshot SELECT ts, ts::DATE, cat, 'ALL', 'PNL', rank, silver_key(w), w, w, 0, profit FROM (VALUES
  (TIMESTAMP '2024-03-01', 'OVERALL', 1, '0xw1', 900), (TIMESTAMP '2024-03-01', 'OVERALL', 2, '0xw2', 800), (TIMESTAMP '2024-03-01', 'OVERALL', 3, '0xw4', 700),
  (TIMESTAMP '2024-04-01', 'OVERALL', 1, '0xw1', 1000), (TIMESTAMP '2024-04-01', 'OVERALL', 2, '0xw2', 500), (TIMESTAMP '2024-04-01', 'OVERALL', 3, '0xw3', 300),
  (TIMESTAMP '2024-03-01', 'POLITICS', 1, '0xw5', 5000),
  (TIMESTAMP '2024-04-01', 'POLITICS', 1, '0xw3', 50)
) v(ts, cat, rank, w, profit)`;

describe('gold: the backtest copies the wallets of each board’s latest snapshot', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-gold-board-'));
    const silver = await openSilverDatabase(join(dir, 'silver.duckdb'));
    const conn = await silver.connect();
    try {
      await conn.run(SNAPSHOTS);
    } finally {
      conn.closeSync();
      silver.closeSync();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function topUsers(name: string, parameters: Partial<GoldParameters>) {
    await buildGold({ silverPath: join(dir, 'silver.duckdb'), goldPath: join(dir, name), parameters });
    const gold = await DuckDBInstance.create(join(dir, name), { access_mode: 'READ_ONLY' });
    const conn = await gold.connect();
    try {
      const rows = (await conn.runAndReadAll('SELECT copy_rank, wallet_address, leaderboard_pnl FROM bt_top_users ORDER BY copy_rank')).getRowObjectsJS();
      return rows.map((r) => [Number(r.copy_rank), r.wallet_address, Number(r.leaderboard_pnl)]);
    } finally {
      conn.closeSync();
      gold.closeSync();
    }
  }

  it('on the configured board: its April snapshot, whole, and nobody who left it', async () => {
    expect(await topUsers('overall.duckdb', { topUsers: 3 })).to.deep.equal([
      [1, '0xw1', 1000],
      [2, '0xw2', 500],
      [3, '0xw3', 300],
    ]);
  });

  it('on every board (the configured one holds no rows): each board by its latest snapshot', async () => {
    // W3 is on both latest snapshots: its best row (OVERALL, 300) stands for it.
    expect(await topUsers('all.duckdb', { topUsers: 3, board: { category: 'CRYPTO', timePeriod: 'DAY', orderBy: 'VOL' } })).to.deep.equal([
      [1, '0xw1', 1000],
      [2, '0xw2', 500],
      [3, '0xw3', 300],
    ]);
  });
});
