/**
 * Works out, from the files on disk alone, where each source partition resumes, and finishes or
 * discards what a killed sink left behind:
 *
 * - A write group whose files were all fsynced under temporary names, and of which at least one
 *   was already renamed, is rolled forward: its remaining temporaries are renamed too (renaming
 *   starts only after every file of the group is durable, so they are complete).
 * - Temporaries of a group with no renamed file are deleted: that group was never published.
 * - A partition resumes after the highest last offset of its files, whatever the committed
 *   consumer offset says.
 */
import { readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../runtime/logger.ts';
import { parsePartitionKey, partitionKey } from '../../transport/partition-key.ts';
import { fsyncDir } from '../common/fs-durable.ts';
import { type FileRange, finalNameOfTemp, parseDtDir, parseFileName } from './layout.ts';

export interface RecoveryReport {
  /** Next offset to write per partitionKey(topic, partition). */
  resume: Map<string, number>;
  /** Temporaries renamed into place (groups rolled forward). */
  rolledForward: number;
  /** Temporaries deleted (groups never published). */
  deleted: number;
  /** Final files seen. */
  files: number;
}

// The Bronze sink keys its own maps the same way as `resume`.
export { partitionKey };

/** Scans `<root>/<type>/dt=*` for every type directory present. */
export async function recoverBronze(root: string, logger: Logger): Promise<RecoveryReport> {
  const finals = new Map<string, string[]>();
  const temps = new Map<string, string[]>();
  for (const type of await listDirs(root)) {
    for (const dt of await listDirs(join(root, type))) {
      if (parseDtDir(dt) === null) continue;
      const dir = join(root, type, dt);
      for (const entry of await readdir(dir)) {
        if (parseFileName(entry)) push(finals, entry, dir);
        else {
          const final = finalNameOfTemp(entry);
          if (final) push(temps, final, dir);
        }
      }
    }
  }
  let rolledForward = 0;
  let deleted = 0;
  for (const [name, dirs] of temps) {
    const publish = finals.has(name);
    for (const dir of dirs) {
      if (publish) {
        await rename(join(dir, `.${name}.tmp`), join(dir, name));
        push(finals, name, dir);
        rolledForward++;
      } else {
        await unlink(join(dir, `.${name}.tmp`));
        deleted++;
      }
      await fsyncDir(dir);
    }
  }
  const resume = new Map<string, number>();
  const ranges = new Map<string, FileRange[]>();
  let files = 0;
  for (const [name, dirs] of finals) {
    const range = parseFileName(name)!;
    files += dirs.length;
    const key = partitionKey(range.topic, range.partition);
    resume.set(key, Math.max(resume.get(key) ?? 0, range.last + 1));
    const list = ranges.get(key) ?? [];
    list.push(range);
    ranges.set(key, list);
  }
  for (const [key, list] of ranges) warnOnOverlap(key, list, logger);
  if (rolledForward + deleted > 0) logger.info('bronze recovery finished interrupted writes', { rolledForward, deleted });
  return { resume, rolledForward, deleted, files };
}

function warnOnOverlap(key: string, list: FileRange[], logger: Logger): void {
  list.sort((a, b) => a.first - b.first);
  for (let i = 1; i < list.length; i++) {
    if (list[i]!.first <= list[i - 1]!.last) {
      const { topic, partition } = parsePartitionKey(key);
      logger.warn('bronze files of one partition overlap: some records may be in two files', {
        topic,
        partition,
        first: list[i]!.first,
        previousLast: list[i - 1]!.last,
      });
    }
  }
}

function push(map: Map<string, string[]>, key: string, dir: string): void {
  const list = map.get(key);
  if (list) list.push(dir);
  else map.set(key, [dir]);
}

async function listDirs(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
