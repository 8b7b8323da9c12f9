/**
 * Works out, from the files on disk alone, where each source partition resumes, and finishes or
 * discards what a killed sink left behind:
 *
 * - A write group whose files were all fsynced under temporary names, and of which at least one
 *   was already renamed, is rolled forward: its remaining temporaries are renamed too (renaming
 *   starts only after every file of the group is durable, so they are complete).
 * - Temporaries of a group with no renamed file are deleted: that group was never published.
 * - A partition resumes after the highest last offset of its files (a compacted file counts for
 *   every write group its generation lists), whatever the committed consumer offset says.
 * - Only the generation a `dt=` link points at counts; the others are deleted (liveDtDirs).
 */
import { readdir, readFile, readlink, rename, rm, symlink, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { SinkError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { parsePartitionKey, partitionKey } from '../../transport/partition-key.ts';
import { fsyncDir } from '../common/fs-durable.ts';
import { dtDirName, type FileRange, finalNameOfTemp, GEN_DIR, GROUPS_FILE, genName, isCompactedName, linkTarget, parseDtDir, parseFileName, parseGenName } from './layout.ts';

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
  let files = 0;
  for (const dir of await liveDtDirs(root, logger)) {
    const entries = await readdir(dir);
    const compacted = entries.some(isCompactedName) ? await readGroups(dir) : {};
    for (const entry of entries) {
      if (parseFileName(entry)) {
        push(finals, entry, dir);
        files++;
      } else if (isCompactedName(entry)) {
        const groups = compacted[entry];
        if (!groups) throw new SinkError(`compacted bronze file ${entry} is not listed in ${GROUPS_FILE}`, { path: join(dir, entry) });
        for (const group of groups) push(finals, group, dir);
        files++;
      } else {
        const final = finalNameOfTemp(entry);
        if (final) push(temps, final, dir);
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
        files++;
      } else {
        await unlink(join(dir, `.${name}.tmp`));
        deleted++;
      }
      await fsyncDir(dir);
    }
  }
  const resume = new Map<string, number>();
  const ranges = new Map<string, FileRange[]>();
  for (const name of finals.keys()) {
    const range = parseFileName(name);
    if (!range) throw new SinkError(`bronze write group name ${name} does not parse`, { name });
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

/**
 * The directories readers see, after settling generations: the linked one of each dt stays, any
 * other (a compaction's unfinished build, or the one a finished compaction replaced) is deleted,
 * and a dt with generations but no link (killed between the two steps of creating it or of
 * turning a plain directory into a link) is linked to its newest.
 */
export async function liveDtDirs(root: string, logger: Logger): Promise<string[]> {
  const live: string[] = [];
  for (const type of await listDirs(root)) {
    if (type.startsWith('.')) continue;
    const typePath = join(root, type);
    const linked = new Map<string, number>();
    const plain = new Set<string>();
    for (const entry of await readdir(typePath, { withFileTypes: true })) {
      const dt = parseDtDir(entry.name);
      if (dt === null) continue;
      if (entry.isSymbolicLink()) {
        const gen = parseGenName(basename(await readlink(join(typePath, entry.name))));
        if (gen === null) throw new SinkError(`bronze link ${entry.name} does not point at a generation`, { path: join(typePath, entry.name) });
        linked.set(dt, gen);
      } else if (entry.isDirectory()) {
        plain.add(dt);
        live.push(join(typePath, entry.name));
      }
    }
    const genRoot = join(root, GEN_DIR, type);
    for (const entry of await readdir(genRoot).catch(() => [] as string[])) {
      const dt = parseDtDir(entry);
      const parent = join(genRoot, entry);
      if (dt === null) {
        // A link made for a swap and never renamed into place.
        if (entry.endsWith('.link')) await rm(parent, { force: true });
        continue;
      }
      const gens = (await listDirs(parent)).map(parseGenName).filter((g): g is number => g !== null);
      let keep = linked.get(dt);
      if (keep === undefined && !plain.has(dt) && gens.length > 0) {
        keep = Math.max(...gens);
        await symlink(linkTarget(type, dt, keep), join(typePath, dtDirName(dt)));
        await fsyncDir(typePath);
        linked.set(dt, keep);
        logger.info('bronze recovery linked a dt directory', { type, dt, gen: keep });
      }
      let removed = false;
      for (const g of gens) {
        if (g === keep) continue;
        await rm(join(parent, genName(g)), { recursive: true, force: true });
        removed = true;
      }
      if (removed) await fsyncDir(parent);
    }
    for (const [dt, gen] of linked) live.push(join(genRoot, dtDirName(dt), genName(gen)));
  }
  return live;
}

/** A generation's `.groups.json`: per compacted file, the names of the write groups it holds. */
export async function readGroups(dir: string): Promise<Record<string, string[]>> {
  try {
    return JSON.parse(await readFile(join(dir, GROUPS_FILE), 'utf8')) as Record<string, string[]>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
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
