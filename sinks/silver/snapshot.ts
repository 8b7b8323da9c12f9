/**
 * The read-only snapshot of Silver. DuckDB lets one process write a file or many read it, never
 * both, so while the sink runs, readers (DuckDB's CLI, Python, the Tag Manager) open a copy: the
 * sink checkpoints (everything committed moves from the WAL into the file), copies the file to a
 * temporary name beside the snapshot, fsyncs it and renames it over the snapshot. Readers that
 * have the old snapshot open keep reading it; new ones get the new file, never a half-written one.
 *
 * DuckDB's write lock is a POSIX record lock, which the kernel drops when the process closes ANY
 * descriptor of the file. Copying by path (open, read, close) would silently hand the file to a
 * second sink, and both would commit into it. So the copy reads through one descriptor opened
 * once beside DuckDB's and closed only after DuckDB has closed the file.
 */
import { type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
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

const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Publishes snapshots of one open Silver file. Open it while the DuckDB instance holds the file
 * and close it only after the instance is closed.
 */
export class SnapshotPublisher {
  readonly silverPath: string;
  readonly snapshotPath: string;
  readonly #live: FileHandle;

  private constructor(silverPath: string, snapshotPath: string, live: FileHandle) {
    this.silverPath = silverPath;
    this.snapshotPath = snapshotPath;
    this.#live = live;
  }

  static async open(silverPath: string, snapshotPath: string): Promise<SnapshotPublisher> {
    try {
      return new SnapshotPublisher(silverPath, snapshotPath, await open(silverPath, 'r'));
    } catch (err) {
      throw new SinkError(`cannot open Silver to publish its snapshot: ${(err as Error).message}`, { path: silverPath }, { cause: err });
    }
  }

  /**
   * Publishes a snapshot. Returns undefined when DuckDB could not checkpoint because another
   * transaction (a live query) was open: the caller tries again after its next commit.
   */
  async publish(conn: DuckDBConnection): Promise<PublishedSnapshot | undefined> {
    const started = performance.now();
    try {
      await conn.run('CHECKPOINT');
    } catch (err) {
      if (/transaction/i.test((err as Error).message)) return undefined;
      throw new SinkError(`cannot checkpoint Silver for its snapshot: ${(err as Error).message}`, { path: this.silverPath }, { cause: err });
    }
    const tmp = `${this.snapshotPath}.tmp-${process.pid}`;
    try {
      await this.#copyTo(tmp);
      await rename(tmp, this.snapshotPath);
      await syncDir(dirname(this.snapshotPath));
    } catch (err) {
      await rm(tmp, { force: true });
      throw new SinkError(`cannot publish the Silver snapshot: ${(err as Error).message}`, { path: this.snapshotPath }, { cause: err });
    }
    return { path: this.snapshotPath, bytes: (await stat(this.snapshotPath)).size, millis: performance.now() - started, publishedAt: Date.now() };
  }

  /** Only after DuckDB closed the file: closing this descriptor earlier would drop DuckDB's lock. */
  async close(): Promise<void> {
    await this.#live.close();
  }

  async #copyTo(tmp: string): Promise<void> {
    const out = await open(tmp, 'w');
    try {
      const size = (await this.#live.stat()).size;
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      for (let at = 0; at < size; ) {
        const { bytesRead } = await this.#live.read(buffer, 0, Math.min(CHUNK_BYTES, size - at), at);
        if (bytesRead === 0) throw new SinkError(`Silver ended at byte ${at} while its size said ${size}`, { path: this.silverPath, offset: at });
        await out.write(buffer, 0, bytesRead, at);
        at += bytesRead;
      }
      await out.sync();
    } finally {
      await out.close();
    }
  }
}

async function syncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
