/**
 * The soak's end check: every fill the simulator made up to a cut-off is in Silver's TradeFact
 * exactly once, and nothing is there the simulator never made. A fill is identified from field
 * values as the Data API defines them (transaction, wallet, token, side, price, size, second), not
 * with the pipeline's key function, so a bug in that function cannot hide a loss or a duplicate.
 */
import { existsSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Simulator } from '../../simulator/index.ts';

const identity = (f: { tx: unknown; wallet: unknown; token: unknown; side: unknown; price: unknown; size: unknown; seconds: unknown }) =>
  [f.tx, String(f.wallet).toLowerCase(), f.token, f.side, Number(f.price), Number(f.size), Number(f.seconds)].join(' ');

export interface FillCheck {
  /** World time (Unix seconds) up to which every fill must be in Silver. */
  cutoff: number;
  /** Fills (taker and maker rows) the simulator made up to the cut-off. */
  truth: number;
  /** Rows of TradeFact, all of them. */
  silverRows: number;
  missing: string[];
  /** Rows the simulator never made (up to the world time of the check). */
  extra: string[];
  /** Rows beyond the first of the same fill. */
  duplicated: number;
}

/** Fill identities of a Silver file (the sink's or its snapshot), each as often as it is there. */
export async function silverFills(path: string): Promise<Array<{ id: string; seconds: number }>> {
  if (!existsSync(path)) return [];
  const db = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const con = await db.connect();
  try {
    const rows = (
      await con.runAndReadAll(
        `SELECT f.transaction_hash AS tx, t.wallet_address AS wallet, k.token_id AS token, f.side, f.price, f.size, epoch(f.trade_timestamp)::BIGINT AS seconds
         FROM TradeFact f JOIN TraderDim t USING (trader_sk) LEFT JOIN MarketTokenDim k USING (token_sk)`,
      )
    ).getRowObjectsJS();
    return rows.map((r) => ({ id: identity(r as Parameters<typeof identity>[0]), seconds: Number(r.seconds) }));
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

/** The simulator's fills up to `asOf` (world seconds), taker and maker rows, as identities. */
export function truthFills(sim: Simulator, asOf: number): Set<string> {
  const out = new Set<string>();
  for (const r of sim.truth({ types: ['trade'], asOf })) {
    out.add(identity({ tx: r.transactionHash, wallet: r.proxyWallet, token: r.asset, side: r.side, price: r.price, size: r.size, seconds: r.timestamp }));
  }
  return out;
}

/** Compares Silver with the truth: all fills up to `cutoff` once each, none the world (as of `now`) never made. */
export function compareFills(silver: Array<{ id: string; seconds: number }>, truthToCutoff: Set<string>, truthNow: Set<string>, cutoff: number): FillCheck {
  const seen = new Map<string, number>();
  for (const f of silver) seen.set(f.id, (seen.get(f.id) ?? 0) + 1);
  return {
    cutoff,
    truth: truthToCutoff.size,
    silverRows: silver.length,
    missing: [...truthToCutoff].filter((id) => !seen.has(id)),
    extra: [...seen.keys()].filter((id) => !truthNow.has(id)),
    duplicated: [...seen.values()].reduce((n, c) => n + c - 1, 0),
  };
}
