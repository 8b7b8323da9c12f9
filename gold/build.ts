/**
 * Materialises Gold on demand: a new DuckDB file is built beside the Gold file from Silver
 * (attached read-only: the Silver file, or its snapshot while a sink holds the file), every
 * table in dependency order, then renamed over the old one, so readers never see half of it.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Registry } from 'prom-client';
import { QueryError } from '../runtime/errors.ts';
import { defaultSnapshotPath } from '../sinks/silver/snapshot.ts';
import { GoldMetrics } from './metrics.ts';
import { BACKTEST_TABLES } from './tables/backtest.ts';
import { CALIBRATION_TABLES } from './tables/calibration.ts';
import { HOLDER_TABLES } from './tables/holders.ts';
import { MARKET_TABLES } from './tables/markets.ts';
import { PRICE_TABLES } from './tables/prices.ts';
import { TRADER_TABLES } from './tables/traders.ts';
import { DEFAULT_GOLD_PARAMETERS, type GoldParameters, type GoldTable, lit } from './tables/types.ts';

/** Every Gold table, in the order they are built (later ones read earlier ones). */
export const GOLD_TABLES: readonly GoldTable[] = [...MARKET_TABLES, ...TRADER_TABLES, ...PRICE_TABLES, ...CALIBRATION_TABLES, ...HOLDER_TABLES, ...BACKTEST_TABLES];

export interface GoldBuildOptions {
  silverPath: string;
  /** Default: beside the Silver file. */
  snapshotPath?: string;
  goldPath: string;
  parameters?: Partial<GoldParameters>;
}

export interface GoldBuildResult {
  goldPath: string;
  /** What Gold was built from: the Silver file, or its snapshot (with the snapshot's time). */
  source: { kind: 'file' | 'snapshot'; path: string; asOf?: number };
  tables: Array<{ name: string; rows: number; description: string }>;
  millis: number;
}

export interface GoldBuildDeps {
  /** Where the build's Prometheus metrics go (a private registry if absent). */
  metrics?: Registry;
}

export async function buildGold(options: GoldBuildOptions, deps: GoldBuildDeps = {}): Promise<GoldBuildResult> {
  const metrics = new GoldMetrics(deps.metrics ?? new Registry());
  try {
    const result = await build(options);
    metrics.built(result.millis, result.tables);
    return result;
  } catch (err) {
    metrics.failed();
    throw err;
  }
}

async function build(options: GoldBuildOptions): Promise<GoldBuildResult> {
  const started = performance.now();
  const parameters: GoldParameters = { ...DEFAULT_GOLD_PARAMETERS, ...options.parameters };
  mkdirSync(dirname(options.goldPath), { recursive: true });
  const building = `${options.goldPath}.building`;
  for (const f of [building, `${building}.wal`]) rmSync(f, { force: true });
  const instance = await DuckDBInstance.create(building);
  const conn = await instance.connect();
  const tables: GoldBuildResult['tables'] = [];
  let source: GoldBuildResult['source'];
  try {
    source = await attachSilver(conn, options.silverPath, options.snapshotPath ?? defaultSnapshotPath(options.silverPath));
    await conn.run('BEGIN TRANSACTION');
    for (const t of GOLD_TABLES) {
      try {
        if (t.build) await t.build(conn, parameters);
        else await conn.run(`CREATE TABLE ${t.name} AS ${t.select(parameters)}`);
      } catch (err) {
        throw new QueryError(`Gold table ${t.name} failed: ${(err as Error).message}`, { table: t.name }, { cause: err });
      }
      const n = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${t.name}`)).getRows()[0]![0]);
      tables.push({ name: t.name, rows: n, description: t.description });
    }
    await conn.run(`CREATE TABLE gold_tables AS SELECT * FROM (VALUES ${tables.map((t) => `(${lit(t.name)}, ${t.rows}, ${lit(t.description)})`).join(', ')}) v(name, rows, description)`);
    await conn.run(
      `CREATE TABLE gold_build AS SELECT now()::TIMESTAMP AS built_at, ${lit(source.kind)} AS silver_source, ${lit(source.path)} AS silver_path, ` + `${lit(JSON.stringify(parameters))} AS parameters`,
    );
    await conn.run(`CREATE TABLE gold_silver_offsets AS SELECT * FROM silver.silver_offsets`);
    await conn.run('COMMIT');
    await conn.run('DETACH silver');
    await conn.run('CHECKPOINT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    conn.closeSync();
    instance.closeSync();
    for (const f of [building, `${building}.wal`]) rmSync(f, { force: true });
    throw err;
  }
  conn.closeSync();
  instance.closeSync();
  rmSync(`${options.goldPath}.wal`, { force: true });
  renameSync(building, options.goldPath);
  return { goldPath: options.goldPath, source, tables, millis: performance.now() - started };
}

/** Attaches Silver as `silver`: the file when no process holds it, else its snapshot. */
async function attachSilver(conn: Awaited<ReturnType<DuckDBInstance['connect']>>, silverPath: string, snapshotPath: string): Promise<GoldBuildResult['source']> {
  const attach = (path: string) => conn.run(`ATTACH ${lit(path)} AS silver (READ_ONLY)`);
  if (existsSync(silverPath)) {
    try {
      await attach(silverPath);
      return { kind: 'file', path: silverPath };
    } catch (err) {
      if (!/lock/i.test((err as Error).message) || !existsSync(snapshotPath)) {
        throw new QueryError(`cannot read Silver at ${silverPath}: ${(err as Error).message}`, { path: silverPath }, { cause: err });
      }
    }
  }
  if (!existsSync(snapshotPath)) {
    throw new QueryError(`no Silver at ${silverPath} (nor a snapshot): build it first with "pma sink --layer silver" or "npm start"`, { path: silverPath });
  }
  await attach(snapshotPath);
  return { kind: 'snapshot', path: snapshotPath, asOf: statSync(snapshotPath).mtimeMs };
}
