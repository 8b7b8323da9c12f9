/**
 * One writer per output directory: the directory's `.lock` (lock-file.ts). A lock whose owner no
 * longer runs (it was killed) is taken over; a live one is refused with a message naming the pid,
 * because two writers of the same files would break exactly-once.
 */
import { join } from 'node:path';
import { SinkError } from '../../runtime/errors.ts';
import { type HeldLock, newLockOwner, tryLock } from './lock-file.ts';

export { processAlive } from './lock-file.ts';

export type DirLock = Pick<HeldLock, 'path' | 'release'>;

export function dirLockPath(dir: string): string {
  return join(dir, '.lock');
}

export async function acquireDirLock(dir: string, what: string): Promise<DirLock> {
  const path = dirLockPath(dir);
  const attempt = await tryLock(path, newLockOwner());
  if (attempt.holder) {
    throw new SinkError(`another ${what} (pid ${attempt.holder.pid}) is writing ${dir}; stop it first`, { path, pid: attempt.holder.pid });
  }
  return attempt.lock;
}
