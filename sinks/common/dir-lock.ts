/**
 * One writer per output directory: a lock file holding the owner's pid, created exclusively. A
 * lock whose pid no longer runs (its owner was killed) is taken over; a live one is refused with
 * a message naming the pid, because two sinks writing the same files would break exactly-once.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SinkError } from '../../runtime/errors.ts';

export interface DirLock {
  readonly path: string;
  release(): Promise<void>;
}

export async function acquireDirLock(dir: string, what: string): Promise<DirLock> {
  const path = join(dir, '.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.sync();
      await handle.close();
      return {
        path,
        release: async () => {
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isSafeInteger(owner) && owner !== process.pid && processAlive(owner)) {
      throw new SinkError(`another ${what} (pid ${owner}) is writing ${dir}; stop it first`, { path, pid: owner });
    }
    await unlink(path).catch(() => undefined);
  }
  throw new SinkError(`cannot take the lock ${path}`, { path });
}

/** Whether a process with this id runs; EPERM means it does, under another user. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
