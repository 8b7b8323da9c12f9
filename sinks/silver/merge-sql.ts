/**
 * Builds the statements that fold one staged micro-batch into a Silver table. Each column has a
 * rule that decides how a new value meets the stored one, chosen so that the result depends only
 * on the records and, for one key, on their order in the log, never on where batches happen to
 * split or on how partitions interleave:
 *
 * - `latest`: the last non-null value in log order wins (within the batch by arrival, across
 *   batches by COALESCE(new, old)). Used only where every record of a key sits in one partition.
 * - `first`: the first non-null value wins (COALESCE(old, new)): key-only rows a fact adds to a
 *   dimension, which must never overwrite what the dimension's own records say.
 * - `min` / `max`: commutative, for first/last-seen times fed from several topics.
 *
 * Two write strategies: `upsert` (INSERT … ON CONFLICT on an indexed dimension) and `antijoin`
 * (one MERGE that updates keys already present and inserts the rest, for unindexed facts; DuckDB
 * builds the join's hash table on the small batch and probes the fact, so no index is kept).
 */

export type MergeRule = 'key' | 'latest' | 'first' | 'min' | 'max';

export interface MergeColumn {
  /** Target column. */
  name: string;
  /** SQL over one staged row (after `from`/`where`), giving the column's value. */
  expr: string;
  rule: MergeRule;
}

export interface TableMerge {
  /** Target table. */
  table: string;
  /** Rows to fold: a FROM clause over staging, with `_seq` in scope. */
  from: string;
  where?: string;
  columns: MergeColumn[];
  strategy: 'upsert' | 'antijoin';
  /** For `upsert`: the conflict target, when it is not the key columns. */
  conflict?: string[];
}

const q = (name: string) => `"${name}"`;

function aggregate(c: MergeColumn): string {
  const v = q(c.name);
  switch (c.rule) {
    case 'key':
      return v;
    case 'latest':
      return `arg_max(${v}, _seq) FILTER (WHERE ${v} IS NOT NULL) AS ${v}`;
    case 'first':
      return `arg_min(${v}, _seq) FILTER (WHERE ${v} IS NOT NULL) AS ${v}`;
    case 'min':
      return `min(${v}) AS ${v}`;
    case 'max':
      return `max(${v}) AS ${v}`;
  }
}

function combine(c: MergeColumn, stored: string, incoming: string): string {
  switch (c.rule) {
    case 'key':
      return stored;
    case 'latest':
      return `COALESCE(${incoming}, ${stored})`;
    case 'first':
      return `COALESCE(${stored}, ${incoming})`;
    case 'min':
      return `LEAST(${stored}, ${incoming})`;
    case 'max':
      return `GREATEST(${stored}, ${incoming})`;
  }
}

/**
 * The statements that turn staged rows into a batch with one row per key: `project` computes
 * every column once per staged row into `<name>_p`; `duplicates` counts keys seen more than once;
 * only when there are some does `aggregate` fold them into `<name>` (most batches have none, and
 * skip the costlier aggregation; the projection then serves as the batch).
 */
export interface BatchStatements {
  project: string;
  duplicates: string;
  aggregate: string;
  projected: string;
  aggregated: string;
}

export function batchStatements(m: TableMerge, name: string): BatchStatements {
  const keys = m.columns.filter((c) => c.rule === 'key').map((c) => q(c.name));
  const projected = `${name}_p`;
  const columns = ['_seq', ...m.columns.map((c) => `${c.expr} AS ${q(c.name)}`)].join(', ');
  const where = m.where ? ` WHERE ${m.where}` : '';
  return {
    project: `CREATE OR REPLACE TEMP TABLE ${projected} AS SELECT ${columns} FROM ${m.from}${where}`,
    duplicates: `SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT ${keys.join(', ')} FROM ${projected})) FROM ${projected}`,
    aggregate: `CREATE OR REPLACE TEMP TABLE ${name} AS SELECT ${m.columns.map(aggregate).join(', ')} FROM ${projected} GROUP BY ${keys.join(', ')}`,
    projected,
    aggregated: name,
  };
}

/**
 * For `antijoin` merges, the two statements that replace the MERGE when no key of the batch is
 * stored yet (every batch of a rebuild, and nearly every one of a live sink): `matches` counts the
 * batch's keys already in the table; when it finds none, `insert` appends the batch as it is,
 * which is what the MERGE would do, at about half its cost.
 */
export function appendStatements(m: TableMerge, batchTable: string): { matches: string; insert: string } {
  const keys = m.columns.filter((c) => c.rule === 'key');
  const match = keys.map((k) => `t.${q(k.name)} = b.${q(k.name)}`).join(' AND ');
  const names = m.columns.map((c) => q(c.name)).join(', ');
  return {
    matches: `SELECT count(*) FROM ${batchTable} AS b SEMI JOIN ${m.table} AS t ON ${match}`,
    insert: `INSERT INTO ${m.table} (${names}) SELECT ${names} FROM ${batchTable}`,
  };
}

/** The statements that fold `batchTable` into the target table. */
export function foldStatements(m: TableMerge, batchTable: string): string[] {
  const keys = m.columns.filter((c) => c.rule === 'key');
  const rest = m.columns.filter((c) => c.rule !== 'key');
  const names = m.columns.map((c) => q(c.name)).join(', ');
  if (m.strategy === 'upsert') {
    const target = (m.conflict ?? keys.map((k) => k.name)).map(q).join(', ');
    const action = rest.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${rest.map((c) => `${q(c.name)} = ${combine(c, `${m.table}.${q(c.name)}`, `excluded.${q(c.name)}`)}`).join(', ')}`;
    return [`INSERT INTO ${m.table} (${names}) SELECT ${names} FROM ${batchTable} ON CONFLICT (${target}) ${action}`];
  }
  const match = keys.map((k) => `t.${q(k.name)} = b.${q(k.name)}`).join(' AND ');
  const update = rest.length === 0 ? '' : ` WHEN MATCHED THEN UPDATE SET ${rest.map((c) => `${q(c.name)} = ${combine(c, `t.${q(c.name)}`, `b.${q(c.name)}`)}`).join(', ')}`;
  return [`MERGE INTO ${m.table} AS t USING ${batchTable} AS b ON ${match}${update} ` + `WHEN NOT MATCHED THEN INSERT (${names}) VALUES (${m.columns.map((c) => `b.${q(c.name)}`).join(', ')})`];
}
