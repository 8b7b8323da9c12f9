/** Reading query results out of a DuckDB file in specs that check Silver or Gold by SQL. */
import type { DuckDBInstance } from '@duckdb/node-api';

export type Row = Record<string, unknown>;

/** Each query gets its own connection, closed after, so a failing query leaves no connection holding the file. */
export async function queryRows(db: DuckDBInstance, sql: string): Promise<Row[]> {
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Row[];
  } finally {
    conn.closeSync();
  }
}
