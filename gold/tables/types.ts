/** A Gold table: materialised from Silver (attached as `silver`) and earlier Gold tables by one SELECT. */
export interface GoldTable {
  name: string;
  /** One line: what a row is. */
  description: string;
  /** The SELECT that fills it (no trailing semicolon). */
  select: (p: GoldParameters) => string;
}

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
};

/** SQL text literal. */
export const lit = (s: string): string => `'${s.replaceAll("'", "''")}'`;
