/**
 * Runs a user's SQL against Silver without letting it change anything: only SELECT-like
 * statements (SELECT, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN, FROM …) are accepted, and they run in a
 * READ ONLY transaction that is rolled back. Used by the live sink's endpoint and by `pma query`
 * on a file.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { StatementType } from '@duckdb/node-api';
import { QueryError } from '../../runtime/errors.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface QueryColumn {
  name: string;
  type: string;
}

export interface QueryRows {
  columns: QueryColumn[];
  rows: JsonValue[][];
  /** True when the result had more than the row cap and was cut. */
  truncated: boolean;
}

const ALLOWED = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN]);

/** Runs `sql` (one or more read-only statements; the last one's rows are returned), at most `maxRows` rows. */
export async function runReadOnlyQuery(conn: DuckDBConnection, sql: string, maxRows: number): Promise<QueryRows> {
  let count: number;
  let extracted: Awaited<ReturnType<DuckDBConnection['extractStatements']>>;
  try {
    extracted = await conn.extractStatements(sql);
    count = extracted.count;
  } catch (err) {
    throw new QueryError(`cannot parse the query: ${(err as Error).message}`, { sql: clip(sql) }, { cause: err });
  }
  if (count === 0) throw new QueryError('the query is empty', { sql: clip(sql) });
  const statements = [];
  for (let i = 0; i < count; i++) {
    let prepared: Awaited<ReturnType<typeof extracted.prepare>>;
    try {
      prepared = await extracted.prepare(i);
    } catch (err) {
      throw new QueryError((err as Error).message, { sql: clip(sql), statement: i + 1 }, { cause: err });
    }
    if (!ALLOWED.has(prepared.statementType)) {
      prepared.destroySync();
      throw new QueryError(`statement ${i + 1} is not a query: Silver is read-only here (SELECT, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN only)`, {
        sql: clip(sql),
        statement: i + 1,
      });
    }
    statements.push(prepared);
  }
  await conn.run('BEGIN TRANSACTION READ ONLY');
  try {
    for (const s of statements.slice(0, -1)) await s.run();
    const reader = await statements[statements.length - 1]!.runAndReadUntil(maxRows + 1);
    const columns = reader.columnNames().map((name, i) => ({ name, type: reader.columnType(i).toString() }));
    const rows = reader.getRowsJson() as JsonValue[][];
    const truncated = rows.length > maxRows || !reader.done;
    return { columns, rows: rows.slice(0, maxRows), truncated };
  } catch (err) {
    if (err instanceof QueryError) throw err;
    throw new QueryError((err as Error).message, { sql: clip(sql) }, { cause: err });
  } finally {
    await conn.run('ROLLBACK').catch(() => undefined);
    for (const s of statements) s.destroySync();
  }
}

const clip = (sql: string) => (sql.length > 300 ? `${sql.slice(0, 297)}...` : sql);
