/**
 * The copy-trading backtest's position walk. Per copied wallet and outcome token, in time order
 * (within one second a BUY before a SELL, since Silver cannot order them and the other order
 * would turn a round trip into a sell of unheld shares):
 *
 * - a BUY adds its shares at its price to the position, at AVERAGE COST (the position's cost is
 *   the sum of what its shares cost; a sale takes the average out, so FIFO's lot order never
 *   matters; Polymarket's own positions API reports average prices too);
 * - a SELL closes at most the shares held, realising (price − average cost) per share; what it
 *   sells beyond them (shares from a split, a merge, a transfer or before the data begins) is
 *   counted apart as unheld, never valued: Silver cannot tell what it was;
 * - what is still held when the market resolves is settled at 1 or 0 (in SQL, from the walk's
 *   last row per position).
 *
 * The fixed-stake copier walks beside it: it buys `stake` dollars at the wallet's price on each
 * BUY, but never more shares than the wallet's fill had (that fill is all the liquidity the data
 * shows at that price: $100 of a 0.001 fill worth $0.003 would be 100,000 shares nobody sold),
 * and on each SELL sells the same fraction of its own position as the wallet sold of its held
 * shares (nothing when the wallet held none). It only ever sells what it holds, so no position
 * can lose more than was staked in it.
 *
 * SQL would need a recursive query for the clamp at zero held shares, so the walk runs here, over
 * every wallet (the trader profiles use it too): the trades are numbered in walk order into a
 * temporary table, read back a page at a time and the rows appended to `gold_position_walk`, so
 * memory holds one page whatever the size of Silver.
 */
import { BIGINT, DOUBLE, type DuckDBConnection, DuckDBDataChunk, type DuckDBValue, UBIGINT, UHUGEINT, VARCHAR } from '@duckdb/node-api';
import type { GoldParameters } from './types.ts';

export interface WalkTrade {
  tradeSk: bigint;
  /** The wallet (trader_sk). */
  owner: bigint;
  tokenSk: bigint | null;
  side: string;
  price: number;
  size: number;
}

export type WalkAction = 'buy' | 'close' | 'partial-close' | 'close+unheld' | 'unheld' | 'unknown-token';
export type CopierAction = 'buy' | 'sell' | 'skip-unheld' | 'skip-price' | 'skip-empty' | 'unknown-token';

export interface WalkRow {
  tradeSk: bigint;
  owner: bigint;
  action: WalkAction;
  heldBefore: number;
  avgCostBefore: number | null;
  closedShares: number;
  unheldShares: number;
  costBasis: number;
  proceeds: number;
  realisedPnl: number;
  heldAfter: number;
  costAfter: number;
  copierAction: CopierAction;
  copierShares: number;
  copierStake: number;
  copierCostBasis: number;
  copierProceeds: number;
  copierPnl: number;
  copierHeldAfter: number;
  copierCostAfter: number;
}

/** Shares below this are float residue of a full close, not a position. */
const EPSILON = 1e-9;

/** Walks trades already ordered by wallet, token, time (BUY first), trade. */
export function walkPositions(trades: Iterable<WalkTrade>, stake: number): WalkRow[] {
  const step = positionWalker(stake);
  return [...trades].map(step);
}

/** A walk's step function: its state is the current position, so pages can follow each other. */
export function positionWalker(stake: number): (t: WalkTrade) => WalkRow {
  let key = '';
  let held = 0;
  let cost = 0;
  let cHeld = 0;
  let cCost = 0;
  return (t) => {
    const base = { tradeSk: t.tradeSk, owner: t.owner, closedShares: 0, unheldShares: 0, costBasis: 0, proceeds: 0, realisedPnl: 0 };
    const copier = { copierShares: 0, copierStake: 0, copierCostBasis: 0, copierProceeds: 0, copierPnl: 0 };
    if (t.tokenSk === null) {
      return { ...base, ...copier, action: 'unknown-token', heldBefore: 0, avgCostBefore: null, heldAfter: 0, costAfter: 0, copierAction: 'unknown-token', copierHeldAfter: 0, copierCostAfter: 0 };
    }
    const k = `${t.owner}/${t.tokenSk}`;
    if (k !== key) {
      key = k;
      held = cost = cHeld = cCost = 0;
    }
    const heldBefore = held;
    const avgCostBefore = held > EPSILON ? cost / held : null;
    if (t.side === 'BUY') {
      held += t.size;
      cost += t.size * t.price;
      let copierAction: CopierAction = 'skip-price';
      if (t.price > 0) {
        copierAction = 'buy';
        copier.copierShares = Math.min(stake / t.price, t.size);
        copier.copierStake = copier.copierShares * t.price;
        cHeld += copier.copierShares;
        cCost += copier.copierStake;
      }
      return { ...base, ...copier, action: 'buy', heldBefore, avgCostBefore, heldAfter: held, costAfter: cost, copierAction, copierHeldAfter: cHeld, copierCostAfter: cCost };
    }
    const whole = held > EPSILON && t.size >= held - EPSILON;
    const closed = held > EPSILON ? Math.min(t.size, held) : 0;
    const unheld = whole ? Math.max(0, t.size - held) : held > EPSILON ? 0 : t.size;
    const action: WalkAction = closed === 0 ? 'unheld' : !whole ? 'partial-close' : unheld > EPSILON ? 'close+unheld' : 'close';
    if (closed > 0) {
      base.closedShares = closed;
      base.costBasis = whole ? cost : closed * (cost / held);
      base.proceeds = closed * t.price;
      base.realisedPnl = base.proceeds - base.costBasis;
      held = whole ? 0 : held - closed;
      cost = whole ? 0 : cost - base.costBasis;
    }
    base.unheldShares = unheld;
    let copierAction: CopierAction = 'skip-unheld';
    if (closed > 0 && cHeld <= EPSILON) copierAction = 'skip-empty';
    else if (closed > 0) {
      copierAction = 'sell';
      const fraction = whole ? 1 : closed / heldBefore;
      copier.copierShares = whole ? cHeld : cHeld * fraction;
      copier.copierCostBasis = whole ? cCost : cCost * fraction;
      copier.copierProceeds = copier.copierShares * t.price;
      copier.copierPnl = copier.copierProceeds - copier.copierCostBasis;
      cHeld = whole ? 0 : cHeld - copier.copierShares;
      cCost = whole ? 0 : cCost - copier.copierCostBasis;
    }
    return { ...base, ...copier, action, heldBefore, avgCostBefore, heldAfter: held, costAfter: cost, copierAction, copierHeldAfter: cHeld, copierCostAfter: cCost };
  };
}

const WALK_COLUMNS = `trade_sk UHUGEINT, trader_sk UBIGINT, seq BIGINT, action VARCHAR, held_before DOUBLE, avg_cost_before DOUBLE,
  closed_shares DOUBLE, unheld_shares DOUBLE, cost_basis DOUBLE, proceeds DOUBLE, realised_pnl DOUBLE, held_after DOUBLE, cost_after DOUBLE,
  copier_action VARCHAR, copier_shares DOUBLE, copier_stake DOUBLE, copier_cost_basis DOUBLE, copier_proceeds DOUBLE, copier_pnl DOUBLE,
  copier_held_after DOUBLE, copier_cost_after DOUBLE`;

const WALK_TYPES = [UHUGEINT, UBIGINT, BIGINT, VARCHAR, ...Array(9).fill(DOUBLE), VARCHAR, ...Array(7).fill(DOUBLE)];

/** One walk row as the table's columns, in WALK_COLUMNS order. */
const walkValues = (seq: bigint, r: WalkRow): DuckDBValue[] => [
  r.tradeSk,
  r.owner,
  seq,
  r.action,
  r.heldBefore,
  r.avgCostBefore,
  r.closedShares,
  r.unheldShares,
  r.costBasis,
  r.proceeds,
  r.realisedPnl,
  r.heldAfter,
  r.costAfter,
  r.copierAction,
  r.copierShares,
  r.copierStake,
  r.copierCostBasis,
  r.copierProceeds,
  r.copierPnl,
  r.copierHeldAfter,
  r.copierCostAfter,
];

/** Rows per appended chunk: DuckDB's vector size. */
const CHUNK = 2048;

/** Creates and fills `gold_position_walk` from gold_trade_outcome: every wallet's trades. */
export async function buildPositionWalk(conn: DuckDBConnection, p: GoldParameters): Promise<void> {
  await conn.run(`CREATE TEMP TABLE walk_input AS
    SELECT row_number() OVER (ORDER BY trader_sk, token_sk NULLS LAST, trade_timestamp, CASE side WHEN 'BUY' THEN 0 ELSE 1 END, trade_sk) AS seq,
      trade_sk, trader_sk, token_sk, side, price, size
    FROM gold_trade_outcome`);
  await conn.run(`CREATE TABLE gold_position_walk (${WALK_COLUMNS})`);
  const step = positionWalker(p.stake);
  const rows = Math.max(1, Math.trunc(p.walkPageRows));
  try {
    for (let from = 0; ; from += rows) {
      const page = (await conn.runAndReadAll(`SELECT seq, trade_sk, trader_sk, token_sk, side, price, size FROM walk_input WHERE seq > ${from} AND seq <= ${from + rows} ORDER BY seq`)).getRows();
      if (page.length === 0) break;
      const appender = await conn.createAppender('gold_position_walk');
      // Whole chunks, column by column: a value-by-value append costs a native call per cell.
      for (let i = 0; i < page.length; i += CHUNK) {
        const slice = page.slice(i, i + CHUNK);
        const columns: DuckDBValue[][] = WALK_TYPES.map(() => new Array(slice.length));
        for (const [j, [seq, tradeSk, owner, tokenSk, side, price, size]] of slice.entries()) {
          const r = step({ tradeSk: tradeSk as bigint, owner: owner as bigint, tokenSk: tokenSk as bigint | null, side: String(side), price: Number(price), size: Number(size) });
          for (const [c, v] of walkValues(seq as bigint, r).entries()) columns[c]![j] = v;
        }
        const chunk = DuckDBDataChunk.create(WALK_TYPES, slice.length);
        chunk.setColumns(columns);
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
      appender.closeSync();
    }
  } finally {
    await conn.run('DROP TABLE IF EXISTS walk_input');
  }
}
