/**
 * Rebuilding Silver from the topics (`pma replay --layer silver`), with a fresh consumer group:
 *
 * - from the beginning: a new file is built beside the target (or in `--into`), then swapped in
 *   atomically, the old file kept as `<file>.previous`, and the snapshot republished. A rebuild
 *   gives the same rows as the incrementally built file (same keys, same merge rules).
 * - from a time: the records from that time on are applied again to the existing file (or to a
 *   copy of it in `--into`). Every merge is idempotent, so this repairs without duplicating.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SinkError } from '../../runtime/errors.ts';
import { readAdvert } from './endpoint.ts';
import { runSilverSink, type SilverSinkDeps, type SilverSinkResult } from './sink.ts';
import { defaultSnapshotPath, SnapshotPublisher } from './snapshot.ts';
import { openSilverDatabase } from './writer.ts';

export interface SilverRebuildOptions {
  /** The Silver file being rebuilt. */
  silverPath: string;
  /** Build in this directory (`<into>/silver.duckdb`) and leave `silverPath` alone. */
  into?: string;
  start: { from: 'beginning' } | { from: 'timestamp'; timestamp: number };
  groupId: string;
  batchRows: number;
  memoryLimit?: string;
}

export interface SilverRebuildResult extends SilverSinkResult {
  /** Where the previous file was kept, when one was replaced. */
  previous?: string;
}

export async function rebuildSilver(options: SilverRebuildOptions, deps: SilverSinkDeps): Promise<SilverRebuildResult> {
  const inPlace = options.into === undefined;
  if (inPlace) {
    const running = readAdvert(options.silverPath);
    if (running) {
      throw new SinkError(`a Silver sink (pid ${running.pid}) is writing ${options.silverPath}: stop it first, or replay --into another directory`, {
        path: options.silverPath,
      });
    }
  }
  const target = inPlace ? options.silverPath : join(options.into!, 'silver.duckdb');
  if (!inPlace) {
    mkdirSync(options.into!, { recursive: true });
    if (existsSync(target)) throw new SinkError(`${target} exists already: choose an empty --into directory`, { path: target });
  }
  const run = (path: string, start: SilverRebuildOptions['start']) =>
    runSilverSink(
      {
        path,
        snapshotPath: null,
        snapshotIntervalMs: Number.MAX_SAFE_INTEGER,
        groupId: options.groupId,
        batchRows: options.batchRows,
        batchMaxMs: 5_000,
        start,
        until: 'caught-up',
        serveQueries: false,
        memoryLimit: options.memoryLimit,
      },
      deps,
    );

  if (options.start.from === 'timestamp') {
    if (!inPlace && existsSync(options.silverPath)) {
      copyFileSync(options.silverPath, target);
      if (existsSync(`${options.silverPath}.wal`)) copyFileSync(`${options.silverPath}.wal`, `${target}.wal`);
    }
    const result = await run(target, options.start);
    if (inPlace) await republish(target);
    return result;
  }

  const building = inPlace ? `${target}.rebuild` : target;
  if (inPlace) for (const leftover of [building, `${building}.wal`]) rmSync(leftover, { force: true });
  const result = await run(building, options.start);
  if (!inPlace) return result;
  const previous = `${target}.previous`;
  for (const old of [previous, `${previous}.wal`]) rmSync(old, { force: true });
  if (existsSync(target)) renameSync(target, previous);
  if (existsSync(`${target}.wal`)) renameSync(`${target}.wal`, `${previous}.wal`);
  renameSync(building, target);
  await republish(target);
  return { ...result, path: target, previous: existsSync(previous) ? previous : undefined };
}

/** Publishes the snapshot of a freshly rebuilt file, so readers of the snapshot see it too. */
async function republish(path: string): Promise<void> {
  const instance = await openSilverDatabase(path);
  const conn = await instance.connect();
  const snapshots = await SnapshotPublisher.open(path, defaultSnapshotPath(path)).catch((err: unknown) => {
    conn.closeSync();
    instance.closeSync();
    throw err;
  });
  try {
    await snapshots.publish(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
    await snapshots.close();
  }
}
