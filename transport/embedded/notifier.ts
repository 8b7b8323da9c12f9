/**
 * Wakes consumers waiting at the end of their partitions as soon as something changes, without
 * busy-looping: at once for writes made through this transport, through an fs.watch of the
 * database directory for writes by other connections and processes (every commit touches the
 * `-wal` file), and, in case the file system does not report changes, through a slow check of
 * `PRAGMA data_version`.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { AbortedError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import type { LogDatabase } from './database.ts';

/** What a waiter saw before it looked for data: if either moved since, there may be news. */
export interface ChangeMark {
  local: number;
  dataVersion: number;
}

export class ChangeNotifier {
  readonly #db: LogDatabase;
  readonly #logger: Logger;
  readonly #safetyPollMs: number;
  readonly #waiters = new Set<() => void>();
  #local = 0;
  #watcher: FSWatcher | undefined;
  #watchFailed = false;
  #safetyTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(db: LogDatabase, logger: Logger, safetyPollMs: number) {
    this.#db = db;
    this.#logger = logger;
    this.#safetyPollMs = safetyPollMs;
  }

  /** Called after every write made through this transport. */
  changed(): void {
    this.#local++;
    this.#wakeAll();
  }

  mark(): ChangeMark {
    return { local: this.#local, dataVersion: this.#db.dataVersion() };
  }

  /**
   * Resolves when something may have changed since `since` (at once if it already has), after
   * `ms`, or when the notifier closes; rejects with AbortedError if `signal` aborts.
   */
  wait(since: ChangeMark, ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError('poll aborted'));
    if (this.#closed || ms <= 0 || this.#movedSince(since)) return Promise.resolve();
    this.#ensureWatching();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', onAbort);
        if (this.#waiters.size === 0) this.#stopSafetyPoll();
        resolve();
      };
      const onAbort = () => {
        done();
        reject(new AbortedError('poll aborted'));
      };
      // setTimeout fires at once beyond 2^31-1 ms; a longer wait simply ends there and the caller polls again.
      const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(done);
      this.#startSafetyPoll(since);
    });
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#stopSafetyPoll();
    this.#wakeAll();
  }

  #movedSince(since: ChangeMark): boolean {
    return this.#local !== since.local || this.#db.dataVersion() !== since.dataVersion;
  }

  #wakeAll(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  #ensureWatching(): void {
    if (this.#watcher || this.#watchFailed) return;
    const file = basename(this.#db.path);
    try {
      // The directory, not the -wal file: SQLite deletes and recreates that file.
      this.#watcher = watch(dirname(this.#db.path), { persistent: false }, (_event, name) => {
        if (this.#waiters.size > 0 && (name === null || name.startsWith(file))) this.#wakeAll();
      });
      this.#watcher.on('error', (err) => {
        this.#logger.warn('embedded log: file watch failed; falling back to polling data_version', { err });
        this.#watcher?.close();
        this.#watcher = undefined;
        this.#watchFailed = true;
      });
    } catch (err) {
      this.#logger.warn('embedded log: cannot watch the log directory; falling back to polling data_version', { err });
      this.#watchFailed = true;
    }
  }

  #startSafetyPoll(since: ChangeMark): void {
    if (this.#safetyTimer) return;
    let seen = since.dataVersion;
    const every = this.#watchFailed ? Math.min(this.#safetyPollMs, 50) : this.#safetyPollMs;
    this.#safetyTimer = setInterval(() => {
      if (!this.#db.isOpen) return;
      const now = this.#db.dataVersion();
      if (now !== seen) {
        seen = now;
        this.#wakeAll();
      }
    }, every);
    this.#safetyTimer.unref();
  }

  #stopSafetyPoll(): void {
    if (this.#safetyTimer) clearInterval(this.#safetyTimer);
    this.#safetyTimer = undefined;
  }
}
