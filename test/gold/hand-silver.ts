/**
 * A small Silver written by hand for the Gold tests; every expected number in test/gold is
 * computed by hand from these rows (the comments in gold.spec.ts show the arithmetic).
 *
 * Markets: M1 closed, Yes won (CLOB flag), category Sports, event E1. M2 open, in E1 (category
 * from E1: Politics). M3 closed, UMA-resolved with prices [0, 1] and no flags: No won; category
 * from its tags (Crypto). M4 closed with prices [0, 0] and nothing else: NOT resolved.
 * Wallets W1, W2, W3; eight trades; leaderboard OVERALL/ALL/PNL with W1 1000, W2 500, W3 10 at
 * the latest snapshot (W3 was 2000 on an older one, and 99999 on another board).
 */
import { openSilverDatabase } from '../../sinks/silver/writer.ts';

const SQL = `
INSERT INTO MarketDim (market_sk, condition_id, question, category, event_sk, event_id, outcomes, token_ids, outcome_prices, is_closed, uma_resolution_status, tags, end_date) VALUES
  (silver_key('0xm1'), '0xm1', 'M1?', 'Sports', silver_key('E1'), 'E1', ['Yes','No'], ['t1a','t1b'], [1.0, 0.0], true, NULL, ['All'], TIMESTAMP '2024-03-31'),
  (silver_key('0xm2'), '0xm2', 'M2?', NULL, silver_key('E1'), 'E1', ['Yes','No'], ['t2a','t2b'], [0.5, 0.5], false, NULL, ['All'], TIMESTAMP '2024-12-31'),
  (silver_key('0xm3'), '0xm3', 'M3?', NULL, NULL, NULL, ['Yes','No'], ['t3a','t3b'], [0.0, 1.0], true, 'resolved', ['All','Crypto'], TIMESTAMP '2024-03-01'),
  (silver_key('0xm4'), '0xm4', 'M4?', NULL, NULL, NULL, ['Yes','No'], ['t4a','t4b'], [0.0, 0.0], true, NULL, [], TIMESTAMP '2024-03-01');
INSERT INTO MarketTokenDim (token_sk, token_id, market_sk, condition_id, outcome, outcome_index, price, is_winner) VALUES
  (silver_key('t1a'), 't1a', silver_key('0xm1'), '0xm1', 'Yes', 0, 1.0, true),
  (silver_key('t1b'), 't1b', silver_key('0xm1'), '0xm1', 'No', 1, 0.0, false),
  (silver_key('t2a'), 't2a', silver_key('0xm2'), '0xm2', 'Yes', 0, 0.5, false),
  (silver_key('t2b'), 't2b', silver_key('0xm2'), '0xm2', 'No', 1, 0.5, false),
  (silver_key('t3a'), 't3a', silver_key('0xm3'), '0xm3', 'Yes', 0, 0.0, NULL),
  (silver_key('t3b'), 't3b', silver_key('0xm3'), '0xm3', 'No', 1, 1.0, NULL),
  (silver_key('t4a'), 't4a', silver_key('0xm4'), '0xm4', 'Yes', 0, 0.0, NULL),
  (silver_key('t4b'), 't4b', silver_key('0xm4'), '0xm4', 'No', 1, 0.0, NULL);
INSERT INTO EventDim (event_sk, event_id, title, category) VALUES (silver_key('E1'), 'E1', 'Event one', 'Politics');
INSERT INTO EventMarketBridge VALUES (silver_key('E1'), silver_key('0xm1'), '0xm1', 0), (silver_key('E1'), silver_key('0xm2'), '0xm2', 1);
INSERT INTO TraderDim (trader_sk, wallet_address, user_name) VALUES
  (silver_key('0xw1'), '0xw1', 'one'), (silver_key('0xw2'), '0xw2', 'two'), (silver_key('0xw3'), '0xw3', 'three');
INSERT INTO TradeFact SELECT md5_number(id), id, silver_key(m), CASE WHEN tok IS NULL THEN NULL ELSE silver_key(tok) END, silver_key(w), NULL,
  side, 'TAKER', outcome, oi, price, size, price * size, 'tx' || id, ts, ts::DATE, false
FROM (VALUES
  ('1', '0xm1', 't1a', '0xw1', 'BUY',  'Yes', 0, 0.40, 100.0, TIMESTAMP '2024-01-10 10:00'),
  ('2', '0xm1', 't1b', '0xw1', 'SELL', 'No',  1, 0.30,  50.0, TIMESTAMP '2024-01-15 10:00'),
  ('3', '0xm1', 't1b', '0xw2', 'BUY',  'No',  1, 0.70,  10.0, TIMESTAMP '2024-02-01 10:00'),
  ('4', '0xm3', 't3b', '0xw2', 'BUY',  'No',  1, 0.25,  40.0, TIMESTAMP '2024-02-03 10:00'),
  ('5', '0xm2', 't2a', '0xw1', 'BUY',  'Yes', 0, 0.50,  20.0, TIMESTAMP '2024-02-10 10:00'),
  ('6', '0xm4', 't4a', '0xw3', 'BUY',  'Yes', 0, 0.20,  10.0, TIMESTAMP '2024-03-01 10:00'),
  ('7', '0xm1', 't1a', '0xw2', 'SELL', 'Yes', 0, 0.80,   5.0, TIMESTAMP '2024-03-05 10:00'),
  ('8', '0xm1', NULL,  '0xw3', 'BUY',  'Yes', 0, 0.50,   2.0, TIMESTAMP '2024-03-10 10:00')
) v(id, m, tok, w, side, outcome, oi, price, size, ts);
INSERT INTO PriceHistoryFact SELECT silver_key('t1a'), silver_key('0xm1'), ts, ts::DATE, p, 60 FROM (VALUES
  (TIMESTAMP '2024-01-01 00:00', 0.50), (TIMESTAMP '2024-01-01 00:30', 0.55), (TIMESTAMP '2024-01-01 01:00', 0.70),
  (TIMESTAMP '2024-01-01 02:00', 0.60), (TIMESTAMP '2024-01-01 03:00', 0.65), (TIMESTAMP '2024-01-01 04:00', 0.30)) v(ts, p);
INSERT INTO LeaderboardSnapshot VALUES
  (TIMESTAMP '2024-04-01', DATE '2024-04-01', 'OVERALL', 'ALL', 'PNL', 1, silver_key('0xw1'), '0xw1', 'one', 5000, 1000),
  (TIMESTAMP '2024-04-01', DATE '2024-04-01', 'OVERALL', 'ALL', 'PNL', 2, silver_key('0xw2'), '0xw2', 'two', 4000, 500),
  (TIMESTAMP '2024-04-01', DATE '2024-04-01', 'OVERALL', 'ALL', 'PNL', 3, silver_key('0xw3'), '0xw3', 'three', 10, 10),
  (TIMESTAMP '2024-03-01', DATE '2024-03-01', 'OVERALL', 'ALL', 'PNL', 1, silver_key('0xw3'), '0xw3', 'three', 10, 2000),
  (TIMESTAMP '2024-04-01', DATE '2024-04-01', 'POLITICS', 'DAY', 'PNL', 1, silver_key('0xw3'), '0xw3', 'three', 10, 99999);
`;

/** Writes the hand-made Silver to `path`. */
export async function writeHandSilver(path: string): Promise<void> {
  const instance = await openSilverDatabase(path);
  const conn = await instance.connect();
  try {
    for (const statement of SQL.split(';').map((s) => s.trim()).filter(Boolean)) await conn.run(statement);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
