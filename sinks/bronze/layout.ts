/**
 * Where Bronze files live and what their names promise.
 *
 *   <data-dir>/bronze/<type>/dt=YYYY-MM-DD/<topic>+<partition>+<first>+<last>.parquet
 *
 * `type` is the clean topic's key (trades, markets, ...); `dt` the UTC date of each record's event
 * time; first and last are the offsets of the source partition that the file's write group covered
 * (zero-padded so names sort by offset). One flush of a partition writes one file per `dt` it
 * holds, all with the same name: together they are one write group, and every offset from first to
 * last is in exactly one of them (or was dead-lettered). A file is written first as
 * `<data-dir>/bronze/.tmp/<type>/dt=D/.<name>.tmp`, outside the directories readers glob and
 * compaction swaps, and renamed into `dt=D` when its group is published. (Older versions wrote
 * temporaries inside `dt=D`; recovery still settles those.)
 *
 * A `dt=` entry is a symlink to a generation directory, `<data-dir>/bronze/.gen/<type>/dt=D/<n>`:
 * compaction builds generation n+1 beside the live one and swaps the link with one rename, the
 * only way to make a directory's whole content change in one step for a reader that globs (see
 * compact.ts). Older data dirs have plain `dt=` directories; compaction turns them into links.
 * A compacted file is `<topic>+compacted+<n>+<k>.parquet`; the write groups it holds are listed in
 * the generation's `.groups.json` (and in the file's key-value metadata).
 */
import { join } from 'node:path';
import type { CleanTopicKey } from '../../schemas/clean-records.ts';

export const OFFSET_DIGITS = 19;
const NAME = /^(.+)\+(\d+)\+(\d{19})\+(\d{19})\.parquet$/;
const TEMP = /^\.(.+\.parquet)\.tmp$/;
const DT_DIR = /^dt=(\d{4}-\d{2}-\d{2})$/;

export interface FileRange {
  topic: string;
  partition: number;
  first: number;
  last: number;
}

export function bronzeRoot(dataDir: string): string {
  return join(dataDir, 'bronze');
}

export function typeDir(root: string, type: CleanTopicKey | string): string {
  return join(root, type);
}

export function dtDirName(dt: string): string {
  return `dt=${dt}`;
}

const DAY_MS = 86_400_000;
const dates = new Map<number, string>();

/** The UTC calendar date (YYYY-MM-DD) of epoch milliseconds: a record's `dt`. */
export function utcDate(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let date = dates.get(day);
  if (date === undefined) {
    date = new Date(day * DAY_MS).toISOString().slice(0, 10);
    // Days seen are few (a backfill spans years at most); the cap only guards odd inputs.
    if (dates.size > 100_000) dates.clear();
    dates.set(day, date);
  }
  return date;
}

export function fileName(range: FileRange): string {
  const pad = (n: number) => String(n).padStart(OFFSET_DIGITS, '0');
  return `${range.topic}+${range.partition}+${pad(range.first)}+${pad(range.last)}.parquet`;
}

export function parseFileName(name: string): FileRange | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const range = { topic: m[1]!, partition: Number(m[2]), first: Number(m[3]), last: Number(m[4]) };
  return Number.isSafeInteger(range.first) && Number.isSafeInteger(range.last) && range.first <= range.last ? range : null;
}

export const TEMP_DIR = '.tmp';

/** Where a write group's file for one dt is written before it is published. */
export function tempDir(root: string, type: string, dt: string): string {
  return join(root, TEMP_DIR, type, dtDirName(dt));
}

export function tempName(name: string): string {
  return `.${name}.tmp`;
}

/** The final name a temporary stands for, or null if `name` is not one of ours. */
export function finalNameOfTemp(name: string): string | null {
  const m = TEMP.exec(name);
  return m && parseFileName(m[1]!) ? m[1]! : null;
}

export const GEN_DIR = '.gen';
export const GROUPS_FILE = '.groups.json';
const GEN = /^\d{6}$/;
const COMPACTED = /^(.+)\+compacted\+(\d{6})\+(\d+)\.parquet$/;

/** `<root>/.gen/<type>/dt=D`: the generations of one dt directory. */
export function genParent(root: string, type: string, dt: string): string {
  return join(root, GEN_DIR, type, dtDirName(dt));
}

export function genName(n: number): string {
  return String(n).padStart(6, '0');
}

export function parseGenName(name: string): number | null {
  return GEN.test(name) ? Number(name) : null;
}

/** What the `dt=` link holds: relative, so the data dir can move. */
export function linkTarget(type: string, dt: string, gen: number): string {
  return join('..', GEN_DIR, type, dtDirName(dt), genName(gen));
}

export function compactedName(topic: string, gen: number, k: number): string {
  return `${topic}+compacted+${genName(gen)}+${k}.parquet`;
}

export function isCompactedName(name: string): boolean {
  return COMPACTED.test(name);
}

export function parseDtDir(name: string): string | null {
  return DT_DIR.exec(name)?.[1] ?? null;
}
