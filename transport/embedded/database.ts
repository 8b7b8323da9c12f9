/**
 * One SQLite connection to the embedded log: opened in WAL mode with `synchronous=FULL` (a
 * commit returns only once the WAL is fsynced), a busy timeout so several OS processes can
 * share the file, cached prepared statements, and transactions that map SQLite failures to
 * TransportError.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { describeFullDisk, type ErrorContext, fullDiskAt, PmaError, TransportError } from '../../runtime/errors.ts';
import { cachedStatement, inTransaction, NEW_FILE_PRAGMAS, sqliteFullDisk } from '../../runtime/sqlite.ts';
import { migrate } from './schema.ts';

export interface DatabaseOptions {
  /** How long a write waits for another process's write lock before failing. */
  busyTimeoutMs: number;
}

export class LogDatabase {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #dataVersion: StatementSync;

  constructor(path: string, options: DatabaseOptions) {
    this.path = path;
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.#db = new DatabaseSync(path, { timeout: options.busyTimeoutMs });
    } catch (err) {
      throw asTransportError(err, 'cannot open the embedded log', { path }, true);
    }
    try {
      this.#db.exec(NEW_FILE_PRAGMAS);
      this.#db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;');
      this.#db.exec('PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=4000; PRAGMA journal_size_limit=67108864;');
      this.write(() => migrate(this.#db));
    } catch (err) {
      this.#db.close();
      throw asTransportError(err, 'cannot prepare the embedded log', { path });
    }
    this.#dataVersion = this.#db.prepare('PRAGMA data_version');
  }

  /** A prepared statement, compiled once per connection. */
  stmt(sql: string): StatementSync {
    return cachedStatement(this.#db, this.#statements, sql);
  }

  /** Runs `fn` in a write transaction (BEGIN IMMEDIATE): all of it commits durably, or none. */
  write<T>(fn: () => T, context: ErrorContext = {}): T {
    return this.#transaction('BEGIN IMMEDIATE', fn, context);
  }

  /** Runs `fn` in a read transaction: every statement inside sees the same snapshot. */
  read<T>(fn: () => T, context: ErrorContext = {}): T {
    return this.#transaction('BEGIN', fn, context);
  }

  /** Changes whenever another connection (any process) commits: a cheap "anything new?" probe. */
  dataVersion(): number {
    return (this.#dataVersion.get() as { data_version: number }).data_version;
  }

  /** Runs a statement outside any transaction (maintenance pragmas). */
  exec(sql: string): void {
    this.#db.exec(sql);
  }

  get isOpen(): boolean {
    return this.#db.isOpen;
  }

  close(): void {
    if (!this.#db.isOpen) return;
    this.#statements.clear();
    this.#db.close();
  }

  #transaction<T>(begin: string, fn: () => T, context: ErrorContext): T {
    if (!this.#db.isOpen) throw new TransportError('the embedded log is closed', { path: this.path, ...context });
    if (this.#db.isTransaction) return fn();
    return inTransaction(this.#db, begin, fn, (err, starting) =>
      asTransportError(err, starting ? 'cannot start a transaction on the embedded log' : 'embedded log operation failed', { path: this.path, ...context }),
    );
  }
}

/**
 * Wraps SQLite failures (and, with `anyFailure`, any other, such as creating the directory) with
 * what was being done, and with the full disk when that is what made the write fail; catalogue
 * errors pass through unchanged.
 */
export function asTransportError(err: unknown, message: string, context: ErrorContext & { path: string }, anyFailure = false): unknown {
  if (err instanceof PmaError) return err;
  const isSqlite = (err as { code?: unknown })?.code === 'ERR_SQLITE_ERROR';
  if (!isSqlite && !anyFailure) return err;
  const detail = err instanceof Error ? err.message : String(err);
  const full = isSqlite ? sqliteFullDisk(err, context.path) : (err as NodeJS.ErrnoException)?.code === 'ENOSPC' ? fullDiskAt(context.path) : undefined;
  const sqliteCode = isSqlite ? { sqliteCode: (err as { errcode?: number }).errcode } : {};
  const disk = full ? { diskFull: true, freeBytes: full.freeBytes } : {};
  return new TransportError(`${message}${full ? `: ${describeFullDisk(full)}` : ''}: ${detail}`, { ...context, ...sqliteCode, ...disk }, { cause: err });
}
