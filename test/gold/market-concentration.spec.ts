/**
 * gold_market_concentration against figures worked out by hand from a hand-written Silver: one
 * market whose wallet holds both outcomes (summed into one holder), one with more than ten
 * holders (the top-10 share leaves two out), and an open-interest snapshot without holders.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { buildGold } from '../../gold/index.ts';
import { openSilverDatabase } from '../../sinks/silver/writer.ts';

const T1 = '2024-05-01 00:00:00';
const T2 = '2024-05-01 01:00:00';
const B_AMOUNTS = [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1];

const holder = (market: string, token: string, wallet: string, amount: number, at = T1) =>
  `(silver_key('${market}'), silver_key('${token}'), silver_key('${wallet}'), TIMESTAMP '${at}', DATE '2024-05-01', '${market}', '${token}', '${wallet}', 0, ${amount}, NULL, NULL)`;

const SILVER = [
  `INSERT INTO MarketDim (market_sk, condition_id) VALUES (silver_key('0xa'), '0xa'), (silver_key('0xb'), '0xb')`,
  `INSERT INTO HolderSnapshot VALUES ${[
    // Market A at T1: W1 holds 50 Yes and 10 No (one holder of 60), W2 30, W3 10.
    holder('0xa', 'ya', '0xw1', 50),
    holder('0xa', 'ya', '0xw2', 30),
    holder('0xa', 'ya', '0xw3', 10),
    holder('0xa', 'na', '0xw1', 10),
    // Market B at T1: twelve wallets holding 12, 11, ..., 1.
    ...B_AMOUNTS.map((a, i) => holder('0xb', 'yb', `0xb${String(i + 1).padStart(2, '0')}`, a)),
  ].join(', ')}`,
  `INSERT INTO OpenInterestFact VALUES (silver_key('0xa'), TIMESTAMP '${T1}', DATE '2024-05-01', '0xa', 500), (silver_key('0xa'), TIMESTAMP '${T2}', DATE '2024-05-01', '0xa', 650)`,
];

describe('gold: open interest and holder concentration per market over time', function () {
  this.timeout(60_000);
  let dir: string;
  let rows: Array<Record<string, unknown>>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-gold-concentration-'));
    const silver = await openSilverDatabase(join(dir, 'silver.duckdb'));
    const conn = await silver.connect();
    try {
      for (const sql of SILVER) await conn.run(sql);
    } finally {
      conn.closeSync();
      silver.closeSync();
    }
    await buildGold({ silverPath: join(dir, 'silver.duckdb'), goldPath: join(dir, 'gold.duckdb') });
    const gold = await DuckDBInstance.create(join(dir, 'gold.duckdb'), { access_mode: 'READ_ONLY' });
    const g = await gold.connect();
    try {
      rows = (
        await g.runAndReadAll(
          `SELECT condition_id, strftime(snapshot_timestamp, '%H:%M') AS snap, open_interest, holders, holder_amount, top10_share, herfindahl FROM gold_market_concentration ORDER BY condition_id, snap`,
        )
      ).getRowObjectsJS();
    } finally {
      g.closeSync();
      gold.closeSync();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const figures = (market: string, at: string) => {
    const r = rows.find((x) => x.condition_id === market && x.snap === at);
    expect(r, `${market} at ${at}`).to.not.equal(undefined);
    const n = (v: unknown) => (v === null ? null : Number(v));
    return { oi: n(r!.open_interest), holders: n(r!.holders), amount: n(r!.holder_amount), top10: n(r!.top10_share), hhi: n(r!.herfindahl) };
  };

  it('a row per market and snapshot time of either source', () => {
    expect(rows.map((r) => `${r.condition_id} ${r.snap}`)).to.deep.equal(['0xa 00:00', '0xa 01:00', '0xb 00:00']);
  });

  it('a wallet holding both outcomes is one holder; three holders: the top-10 share is all of it', () => {
    const a = figures('0xa', '00:00');
    // Holders 60, 30, 10 of 100: shares 0.6, 0.3, 0.1; HHI 0.36 + 0.09 + 0.01.
    expect({ oi: a.oi, holders: a.holders, amount: a.amount, top10: a.top10 }).to.deep.equal({ oi: 500, holders: 3, amount: 100, top10: 1 });
    expect(a.hhi).to.be.closeTo(0.46, 1e-12);
  });

  it('twelve holders: the top ten leave out the two smallest', () => {
    const b = figures('0xb', '00:00');
    // 12 + 11 + ... + 1 = 78; the top ten hold 78 - 2 - 1 = 75; Σ k² for k = 1..12 = 650.
    expect({ oi: b.oi, holders: b.holders, amount: b.amount }).to.deep.equal({ oi: null, holders: 12, amount: 78 });
    expect(b.top10).to.be.closeTo(75 / 78, 1e-12);
    expect(b.hhi).to.be.closeTo(650 / (78 * 78), 1e-12);
  });

  it('an open-interest snapshot without holders keeps its value, concentration unknown', () => {
    expect(figures('0xa', '01:00')).to.deep.equal({ oi: 650, holders: null, amount: null, top10: null, hhi: null });
  });
});
