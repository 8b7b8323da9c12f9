/**
 * Lock files for writers that share a directory, on one machine or on several over a shared disk.
 *
 * A lock is a file created exclusively, holding its owner's pid, host and a token unique to the
 * owner. Another writer takes it over only once the owner is gone: on the same host, when its pid
 * no longer runs (a SIGKILLed sink frees its locks at once); from another host, when the owner
 * stopped refreshing the file's mtime for `leaseMs` (`touch`), since a pid means nothing there.
 * Because a paused owner can outlive its lease, an owner checks that the file still carries its
 * token (`held`) right before each step that must be its alone.
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { SinkError } from '../../runtime/errors.ts';
import { sinkWriteError } from './write-error.ts';

export interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

/** Who holds a lock someone else asked for. */
export interface LockHolder {
  pid: number;
  host: string;
}

export interface HeldLock {
  readonly path: string;
  /** Whether the file still carries this owner's token. */
  held(): Promise<boolean>;
  /** Refreshes the lease (the file's mtime). */
  touch(): Promise<void>;
  /** Deletes the file if it is still this owner's. */
  release(): Promise<void>;
}

export type LockAttempt = { lock: HeldLock; holder?: undefined } | { lock?: undefined; holder: LockHolder };

export const DEFAULT_LEASE_MS = 30_000;
/** A lock file with no readable owner yet is being created; older than this, it was left by a kill. */
const UNWRITTEN_GRACE_MS = 2_000;
/**
 * Tokens of the locks this process holds. A lock naming this process's pid with another token was
 * left by an earlier process that had the same pid (a container restarted: pids repeat there).
 */
const heldHere = new Set<string>();

export function newLockOwner(): LockOwner {
  return { pid: process.pid, host: hostname(), token: randomUUID() };
}

/** One attempt: the lock, or who holds it when that owner is alive. Takes over a dead owner's lock. */
export async function tryLock(path: string, owner: LockOwner, leaseMs = DEFAULT_LEASE_MS): Promise<LockAttempt> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${JSON.stringify(owner)}\n`);
        await handle.sync();
      } catch (err) {
        // A lock file we could not write out (a full disk) is nobody's: leave none behind.
        await handle.close();
        await unlink(path).catch(() => undefined);
        throw sinkWriteError(err, 'cannot write the lock file', path);
      }
      await handle.close();
      return { lock: heldLock(path, owner) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw sinkWriteError(err, 'cannot create the lock file', path);
    }
    const found = await readLock(path);
    if (found === 'gone') continue;
    if (found.owner?.token === owner.token) return { lock: heldLock(path, owner) };
    if (ownerAlive(found, leaseMs)) return { holder: { pid: found.owner?.pid ?? 0, host: found.owner?.host ?? hostname() } };
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
  throw new SinkError(`cannot take the lock ${path}: it changed hands three times while we tried`, { path });
}

/** Waits for a lock held only briefly by others (polling with backoff), up to `timeoutMs`. */
export async function waitLock(path: string, owner: LockOwner, timeoutMs: number, leaseMs = DEFAULT_LEASE_MS): Promise<HeldLock> {
  const deadline = Date.now() + timeoutMs;
  let pause = 2;
  for (;;) {
    const attempt = await tryLock(path, owner, leaseMs);
    if (attempt.lock) return attempt.lock;
    if (Date.now() >= deadline) {
      throw new SinkError(`the lock ${path} stayed held by pid ${attempt.holder.pid} on ${attempt.holder.host} for ${timeoutMs} ms`, { path, pid: attempt.holder.pid });
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 50);
  }
}

/** The live owner of a lock file, or undefined when there is none (no file, or a dead owner's). */
export async function liveHolder(path: string, leaseMs = DEFAULT_LEASE_MS): Promise<LockHolder | undefined> {
  const found = await readLock(path);
  if (found === 'gone' || !ownerAlive(found, leaseMs)) return undefined;
  return { pid: found.owner?.pid ?? 0, host: found.owner?.host ?? hostname() };
}

/**
 * Who a lock file names and whether that owner still runs: by its pid on this host, by the lease
 * elsewhere. Undefined when there is no file or it names no owner yet.
 */
export async function lockHolderState(path: string, leaseMs = DEFAULT_LEASE_MS): Promise<(LockHolder & { alive: boolean }) | undefined> {
  const found = await readLock(path);
  if (found === 'gone' || !found.owner) return undefined;
  return { pid: found.owner.pid, host: found.owner.host, alive: ownerAlive(found, leaseMs) };
}

interface FoundLock {
  /** Undefined while the file is still being written (or if a kill left it empty). */
  owner?: LockOwner;
  mtimeMs: number;
}

async function readLock(path: string): Promise<FoundLock | 'gone'> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { owner: parseOwner(text), mtimeMs: info.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
}

/** JSON written by this module, or a bare pid (the format of older lock files). */
function parseOwner(text: string): LockOwner | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed), host: hostname(), token: '' };
  try {
    const value = JSON.parse(trimmed) as Partial<LockOwner>;
    if (Number.isSafeInteger(value.pid) && typeof value.host === 'string' && typeof value.token === 'string') return value as LockOwner;
  } catch {
    // Not JSON: treated like an unwritten file below.
  }
  return undefined;
}

function ownerAlive(found: FoundLock, leaseMs: number): boolean {
  const age = Date.now() - found.mtimeMs;
  if (!found.owner) return age < UNWRITTEN_GRACE_MS;
  if (found.owner.host === hostname()) return found.owner.pid === process.pid ? heldHere.has(found.owner.token) : processAlive(found.owner.pid);
  return age < leaseMs;
}

function heldLock(path: string, owner: LockOwner): HeldLock {
  heldHere.add(owner.token);
  const held = async (): Promise<boolean> => {
    const found = await readLock(path);
    return found !== 'gone' && found.owner?.token === owner.token;
  };
  return {
    path,
    held,
    touch: async () => {
      const now = new Date();
      await utimes(path, now, now).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
    release: async () => {
      if (!(await held())) return;
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
  };
}

/** Whether a process with this id runs; EPERM means it does, under another user. */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
