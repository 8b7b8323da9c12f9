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
 *
 * A sink sharing the directory with other sinks recovers only the partitions it just locked, and
 * leaves generations to the holder of the compaction lock (locks.ts).
 */
import { readdir, readFile, readlink, rename, rm, symlink, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SinkError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { parsePartitionKey, partitionKey } from '../../transport/partition-key.ts';
import { fsyncDir } from '../common/fs-durable.ts';
import { ensureDtDir } from './dt-dirs.ts';
import { dtDirName, type FileRange, finalNameOfTemp, GEN_DIR, GROUPS_FILE, genName, isCompactedName, linkTarget, parseDtDir, parseFileName, parseGenName, TEMP_DIR } from './layout.ts';
import type { DtLocker } from './locks.ts';

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

export interface RecoveryOptions {
  /** Only these partitions (partitionKey): their files decide their resume points, their temporaries are settled. Default all. */
  partitions?: ReadonlySet<string>;
  /**
   * Settle generations first (delete unlinked ones, link orphans: liveDtDirs). Only for whoever
   * holds the compaction lock, or the whole directory: another sink may be building one. Default true.
   */
  settle?: boolean;
  /** Holds a dt directory's lock around a rename into it (locks.ts). Default none: the caller owns the directory. */
  withDt?: DtLocker;
}

/** Scans `<root>/<type>/dt=*` for every type directory present, and the temporaries under `.tmp/`. */
export async function recoverBronze(root: string, logger: Logger, options: RecoveryOptions = {}): Promise<RecoveryReport> {
  const only = options.partitions;
  const withDt: DtLocker = options.withDt ?? ((_type, _dt, step) => step());
  const mine = (name: string): boolean => {
    if (!only) return true;
    const range = parseFileName(name);
    return range !== null && only.has(partitionKey(range.topic, range.partition));
  };
  const finals = new Map<string, string[]>();
  const temps = new Map<string, Temp[]>();
  let files = 0;
  const dirs = options.settle === false ? await linkedDtDirs(root) : await liveDtDirs(root, logger);
  for (const dir of dirs) {
    const entries = await readdir(dir);
    const compacted = entries.some(isCompactedName) ? await readGroups(dir) : {};
    for (const entry of entries) {
      if (parseFileName(entry)) {
        if (mine(entry)) push(finals, entry, dir);
        files++;
      } else if (isCompactedName(entry)) {
        const groups = compacted[entry];
        if (!groups) throw new SinkError(`compacted bronze file ${entry} is not listed in ${GROUPS_FILE}`, { path: join(dir, entry) });
        for (const group of groups) if (mine(group)) push(finals, group, dir);
        files++;
      } else {
        const final = finalNameOfTemp(entry);
        if (final && mine(final)) push(temps, final, { from: join(dir, entry), dir });
      }
    }
  }
  for (const temp of await stagedTemps(root)) if (mine(temp.name)) push(temps, temp.name, temp);
  let rolledForward = 0;
  let deleted = 0;
  for (const [name, list] of temps) {
    const publish = finals.has(name);
    for (const temp of list) {
      if (publish) {
        const into = temp.dir ?? join(root, temp.type!, dtDirName(temp.dt!));
        const move = async () => {
          if (!temp.dir) await ensureDtDir(join(root, temp.type!), temp.dt!, new Set());
          await rename(temp.from, join(into, name));
          await fsyncDir(into);
        };
        if (temp.dir) await move();
        else await withDt(temp.type!, temp.dt!, move);
        push(finals, name, into);
        rolledForward++;
        files++;
      } else {
        await unlink(temp.from);
        await fsyncDir(dirname(temp.from));
        deleted++;
      }
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

/** A temporary: in a dt directory (`dir`, written by older versions), or under `.tmp/` (`type` and `dt`). */
interface Temp {
  from: string;
  dir?: string;
  type?: string;
  dt?: string;
}

/** The temporaries under `<root>/.tmp/<type>/dt=D/`, with the final names they stand for. */
async function stagedTemps(root: string): Promise<Array<Temp & { name: string }>> {
  const out: Array<Temp & { name: string }> = [];
  const base = join(root, TEMP_DIR);
  for (const type of await listDirs(base)) {
    for (const dtEntry of await listDirs(join(base, type))) {
      const dt = parseDtDir(dtEntry);
      if (dt === null) continue;
      const dir = join(base, type, dtEntry);
      for (const entry of await readdir(dir).catch(() => [] as string[])) {
        const name = finalNameOfTemp(entry);
        if (name) out.push({ from: join(dir, entry), type, dt, name });
      }
    }
  }
  return out;
}

/**
 * The `dt=` entries themselves, read through their links: changes nothing, for a sink that may not
 * settle generations. Listing through the link reads whichever generation is live at that moment;
 * a replaced one stays whole for compaction's grace period.
 */
async function linkedDtDirs(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const type of await listDirs(root)) {
    if (type.startsWith('.')) continue;
    for (const entry of await readdir(join(root, type))) {
      if (parseDtDir(entry) !== null) out.push(join(root, type, entry));
    }
  }
  return out;
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

function push<T>(map: Map<string, T[]>, key: string, dir: T): void {
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
