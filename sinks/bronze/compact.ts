/**
 * Compaction: a `dt` directory's small files rewritten as one (or as files of at least
 * `targetBytes`), so the file count follows the data, not partitions x days x flushes.
 *
 * Readers glob `<type>/*\/*.parquet` with no log to consult, so the old files and the new must
 * never be visible together (rows twice) nor neither (rows missing). No sequence of file renames in
 * one directory does that; one rename of a symlink does. `<type>/dt=D` links to a generation
 * directory under `.gen/`; compaction builds the next generation beside it (the new compacted
 * files, hard links to the files it keeps, `.groups.json` naming the write groups each compacted
 * file holds), fsyncs it, then renames a new link over `dt=D`. A reader resolves the link once per
 * directory listing, so it sees the old generation or the new, each complete. The replaced
 * generation is deleted only `retireGraceMs` after the swap: a reader that resolved the link just
 * before it and lists the directory just after would otherwise list a directory being emptied
 * and count a dt short, without any error.
 *
 * Crash recovery needs no offsets to decide anything: a generation the link does not point at is
 * either unfinished or replaced, and deleted (recovery.ts). Offsets stay recoverable because the
 * live generation lists every write group, by name, that its files hold.
 *
 * A plain `dt=` directory (a data dir from before generations) is first renamed to generation 0
 * and linked: between those two steps that dt is missing for readers; it happens once per dt.
 */
import { link, lstat, mkdir, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../../runtime/logger.ts';
import { fsyncDir, writeNewFileDurably } from '../common/fs-durable.ts';
import { ensureDir } from './dt-dirs.ts';
import { bronzeRoot, compactedName, dtDirName, GEN_DIR, GROUPS_FILE, genName, genParent, isCompactedName, linkTarget, parseDtDir, parseFileName, parseGenName } from './layout.ts';
import { acquireMaintenanceLock, type DtLocker } from './locks.ts';
import { ParquetWriterPool } from './parquet/pool.ts';
import { readGroups, recoverBronze } from './recovery.ts';

export interface CompactOptions {
  /** Files at least this big are left alone; small ones are merged into files of about this size. Default 64 MiB. */
  targetBytes?: number;
  /** Rewrite a dt only when it has this many small files. Default 2 (1 rewrites every dt). */
  minFiles?: number;
  /** Only these `<type>/<dt>` (default all). */
  only?: ReadonlySet<string>;
  /** Only these types (default all). */
  types?: readonly string[];
  /** How long a replaced generation stays readable after its link moved on. Default 1 s. */
  retireGraceMs?: number;
  /**
   * Holds a dt directory's lock (locks.ts) while compaction changes what the `dt=` entry is, for
   * sinks that keep publishing into it. Default none: nothing else writes the directory.
   */
  withDt?: DtLocker;
}

export interface CompactResult {
  dirs: number;
  filesBefore: number;
  filesAfter: number;
  bytesIn: number;
  bytesOut: number;
  rows: number;
}

export const COMPACT_DEFAULTS = { targetBytes: 64 * 1024 * 1024, minFiles: 2, retireGraceMs: 1_000 } as const;

interface Retired {
  path: string;
  swappedAt: number;
}

/** Compacts every dt directory under `root` that has enough small files. The caller holds the Bronze lock, or the compaction lock and passes `withDt`. */
export async function compactBronze(root: string, pool: ParquetWriterPool, logger: Logger, options: CompactOptions = {}): Promise<CompactResult> {
  const result: CompactResult = { dirs: 0, filesBefore: 0, filesAfter: 0, bytesIn: 0, bytesOut: 0, rows: 0 };
  const types = options.types ?? (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  const retired: Retired[] = [];
  try {
    await compactTypes(root, types, pool, logger, options, result, retired);
  } finally {
    await removeRetired(retired, options.retireGraceMs ?? COMPACT_DEFAULTS.retireGraceMs);
  }
  if (result.dirs > 0) logger.info('bronze compaction finished', { ...result });
  return result;
}

async function compactTypes(root: string, types: readonly string[], pool: ParquetWriterPool, logger: Logger, options: CompactOptions, result: CompactResult, retired: Retired[]): Promise<void> {
  for (const type of types) {
    const entries = await readdir(join(root, type)).catch(() => [] as string[]);
    for (const entry of entries.sort()) {
      const dt = parseDtDir(entry);
      if (dt === null || (options.only && !options.only.has(`${type}/${dt}`))) continue;
      const done = await compactDt(root, type, dt, pool, options, logger, retired);
      if (!done) continue;
      result.dirs++;
      result.filesBefore += done.filesBefore;
      result.filesAfter += done.filesAfter;
      result.bytesIn += done.bytesIn;
      result.bytesOut += done.bytesOut;
      result.rows += done.rows;
    }
  }
}

/** Deletes replaced generations once each has been unlinked for the grace period. */
async function removeRetired(retired: Retired[], graceMs: number): Promise<void> {
  if (retired.length === 0) return;
  const wait = retired[retired.length - 1]!.swappedAt + graceMs - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const parents = new Set<string>();
  for (const { path } of retired) {
    await rm(path, { recursive: true, force: true });
    parents.add(dirname(path));
  }
  for (const parent of parents) await fsyncDir(parent);
}

interface FileInfo {
  name: string;
  bytes: number;
}

async function compactDt(root: string, type: string, dt: string, pool: ParquetWriterPool, options: CompactOptions, logger: Logger, retired: Retired[]): Promise<CompactResult | null> {
  const targetBytes = options.targetBytes ?? COMPACT_DEFAULTS.targetBytes;
  const minFiles = options.minFiles ?? COMPACT_DEFAULTS.minFiles;
  const typePath = join(root, type);
  const entryPath = join(typePath, dtDirName(dt));
  const plain = !(await lstat(entryPath)).isSymbolicLink();
  const current = plain ? entryPath : join(genParent(root, type, dt), basename(await readlink(entryPath)));
  const names = await readdir(current);
  // A write group still being published: leave the dt for the next round.
  if (names.some((n) => n.endsWith('.tmp'))) return null;
  const files: FileInfo[] = [];
  for (const name of names.sort()) {
    if (parseFileName(name) || isCompactedName(name)) files.push({ name, bytes: (await stat(join(current, name))).size });
  }
  const bins = packSmall(files, targetBytes).filter((bin) => bin.length >= minFiles);
  if (bins.length === 0) return null;

  const withDt: DtLocker = options.withDt ?? ((_type, _dt, step) => step());
  const gen = plain ? 0 : parseGenName(basename(current))!;
  let live = current;
  if (plain) {
    live = join(genParent(root, type, dt), genName(0));
    await withDt(type, dt, async () => {
      await ensureDir(genParent(root, type, dt));
      await rename(entryPath, live);
      await fsyncDir(typePath);
      await fsyncDir(genParent(root, type, dt));
      await symlink(linkTarget(type, dt, 0), entryPath);
      await fsyncDir(typePath);
    });
  }
  const oldGroups = await readGroups(live);
  const groupsOf = (name: string): string[] => (isCompactedName(name) ? (oldGroups[name] ?? []) : [name]);
  const topic = topicOf(files, oldGroups);
  const next = gen + 1;
  const build = join(genParent(root, type, dt), genName(next));
  await rm(build, { recursive: true, force: true });
  await ensureDir(build);

  const result: CompactResult = { dirs: 1, filesBefore: files.length, filesAfter: 0, bytesIn: 0, bytesOut: 0, rows: 0 };
  const groups: Record<string, string[]> = {};
  const rewritten = new Set<string>();
  try {
    for (const [k, bin] of bins.entries()) {
      const name = compactedName(topic, next, k);
      const held = bin.flatMap((f) => groupsOf(f.name));
      const written = await pool.compact(
        bin.map((f) => join(live, f.name)),
        join(build, name),
        { 'pma.bronze.groups': JSON.stringify(held) },
      );
      groups[name] = held;
      for (const f of bin) {
        rewritten.add(f.name);
        result.bytesIn += f.bytes;
      }
      result.bytesOut += written.bytes;
      result.rows += written.rows;
      result.filesAfter++;
    }
  } catch (err) {
    // Files whose schemas differ (the topic's schema evolved between runs) cannot share one: the dt stays as it is.
    await rm(build, { recursive: true, force: true });
    logger.warn('bronze compaction of a dt directory failed; its files stay as they are', { type, dt, err });
    return null;
  }
  for (const f of files) {
    if (rewritten.has(f.name)) continue;
    await link(join(live, f.name), join(build, f.name));
    if (isCompactedName(f.name)) groups[f.name] = groupsOf(f.name);
    result.filesAfter++;
  }
  await withDt(type, dt, async () => {
    // Groups other sinks published while this one built the generation go into it as they are.
    const listed = new Set(names);
    for (const name of await readdir(live)) {
      if (listed.has(name) || !parseFileName(name)) continue;
      await link(join(live, name), join(build, name));
      result.filesBefore++;
      result.filesAfter++;
    }
    await writeNewFileDurably(join(build, GROUPS_FILE), Buffer.from(JSON.stringify(groups)));
    await fsyncDir(build);
    await fsyncDir(genParent(root, type, dt));

    // The one step readers notice: the link now names the new generation.
    const staged = join(root, GEN_DIR, type, `${dtDirName(dt)}.link`);
    await rm(staged, { force: true });
    await symlink(linkTarget(type, dt, next), staged);
    await rename(staged, entryPath);
    await fsyncDir(typePath);
  });
  retired.push({ path: live, swappedAt: Date.now() });
  return result;
}

/**
 * Small files (under the target) in name order, packed into bins that close once they reach the
 * target: every output is at least the target except the last, and none is much bigger.
 */
function packSmall(files: FileInfo[], targetBytes: number): FileInfo[][] {
  const bins: FileInfo[][] = [];
  let bin: FileInfo[] = [];
  let size = 0;
  for (const f of files) {
    if (f.bytes >= targetBytes) continue;
    bin.push(f);
    size += f.bytes;
    if (size >= targetBytes) {
      bins.push(bin);
      bin = [];
      size = 0;
    }
  }
  if (bin.length > 0) bins.push(bin);
  return bins;
}

function topicOf(files: FileInfo[], groups: Record<string, string[]>): string {
  for (const f of files) {
    const range = parseFileName(f.name) ?? parseFileName(groups[f.name]?.[0] ?? '');
    if (range) return range.topic;
  }
  return 'bronze';
}

/**
 * `pma compact`: takes the Bronze lock (so never beside a running sink, which compacts by itself),
 * settles what a killed run left (recovery.ts), then compacts.
 */
export async function runBronzeCompaction(dataDir: string, options: CompactOptions, logger: Logger): Promise<CompactResult> {
  const root = bronzeRoot(dataDir);
  await mkdir(root, { recursive: true });
  const lock = await acquireMaintenanceLock(root);
  try {
    await recoverBronze(root, logger);
    const pool = new ParquetWriterPool();
    try {
      return await compactBronze(root, pool, logger, options);
    } finally {
      await pool.close();
    }
  } finally {
    await lock.release();
  }
}
