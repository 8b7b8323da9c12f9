/**
 * The read-only snapshot of Silver. DuckDB lets one process write a file or many read it, never
 * both, so while the sink runs, readers (DuckDB's CLI, Python, the Tag Manager) open a copy: the
 * sink checkpoints (everything committed moves from the WAL into the file), copies the file to a
 * temporary name beside the snapshot, fsyncs it and renames it over the snapshot. Readers that
 * have the old snapshot open keep reading it; new ones get the new file, never a half-written one.
 */
import { closeSync, copyFileSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { SinkError } from '../../runtime/errors.ts';

/** The snapshot file beside a Silver file: `silver.duckdb` gives `silver.snapshot.duckdb`. */
export function defaultSnapshotPath(silverPath: string): string {
  const name = basename(silverPath);
  const stem = name.endsWith('.duckdb') ? name.slice(0, -'.duckdb'.length) : name;
  return join(dirname(silverPath), `${stem}.snapshot.duckdb`);
}

export interface PublishedSnapshot {
  path: string;
  bytes: number;
  millis: number;
  publishedAt: number;
}

/**
 * Publishes a snapshot. Returns undefined when DuckDB could not checkpoint because another
 * transaction (a live query) was open: the caller tries again after its next commit.
 */
export async function publishSnapshot(conn: DuckDBConnection, silverPath: string, snapshotPath: string): Promise<PublishedSnapshot | undefined> {
  const started = performance.now();
  try {
    await conn.run('CHECKPOINT');
  } catch (err) {
    if (/transaction/i.test((err as Error).message)) return undefined;
    throw new SinkError(`cannot checkpoint Silver for its snapshot: ${(err as Error).message}`, { path: silverPath }, { cause: err });
  }
  const tmp = `${snapshotPath}.tmp-${process.pid}`;
  try {
    copyFileSync(silverPath, tmp);
    syncPath(tmp);
    renameSync(tmp, snapshotPath);
    syncPath(dirname(snapshotPath));
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new SinkError(`cannot publish the Silver snapshot: ${(err as Error).message}`, { path: snapshotPath }, { cause: err });
  }
  return { path: snapshotPath, bytes: statSync(snapshotPath).size, millis: performance.now() - started, publishedAt: Date.now() };
}

function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
