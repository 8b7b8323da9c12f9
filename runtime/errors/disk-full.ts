/**
 * Whether a failed write was the file system filling up. Storage engines do not always say so:
 * SQLite growing the `-shm` file of a log it reopens on a full disk reports a bare `disk I/O
 * error` (SQLITE_IOERR_SHMSIZE), not SQLITE_FULL. The space left on the file system, asked right
 * after the failure, tells a full disk from a failing one.
 */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Below this much space left for the user, a write that failed counts as the disk being full:
 * one log transaction writes 16 KiB pages to the WAL, the `-shm` file grows by 32 KiB, a Bronze
 * file or a Silver checkpoint takes a few MiB, so a disk with less left refuses ordinary work.
 */
export const FULL_DISK_BELOW_BYTES = 4 * 2 ** 20;

export interface FullDisk {
  /** The directory the file system was asked about (the path's nearest existing ancestor). */
  readonly dir: string;
  /** Bytes the user can still write there. */
  readonly freeBytes: number;
}

/**
 * The full file system holding `path` (a file or directory that need not exist yet), or undefined
 * when it has room. A file system that cannot even be asked is no evidence of a full disk: the
 * caller then throws its own failure unchanged, so nothing about it is lost.
 */
export function fullDiskAt(path: string): FullDisk | undefined {
  let dir = path;
  for (;;) {
    let stats: ReturnType<typeof statfsSync>;
    try {
      stats = statfsSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const parent = dirname(dir);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === dir) return undefined;
      dir = parent;
      continue;
    }
    const freeBytes = stats.bavail * stats.bsize;
    return freeBytes < FULL_DISK_BELOW_BYTES ? { dir, freeBytes } : undefined;
  }
}

/** How an error message names a full disk; the words are the ones operators (and the chaos oracle) look for. */
export function describeFullDisk(disk: FullDisk): string {
  return `the disk is full (${Math.floor(disk.freeBytes / 1024)} KiB left for this user on the file system of ${disk.dir})`;
}
