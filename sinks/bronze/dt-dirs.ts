/**
 * Creating a `dt=` entry: a generation directory first, then the link to it, each made durable
 * before the next step, so a kill leaves at worst a generation without a link (recovery.ts links it).
 */
import { lstat, mkdir, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDir } from '../common/fs-durable.ts';
import { dtDirName, genName, genParent, linkTarget } from './layout.ts';

/** `<typeDir>/dt=D`, created as a link to generation 0 if missing. `known` caches those made or seen. */
export async function ensureDtDir(typeDir: string, dt: string, known: Set<string>): Promise<string> {
  const dir = join(typeDir, dtDirName(dt));
  if (known.has(dir)) return dir;
  if (!(await exists(dir))) {
    const root = dirname(typeDir);
    const type = basename(typeDir);
    await ensureDir(join(genParent(root, type, dt), genName(0)));
    await ensureDir(typeDir);
    try {
      await symlink(linkTarget(type, dt, 0), dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    await fsyncDir(typeDir);
  }
  known.add(dir);
  return dir;
}

/** Creates a directory (and parents) durably: each new entry's parent is fsynced. */
export async function ensureDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true });
  if (created === undefined) return;
  let d = dir;
  while (d.length >= created.length) {
    await fsyncDir(dirname(d));
    d = dirname(d);
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
