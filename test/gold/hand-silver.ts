/**
 * A small Silver written by hand for the Gold tests; every expected number in test/gold is
 * computed by hand from these rows (the comments in gold.spec.ts show the arithmetic).
 *
 * Markets: M1 closed, Yes won (CLOB flag), category Sports, event E1. M2 open, in E1 (category
 * from E1: Politics). M3 closed, UMA-resolved with prices [0, 1] and no flags: No won; category
 * from its tags (Crypto). M4 closed with prices [0, 0] and nothing else: NOT resolved.
 * M5 closed, three outcomes A/B/C, A won (CLOB flag), category Sports, no event.
 * Wallets W1, W2, W3 (taker rows), W4 and W5 (a maker row, an unlabelled pair); leaderboard
 * OVERALL/ALL/PNL with W1 1000, W2 500, W3 10 at the latest snapshot (W3 was 2000 on an older
 * one, and 99999 on another board).
 *
 * Trades: #1m is the maker side of match #1 (same transaction); #9/#9m are both sides of one match
 * whose roles were not recorded (UNKNOWN). #10 is W2 selling the eventual winner at 0.05 without
 * holding it (a naked short if valued per trade). #11-#15 are W1 on M5: buy 100 A, sell 50 (partial
 * close), buy 50, sell 150 holding 100 (a close and 50 unheld), buy 20 B (held to a loss).
 */
import { openSilverDatabase } from '../../sinks/silver/writer.ts';

const SQL = `
INSERT INTO MarketDim (market_sk, condition_id, question, category, event_sk, event_id, outcomes, token_ids, outcome_prices, is_closed, uma_resolution_status, tags, end_date) VALUES
  (silver_key('0xm1'), '0xm1', 'M1?', 'Sports', silver_key('E1'), 'E1', ['Yes','No'], ['t1a','t1b'], [1.0, 0.0], true, NULL, ['All'], TIMESTAMP '2024-03-31'),
  (silver_key('0xm2'), '0xm2', 'M2?', NULL, silver_key('E1'), 'E1', ['Yes','No'], ['t2a','t2b'], [0.5, 0.5], false, NULL, ['All'], TIMESTAMP '2024-12-31'),
  (silver_key('0xm3'), '0xm3', 'M3?', NULL, NULL, NULL, ['Yes','No'], ['t3a','t3b'], [0.0, 1.0], true, 'resolved', ['All','Crypto'], TIMESTAMP '2024-03-01'),
  (silver_key('0xm4'), '0xm4', 'M4?', NULL, NULL, NULL, ['Yes','No'], ['t4a','t4b'], [0.0, 0.0], true, NULL, [], TIMESTAMP '2024-03-01'),
  (silver_key('0xm5'), '0xm5', 'M5?', 'Sports', NULL, NULL, ['A','B','C'], ['t5a','t5b','t5c'], [1.0, 0.0, 0.0], true, NULL, ['All'], TIMESTAMP '2024-04-10');
INSERT INTO MarketTokenDim (token_sk, token_id, market_sk, condition_id, outcome, outcome_index, price, is_winner) VALUES
  (silver_key('t1a'), 't1a', silver_key('0xm1'), '0xm1', 'Yes', 0, 1.0, true),
  (silver_key('t1b'), 't1b', silver_key('0xm1'), '0xm1', 'No', 1, 0.0, false),
  (silver_key('t2a'), 't2a', silver_key('0xm2'), '0xm2', 'Yes', 0, 0.5, false),
  (silver_key('t2b'), 't2b', silver_key('0xm2'), '0xm2', 'No', 1, 0.5, false),
  (silver_key('t3a'), 't3a', silver_key('0xm3'), '0xm3', 'Yes', 0, 0.0, NULL),
  (silver_key('t3b'), 't3b', silver_key('0xm3'), '0xm3', 'No', 1, 1.0, NULL),
  (silver_key('t4a'), 't4a', silver_key('0xm4'), '0xm4', 'Yes', 0, 0.0, NULL),
  (silver_key('t4b'), 't4b', silver_key('0xm4'), '0xm4', 'No', 1, 0.0, NULL),
  (silver_key('t5a'), 't5a', silver_key('0xm5'), '0xm5', 'A', 0, 1.0, true),
  (silver_key('t5b'), 't5b', silver_key('0xm5'), '0xm5', 'B', 1, 0.0, false),
  (silver_key('t5c'), 't5c', silver_key('0xm5'), '0xm5', 'C', 2, 0.0, false);
INSERT INTO EventDim (event_sk, event_id, title, category) VALUES (silver_key('E1'), 'E1', 'Event one', 'Politics');
INSERT INTO EventMarketBridge VALUES (silver_key('E1'), silver_key('0xm1'), '0xm1', 0), (silver_key('E1'), silver_key('0xm2'), '0xm2', 1);
INSERT INTO TraderDim (trader_sk, wallet_address, user_name) VALUES
  (silver_key('0xw1'), '0xw1', 'one'), (silver_key('0xw2'), '0xw2', 'two'), (silver_key('0xw3'), '0xw3', 'three'),
  (silver_key('0xw4'), '0xw4', 'four'), (silver_key('0xw5'), '0xw5', 'five');
INSERT INTO TradeFact SELECT md5_number(id), id, silver_key(m), CASE WHEN tok IS NULL THEN NULL ELSE silver_key(tok) END, silver_key(w), NULL,
  side, role, outcome, oi, price, size, price * size, tx, ts, ts::DATE, false
FROM (VALUES
  ('1',  '0xm1', 't1a', '0xw1', 'BUY',  'TAKER',   'Yes', 0, 0.40, 100.0, TIMESTAMP '2024-01-10 10:00', 'tx1'),
  ('1m', '0xm1', 't1a', '0xw4', 'SELL', 'MAKER',   'Yes', 0, 0.40, 100.0, TIMESTAMP '2024-01-10 10:00', 'tx1'),
  ('2',  '0xm1', 't1b', '0xw1', 'SELL', 'TAKER',   'No',  1, 0.30,  50.0, TIMESTAMP '2024-01-15 10:00', 'tx2'),
  ('3',  '0xm1', 't1b', '0xw2', 'BUY',  'TAKER',   'No',  1, 0.70,  10.0, TIMESTAMP '2024-02-01 10:00', 'tx3'),
  ('4',  '0xm3', 't3b', '0xw2', 'BUY',  'TAKER',   'No',  1, 0.25,  40.0, TIMESTAMP '2024-02-03 10:00', 'tx4'),
  ('5',  '0xm2', 't2a', '0xw1', 'BUY',  'TAKER',   'Yes', 0, 0.50,  20.0, TIMESTAMP '2024-02-10 10:00', 'tx5'),
  ('6',  '0xm4', 't4a', '0xw3', 'BUY',  'TAKER',   'Yes', 0, 0.20,  10.0, TIMESTAMP '2024-03-01 10:00', 'tx6'),
  ('7',  '0xm1', 't1a', '0xw2', 'SELL', 'TAKER',   'Yes', 0, 0.80,   5.0, TIMESTAMP '2024-03-05 10:00', 'tx7'),
  ('8',  '0xm1', NULL,  '0xw3', 'BUY',  'TAKER',   'Yes', 0, 0.50,   2.0, TIMESTAMP '2024-03-10 10:00', 'tx8'),
  ('9',  '0xm4', 't4a', '0xw4', 'BUY',  'UNKNOWN', 'Yes', 0, 0.30,  10.0, TIMESTAMP '2024-03-02 10:00', 'txu'),
  ('9m', '0xm4', 't4a', '0xw5', 'SELL', 'UNKNOWN', 'Yes', 0, 0.30,  10.0, TIMESTAMP '2024-03-02 10:00', 'txu'),
  ('10', '0xm1', 't1a', '0xw2', 'SELL', 'TAKER',   'Yes', 0, 0.05,  10.0, TIMESTAMP '2024-03-06 10:00', 'tx10'),
  ('11', '0xm5', 't5a', '0xw1', 'BUY',  'TAKER',   'A',   0, 0.20, 100.0, TIMESTAMP '2024-03-20 10:00', 'tx11'),
  ('12', '0xm5', 't5a', '0xw1', 'SELL', 'TAKER',   'A',   0, 0.50,  50.0, TIMESTAMP '2024-03-21 10:00', 'tx12'),
  ('13', '0xm5', 't5a', '0xw1', 'BUY',  'TAKER',   'A',   0, 0.40,  50.0, TIMESTAMP '2024-03-22 10:00', 'tx13'),
  ('14', '0xm5', 't5a', '0xw1', 'SELL', 'TAKER',   'A',   0, 0.60, 150.0, TIMESTAMP '2024-03-23 10:00', 'tx14'),
  ('15', '0xm5', 't5b', '0xw1', 'BUY',  'TAKER',   'B',   1, 0.30,  20.0, TIMESTAMP '2024-03-24 10:00', 'tx15')
) v(id, m, tok, w, side, role, outcome, oi, price, size, ts, tx);
INSERT INTO PriceHistoryFact SELECT silver_key('t1a'), silver_key('0xm1'), ts, ts::DATE, p, 60 FROM (VALUES
  (TIMESTAMP '2024-01-01 00:00', 0.50), (TIMESTAMP '2024-01-01 00:30', 0.55), (TIMESTAMP '2024-01-01 01:00', 0.70),
  (TIMESTAMP '2024-01-01 02:00', 0.60), (TIMESTAMP '2024-01-01 03:00', 0.65), (TIMESTAMP '2024-01-01 04:00', 0.30)) v(ts, p);
INSERT INTO PriceHistoryFact SELECT silver_key(tok), silver_key(m), ts, ts::DATE, p, 60 FROM (VALUES
  ('t1b', '0xm1', TIMESTAMP '2024-03-20 00:00', 0.40), ('t1b', '0xm1', TIMESTAMP '2024-03-29 12:00', 0.10),
  ('t3b', '0xm3', TIMESTAMP '2024-02-22 12:00', 0.60), ('t3b', '0xm3', TIMESTAMP '2024-02-28 12:00', 0.85),
  ('t3b', '0xm3', TIMESTAMP '2024-02-29 06:00', 0.90)) v(tok, m, ts, p);
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
    for (const statement of SQL.split(';')
      .map((s) => s.trim())
      .filter(Boolean))
      await conn.run(statement);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
