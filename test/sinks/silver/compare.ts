/** Test helpers: Silver files compared (the comparison lives with the chaos engine) and counted. */
import { DuckDBInstance } from '@duckdb/node-api';
import { SILVER_TABLES } from '../../../sinks/silver/index.ts';

export { silverDifferences, type TableDifference } from '../../../bench/chaos/silver-compare.ts';

/** Row counts of every Silver table in a file. */
export async function silverCounts(path: string): Promise<Record<string, number>> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    const out: Record<string, number> = {};
    for (const t of SILVER_TABLES) out[t] = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${t}`)).getRows()[0]![0]);
    return out;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
