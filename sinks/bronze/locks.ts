/**
 * The locks that let several Bronze sinks write one Bronze directory (lock files in `.locks/`):
 *
 * - `sink-<token>.lock`, one per running sink: maintenance (`pma compact`, `pma verify --repair`)
 *   holds the directory's `.lock` and runs only while no sink does, and a sink refuses to start
 *   while maintenance runs. Each side writes its own lock before it looks for the other's, so at
 *   least one of two that start together sees the other.
 * - `<topic>+<partition>.lock`: the one sink that writes a partition. A sink the consumer group
 *   gives a partition writes it only once it holds this lock, and then resumes from the partition's
 *   files; it releases the lock after its last group of that partition is published.
 * - `dt+<type>+<dt>.lock`, held for moments: the rename of a file into a dt directory, and
 *   compaction's swap of that directory's generation, never interleave (compact.ts).
 * - `compaction.lock`: one sink compacts (and settles generations) at a time.
 *
 * A sink refreshes its locks' leases every third of `leaseMs`, for sinks on other hosts.
 */
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SinkError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { parsePartitionKey } from '../../transport/partition-key.ts';
import { acquireDirLock, type DirLock, dirLockPath } from '../common/dir-lock.ts';
import { DEFAULT_LEASE_MS, type HeldLock, type LockHolder, type LockOwner, liveHolder, lockHolderState, newLockOwner, tryLock, waitLock } from '../common/lock-file.ts';
import { sinkWriteError } from '../common/write-error.ts';

export const LOCKS_DIR = '.locks';
/** A dt lock is held for a rename or a swap; this long means its holder is stuck. */
const DT_LOCK_TIMEOUT_MS = 60_000;

export type DtLocker = <T>(type: string, dt: string, step: () => Promise<T>) => Promise<T>;

export class BronzeLocks {
  readonly #dir: string;
  readonly #owner: LockOwner = newLockOwner();
  readonly #leaseMs: number;
  readonly #log: Logger;
  readonly #partitions = new Map<string, HeldLock>();
  /** Partitions whose lock another live sink held when last tried, with that holder (logged once each). */
  readonly #waiting = new Map<string, LockHolder>();
  #member!: HeldLock;
  #heartbeat: NodeJS.Timeout | undefined;

  private constructor(root: string, leaseMs: number, logger: Logger) {
    this.#dir = join(root, LOCKS_DIR);
    this.#leaseMs = leaseMs;
    this.#log = logger;
  }

  /** Registers a sink on `root`; refuses while maintenance holds the directory. */
  static async open(root: string, logger: Logger, leaseMs = DEFAULT_LEASE_MS): Promise<BronzeLocks> {
    const locks = new BronzeLocks(root, leaseMs, logger);
    await mkdir(locks.#dir, { recursive: true }).catch((err: unknown) => {
      throw sinkWriteError(err, 'cannot create the directory', locks.#dir);
    });
    const member = await tryLock(join(locks.#dir, `sink-${locks.#owner.token}.lock`), locks.#owner, leaseMs);
    if (!member.lock) throw new SinkError(`cannot register the Bronze sink in ${locks.#dir}`, { path: locks.#dir });
    locks.#member = member.lock;
    await locks.#sweepDeadMembers();
    const maintenance = await liveHolder(dirLockPath(root), leaseMs);
    if (maintenance) {
      await member.lock.release();
      throw new SinkError(`a Bronze compaction or repair (pid ${maintenance.pid}) is working on ${root}; start the sink when it has finished`, { path: root, pid: maintenance.pid });
    }
    locks.#heartbeat = setInterval(() => void locks.#touchAll(), Math.max(1_000, leaseMs / 3));
    locks.#heartbeat.unref();
    return locks;
  }

  /** Takes the locks of these partitions that no live sink holds; returns the keys now held. */
  async claim(keys: Iterable<string>): Promise<string[]> {
    const got: string[] = [];
    for (const key of keys) {
      if (this.#partitions.has(key)) {
        got.push(key);
        continue;
      }
      const attempt = await tryLock(this.#partitionPath(key), this.#owner, this.#leaseMs);
      if (attempt.lock) {
        this.#partitions.set(key, attempt.lock);
        this.#waiting.delete(key);
        got.push(key);
      } else if (!this.#waiting.has(key)) {
        this.#waiting.set(key, attempt.holder);
        this.#log.warn('another Bronze sink still holds a partition given to this one; waiting for it to let go', { ...parsePartitionKey(key), pid: attempt.holder.pid, host: attempt.holder.host });
      }
    }
    return got;
  }

  /** Whether this sink still holds the partition's lock on disk (false once another sink took it over). */
  async holds(key: string): Promise<boolean> {
    const lock = this.#partitions.get(key);
    return lock !== undefined && (await lock.held());
  }

  async release(key: string): Promise<void> {
    const lock = this.#partitions.get(key);
    this.#partitions.delete(key);
    this.#waiting.delete(key);
    await lock?.release();
  }

  /** Runs `step` holding the dt directory's lock. */
  readonly withDt: DtLocker = async (type, dt, step) => {
    const lock = await waitLock(join(this.#dir, `dt+${type}+${dt}.lock`), this.#owner, DT_LOCK_TIMEOUT_MS, this.#leaseMs);
    try {
      return await step();
    } finally {
      await lock.release();
    }
  };

  /** The compaction lock if no live sink holds it. */
  async tryCompaction(): Promise<HeldLock | undefined> {
    return (await tryLock(join(this.#dir, 'compaction.lock'), this.#owner, this.#leaseMs)).lock;
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    for (const key of [...this.#partitions.keys()]) await this.release(key);
    await this.#member.release();
  }

  /** Member files of sinks that were killed: nothing else deletes them. */
  async #sweepDeadMembers(): Promise<void> {
    for (const name of await memberFiles(this.#dir)) {
      const path = join(this.#dir, name);
      if (path === this.#member.path || (await liveHolder(path, this.#leaseMs))) continue;
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }

  #partitionPath(key: string): string {
    const { topic, partition } = parsePartitionKey(key);
    return join(this.#dir, `${topic}+${partition}.lock`);
  }

  async #touchAll(): Promise<void> {
    try {
      await this.#member.touch();
      for (const lock of this.#partitions.values()) await lock.touch();
    } catch (err) {
      this.#log.warn('refreshing the Bronze locks failed; sinks on other hosts may take partitions over', { err });
    }
  }
}

/** `.lock` for maintenance of a Bronze directory, refused while a sink (or other maintenance) runs. */
export async function acquireMaintenanceLock(root: string): Promise<DirLock> {
  const lock = await acquireDirLock(root, 'Bronze sink or compaction');
  const sink = await liveSink(root);
  if (sink) {
    await lock.release();
    throw new SinkError(`another Bronze sink or compaction (pid ${sink.pid}) is writing ${root}; stop it first`, { path: root, pid: sink.pid });
  }
  return lock;
}

/** A running sink registered on `root`, if any. */
export async function liveSink(root: string): Promise<LockHolder | undefined> {
  const dir = join(root, LOCKS_DIR);
  for (const name of await memberFiles(dir)) {
    const holder = await liveHolder(join(dir, name));
    if (holder) return holder;
  }
  return undefined;
}

/** Every sink registered on `root`, alive or left behind by a kill (until the next sink sweeps it). */
export async function registeredSinks(root: string): Promise<Array<LockHolder & { alive: boolean }>> {
  const dir = join(root, LOCKS_DIR);
  const out: Array<LockHolder & { alive: boolean }> = [];
  for (const name of await memberFiles(dir)) {
    const holder = await lockHolderState(join(dir, name));
    if (holder) out.push(holder);
  }
  return out;
}

async function memberFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names.filter((name) => name.startsWith('sink-') && name.endsWith('.lock'));
}
