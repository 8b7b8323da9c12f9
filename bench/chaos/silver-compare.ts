/**
 * Silver files compared table by table, as multisets (EXCEPT ALL both ways): the chaos oracle's
 * "Silver equals a replay", and the Silver specs' rebuild and crash checks.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { SILVER_TABLES } from '../../sinks/silver/index.ts';

export interface TableDifference {
  table: string;
  onlyInA: number;
  onlyInB: number;
  rowsA: number;
  rowsB: number;
}

/** Differences between the Silver tables of two files; empty when they hold the same rows. */
export async function silverDifferences(a: string, b: string, tables: readonly string[] = SILVER_TABLES): Promise<TableDifference[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`ATTACH '${a}' AS a (READ_ONLY)`);
    await conn.run(`ATTACH '${b}' AS b (READ_ONLY)`);
    const out: TableDifference[] = [];
    for (const t of tables) {
      const r = await conn.runAndReadAll(
        `SELECT (SELECT count(*) FROM (SELECT * FROM a.${t} EXCEPT ALL SELECT * FROM b.${t})), ` +
          `(SELECT count(*) FROM (SELECT * FROM b.${t} EXCEPT ALL SELECT * FROM a.${t})), ` +
          `(SELECT count(*) FROM a.${t}), (SELECT count(*) FROM b.${t})`,
      );
      const [onlyInA, onlyInB, rowsA, rowsB] = r.getRows()[0]!.map(Number) as [number, number, number, number];
      if (onlyInA || onlyInB) out.push({ table: t, onlyInA, onlyInB, rowsA, rowsB });
    }
    return out;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
