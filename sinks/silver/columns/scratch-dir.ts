/**
 * The directory of a writer's staging files, in the system temp directory: named after the
 * process, so that one left behind by a killed sink (up to two batches of Parquet) is removed by
 * the next writer that opens, once no process with that id runs.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'pma-silver-stage-';

export async function openScratchDir(base = tmpdir()): Promise<string> {
  for (const name of await readdir(base)) {
    const pid = name.startsWith(PREFIX) ? Number.parseInt(name.slice(PREFIX.length), 10) : Number.NaN;
    if (Number.isInteger(pid) && !isRunning(pid)) await rm(join(base, name), { recursive: true, force: true });
  }
  return mkdtemp(join(base, `${PREFIX}${process.pid}-`));
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
