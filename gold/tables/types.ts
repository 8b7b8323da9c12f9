import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * A Gold table: materialised from Silver (attached as `silver`) and earlier Gold tables by one
 * SELECT, or, where SQL would be contorted (the backtest's position walk), created and filled by
 * `build` on the building connection, inside the build's transaction.
 */
export type GoldTable = {
  name: string;
  /** One line: what a row is. */
  description: string;
} & (
  | {
      /** The SELECT that fills it (no trailing semicolon). */
      select: (p: GoldParameters) => string;
      build?: undefined;
    }
  | { build: (conn: DuckDBConnection, p: GoldParameters) => Promise<void>; select?: undefined }
);

/** The knobs of the analytics, stored with the results in `gold_parameters`. */
export interface GoldParameters {
  /** Copy-trading: how many leaderboard wallets to copy (by profit). */
  topUsers: number;
  /** Copy-trading: the board the wallets come from, when it holds rows; else every board. */
  board: { category: string; timePeriod: string; orderBy: string };
  /** Fixed-size variant: dollars per copied trade. */
  stake: number;
  /** Best users to copy: resolved trades needed to be listed, and to be ranked by win rate. */
  minResolvedListed: number;
  minResolvedWinRate: number;
  bestUsersLimit: number;
  /** Price features: smallest reversal magnitude kept as an inflection point. */
  inflectionThreshold: number;
  /** Price features: largest moves kept per token. */
  majorMoves: number;
  /** Calibration: how long before resolution the market-implied probability is read, in days. */
  calibrationHorizonDays: number[];
  /** Calibration: width of a reliability bucket (0.1 gives 10 buckets). */
  calibrationBucket: number;
  /** Price and volume over time: how many markets, by volume. */
  topMarkets: number;
  /** Position walk: trades read back per page (memory holds one page). */
  walkPageRows: number;
}

export const DEFAULT_GOLD_PARAMETERS: GoldParameters = {
  topUsers: 500,
  board: { category: 'OVERALL', timePeriod: 'ALL', orderBy: 'PNL' },
  stake: 100,
  minResolvedListed: 5,
  minResolvedWinRate: 10,
  bestUsersLimit: 100,
  inflectionThreshold: 0.05,
  majorMoves: 5,
  calibrationHorizonDays: [1, 7],
  calibrationBucket: 0.1,
  topMarkets: 5,
  walkPageRows: 200_000,
};

/** SQL text literal. */
export const lit = (s: string): string => `'${s.replaceAll("'", "''")}'`;
