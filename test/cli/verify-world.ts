/**
 * A whole data dir built from the simulator for the `pma verify` specs: ingest, processors, Bronze
 * (small write groups, no compaction, so partitions have files in the middle to lose) and Silver
 * with its snapshot. Each test damages its own copy; the truth and the healthy Silver file are the
 * oracles a repair is judged by.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Registry } from 'prom-client';
import { runProcessors } from '../../processors/index.ts';
import { runIngest } from '../../producers/run.ts';
import { ingestSettingsSchema } from '../../producers/settings.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { type Simulator, startSimulator, type TruthRecord } from '../../simulator/index.ts';
import { runBronzeSink } from '../../sinks/bronze/index.ts';
import { defaultSnapshotPath, runSilverSink } from '../../sinks/silver/index.ts';
import { runChild } from '../run-child.ts';
import { openLogHarness } from '../sinks/log-harness.ts';

const PMA = new URL('../../cli/pma.ts', import.meta.url).pathname;

export interface VerifyWorld {
  /** The healthy data dir; copy it before damaging. */
  dir: string;
  truth(type: TruthRecord['type']): TruthRecord[];
  copy(): string;
  close(): Promise<void>;
}

export async function buildVerifyWorld(): Promise<VerifyWorld> {
  const sim: Simulator = await startSimulator({ port: 0, seed: 11, markets: 12, tradesPerMarket: 30, pricePoints: 20, leaderboardSize: 10, limits: false });
  const h = await openLogHarness();
  const copies: string[] = [];
  try {
    const signal = new AbortController().signal;
    const settings = ingestSettingsSchema.parse({ source: 'sim', rateLimits: 'off', attempts: 8, retryBaseMs: 5, retryMaxMs: 100, resolution: 'minute' });
    await runIngest({ ...settings, urls: sim.urls }, { transport: h.transport, serde: h.serde, logger: silentLogger, signal, metrics: new Registry() });
    await runProcessors({}, { transport: h.transport, serde: h.serde, logger: silentLogger, signal, until: 'caught-up' });
    await runBronzeSink({ dataDir: h.dir, rollRows: 40, compactEveryMs: 0 }, { transport: h.transport, serde: h.serde, logger: silentLogger, signal, until: 'caught-up' });
    const silverPath = join(h.dir, 'silver.duckdb');
    await runSilverSink(
      { path: silverPath, snapshotPath: defaultSnapshotPath(silverPath), batchRows: 5_000, batchMaxMs: 500, until: 'caught-up', serveQueries: false },
      { transport: h.transport, serde: h.serde, logger: silentLogger, signal },
    );
  } finally {
    await h.close();
  }
  const truth = new Map<string, TruthRecord[]>();
  return {
    dir: h.dir,
    truth(type) {
      let list = truth.get(type);
      if (!list) {
        list = [...sim.truth({ types: [type] })];
        truth.set(type, list);
      }
      return list;
    },
    copy() {
      const to = mkdtempSync(join(tmpdir(), 'pma-verify-'));
      cpSync(h.dir, to, { recursive: true, verbatimSymlinks: true });
      copies.push(to);
      return to;
    },
    async close() {
      await sim.close();
      for (const c of copies) rmSync(c, { recursive: true, force: true });
      h.remove();
    },
  };
}

export interface Verified {
  code: number | null;
  stdout: string;
  stderr: string;
  json?: { ok: boolean; findings: Array<Record<string, unknown>> };
}

/** Runs `pma --data-dir <dir> <args...>`; parses stdout as JSON when --json was asked. */
export async function pma(dir: string, ...args: string[]): Promise<Verified> {
  const r = await runChild(process.execPath, [PMA, '--data-dir', dir, '--log-level', 'error', ...args]);
  return args.includes('--json') && r.stdout.trim().startsWith('{') ? { ...r, json: JSON.parse(r.stdout) } : r;
}

/** Rows of one Bronze type, read with DuckDB as any reader would. */
export async function bronzeRows(dir: string, type: string): Promise<Array<Record<string, unknown>>> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    return (await con.runAndReadAll(`SELECT * FROM read_parquet('${join(dir, 'bronze', type)}/*/*.parquet', hive_partitioning = true)`)).getRowObjectsJS() as Array<Record<string, unknown>>;
  } finally {
    con.closeSync();
    db.closeSync();
  }
}
