/**
 * What the two node:sqlite stores (the embedded log and the embedded registry, which may share
 * one file) do the same way: the layout of a new file, cached prepared statements, and
 * transactions that commit whole or roll back.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { type FullDisk, fullDiskAt } from './errors/disk-full.ts';

/**
 * Page size and vacuum mode for a new file: log batches are blobs of tens of KiB, which fewer,
 * larger pages hold better. SQLite applies these only before the file's first table, so whichever
 * store creates the file sets them.
 */
export const NEW_FILE_PRAGMAS = 'PRAGMA page_size=16384; PRAGMA auto_vacuum=INCREMENTAL;';

/** A prepared statement, compiled once per connection and kept in `cache`. */
export function cachedStatement(db: DatabaseSync, cache: Map<string, StatementSync>, sql: string): StatementSync {
  let st = cache.get(sql);
  if (!st) {
    st = db.prepare(sql);
    cache.set(sql, st);
  }
  return st;
}

/**
 * Runs `fn` in a transaction opened with `begin` (`BEGIN IMMEDIATE` takes the write lock up front,
 * so no upgrade can fail later): all of it commits, or it is rolled back. `fail` turns a failure
 * into the error to throw; `starting` is true when the transaction could not even be opened.
 */
export function inTransaction<T>(db: DatabaseSync, begin: string, fn: () => T, fail: (err: unknown, starting: boolean) => unknown): T {
  try {
    db.exec(begin);
  } catch (err) {
    throw fail(err, true);
  }
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw fail(err, false);
  }
}

/** SQLite's primary result codes for a failure the disk filling up can cause. */
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;

/**
 * For a node:sqlite failure on the file at `path`: the full disk behind it, if that is what it
 * was. SQLite names a full disk only where it checks (SQLITE_FULL); growing the `-shm` file or
 * writing the WAL on a full disk comes back as a plain I/O error or a file it cannot open.
 */
export function sqliteFullDisk(err: unknown, path: string): FullDisk | undefined {
  const errcode = (err as { errcode?: unknown })?.errcode;
  if (typeof errcode !== 'number') return undefined;
  const primary = errcode & 0xff;
  if (primary !== SQLITE_IOERR && primary !== SQLITE_FULL && primary !== SQLITE_CANTOPEN) return undefined;
  return fullDiskAt(path);
}
