/**
 * Checks of Bronze against the log for `pma verify` (and, the cheap part, `pma status`), and the
 * repair that writes what is missing from the log again.
 *
 * The sink resumes after the highest last offset of its files (recovery.ts), so a file deleted in
 * the middle is never written again and nothing else notices. Two checks find it:
 *
 * - cheap (names only): per partition the write groups' offset ranges must follow each other from
 *   the log's start to the end of the files (or the sink group's committed offset, if further),
 *   without overlapping. A gap is damage only if the log holds records there that make rows (a
 *   group whose records were all dead-lettered leaves no file, and so a gap).
 * - thorough (rows): every log record that makes a row has exactly one row in Bronze, by the
 *   `_partition` and `_offset` columns of the files; this also finds the file of one `dt` of a
 *   group missing while the others are there.
 *
 * Repair writes the missing rows as write groups named for the range they belong to: the group
 * whose file went missing, or the gap between two groups. It holds the Bronze lock, so never
 * beside a running sink.
 */
import { lstat, readdir, readlink, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { readSchemaId, type Serde } from '../../registry/serde.ts';
import { DecodeError, PmaError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { type Finding, type LogPartitionBounds, type LogRecordSource, offsetRuns, settle } from '../../runtime/verify.ts';
import { CLEAN_TOPIC_KEYS, type CleanTopicKey, EVENT_TIME_FIELD } from '../../schemas/clean-records.ts';
import { loadSchema } from '../../schemas/index.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { partitionKey } from '../../transport/partition-key.ts';
import type { ConsumedRecord } from '../../transport/types.ts';
import { dirLockPath } from '../common/dir-lock.ts';
import { fsyncDir } from '../common/fs-durable.ts';
import { liveHolder } from '../common/lock-file.ts';
import { BodyBuffer } from './body-buffer.ts';
import { ensureDtDir } from './dt-dirs.ts';
import { compileInspector } from './inspect.ts';
import { dtDirName, type FileRange, fileName, finalNameOfTemp, GEN_DIR, GROUPS_FILE, isCompactedName, parseDtDir, parseFileName, parseGenName, TEMP_DIR, typeDir, utcDate } from './layout.ts';
import { acquireMaintenanceLock, liveSink } from './locks.ts';
import { ParquetWriterPool } from './parquet/pool.ts';
import { liveDtDirs, readGroups, recoverBronze } from './recovery.ts';
import { BRONZE_DEFAULTS } from './sink.ts';

/** One write group as the files show it: its range and the `dt` directories holding it. */
interface Group {
  name: string;
  range: FileRange;
  dts: Set<string>;
}

interface PartitionGroups {
  type: CleanTopicKey;
  topic: string;
  partition: number;
  groups: Group[];
}

export interface BronzeScan {
  partitions: Map<string, PartitionGroups>;
  /** Parquet files readers see, per type. */
  files: Map<CleanTopicKey, string[]>;
  /** Temporaries and unlinked generations left by a killed sink or compaction (none while a sink runs). */
  leftovers: Finding[];
  unreadable: Finding[];
  /** Pid of the sink or compaction holding the Bronze lock, if one runs. */
  runningPid?: number;
}

/** A Bronze finding and, for missing rows, the offsets a repair writes. */
export interface BronzeDamage {
  finding: Finding;
  type?: CleanTopicKey;
  offsets?: number[];
}

const isType = (name: string): name is CleanTopicKey => (CLEAN_TOPIC_KEYS as readonly string[]).includes(name);

/** Lists what Bronze holds without changing anything (recovery.ts settles; this only looks). */
export async function scanBronze(root: string): Promise<BronzeScan> {
  const scan: BronzeScan = { partitions: new Map(), files: new Map(), leftovers: [], unreadable: [] };
  const types = await dirEntries(root);
  if (types === null) return scan;
  scan.runningPid = ((await liveHolder(dirLockPath(root))) ?? (await liveSink(root)))?.pid;
  const leftover = (path: string, what: string) => {
    if (scan.runningPid === undefined) scan.leftovers.push({ layer: 'temp', kind: 'leftover', detail: `${path}: ${what}` });
  };
  for (const type of (await dirEntries(join(root, TEMP_DIR))) ?? []) {
    for (const dt of (await dirEntries(join(root, TEMP_DIR, type))) ?? []) {
      for (const entry of (await dirEntries(join(root, TEMP_DIR, type, dt))) ?? []) {
        if (finalNameOfTemp(entry)) leftover(join(root, TEMP_DIR, type, dt, entry), 'a temporary Bronze file of an unfinished write');
      }
    }
  }
  for (const type of types) {
    if (type.startsWith('.') || !isType(type)) continue;
    const linked = new Map<string, string>();
    for (const entry of (await dirEntries(join(root, type))) ?? []) {
      const dt = parseDtDir(entry);
      if (dt === null) continue;
      const path = join(root, type, entry);
      if ((await lstat(path)).isSymbolicLink()) linked.set(dt, basename(await readlink(path)));
      const dir = await stat(path).catch(() => null);
      if (!dir?.isDirectory()) {
        scan.unreadable.push({ layer: 'bronze', kind: 'unreadable', detail: `${path}: the dt link points at no directory` });
        continue;
      }
      await scanDt(scan, type, dt, path, leftover);
    }
    const genRoot = join(root, GEN_DIR, type);
    for (const entry of (await dirEntries(genRoot)) ?? []) {
      const dt = parseDtDir(entry);
      if (dt === null) {
        if (entry.endsWith('.link')) leftover(join(genRoot, entry), 'a link staged by a compaction and never swapped in');
        continue;
      }
      for (const gen of (await dirEntries(join(genRoot, entry))) ?? []) {
        if (parseGenName(gen) !== null && linked.get(dt) !== gen) leftover(join(genRoot, entry, gen), 'a generation no dt link points at');
      }
    }
  }
  return scan;
}

async function scanDt(scan: BronzeScan, type: CleanTopicKey, dt: string, dir: string, leftover: (path: string, what: string) => void): Promise<void> {
  const entries = (await dirEntries(dir)) ?? [];
  const compacted = entries.some(isCompactedName) ? await readGroups(dir) : {};
  const files = scan.files.get(type) ?? [];
  scan.files.set(type, files);
  for (const entry of entries) {
    const path = join(dir, entry);
    let names: string[];
    if (parseFileName(entry)) names = [entry];
    else if (isCompactedName(entry)) {
      names = compacted[entry] ?? [];
      if (names.length === 0) scan.unreadable.push({ layer: 'bronze', kind: 'unreadable', detail: `${path}: compacted file not listed in ${GROUPS_FILE}; its offsets are unknown` });
    } else {
      if (finalNameOfTemp(entry)) leftover(path, 'a temporary Bronze file of an unfinished write');
      else if (isRepairTemp(entry)) leftover(path, 'a temporary of a verify --repair that did not finish');
      continue;
    }
    files.push(path);
    for (const name of names) {
      const range = parseFileName(name);
      if (!range) continue;
      const key = partitionKey(range.topic, range.partition);
      let p = scan.partitions.get(key);
      if (!p) {
        p = { type, topic: range.topic, partition: range.partition, groups: [] };
        scan.partitions.set(key, p);
      }
      let group = p.groups.find((g) => g.name === name);
      if (!group) {
        group = { name, range, dts: new Set() };
        p.groups.push(group);
      }
      group.dts.add(dt);
    }
  }
}

/** What a record of a clean topic becomes in Bronze: its `dt` and Avro body, or null when it makes no row (a tombstone, or a dead letter). */
export type RowOf = (record: ConsumedRecord) => Promise<BronzeRow | null>;

export interface BronzeRow {
  dt: string;
  body: Buffer;
  start: number;
  end: number;
}

/** The same decision the sink makes for each record (sink.ts #take), so "missing" means "the sink would have written it". */
export async function bronzeRowOf(serde: Serde, type: CleanTopicKey): Promise<RowOf> {
  const def = TOPICS[type];
  const codec = await serde.codecFor<Record<string, unknown>>(def);
  const inspect = compileInspector(loadSchema(def.schema!), EVENT_TIME_FIELD[type]);
  const row = (body: Buffer, start: number, end: number): BronzeRow => {
    const ms = inspect(body, start, end);
    // The sink's own bounds on an event time: outside them the record is dead-lettered.
    if (ms < -62_135_596_800_000 || ms > 253_402_300_799_999) throw new DecodeError('undecodable-body', `event time ${ms} is not a date between years 1 and 9999`);
    return { dt: utcDate(ms), body, start, end };
  };
  return async (record) => {
    if (record.value === null) return null;
    try {
      if (readSchemaId(record.value) === codec.schemaId) return row(record.value, 5, record.value.length);
      const body = codec.type.toBuffer(await codec.decode(record.value, { partition: record.partition, offset: record.offset }));
      return row(body, 0, body.length);
    } catch (err) {
      if (err instanceof DecodeError) return null;
      throw err;
    }
  };
}

interface Extent {
  bounds: LogPartitionBounds;
  /** Groups in offset order. */
  groups: Group[];
  /** Offset after the last one Bronze claims to hold: the files' end, or the sink's committed offset if further. */
  claimedEnd: number;
}

async function extentOf(p: PartitionGroups | undefined, bounds: LogPartitionBounds, committed: number | undefined): Promise<Extent> {
  const groups = [...(p?.groups ?? [])].sort((a, b) => a.range.first - b.range.first);
  const filesEnd = groups.reduce((n, g) => Math.max(n, g.range.last + 1), 0);
  return { bounds, groups, claimedEnd: Math.min(bounds.high, Math.max(filesEnd, committed ?? 0)) };
}

/** Offsets not covered by any group, from the log's start to the claimed end, as [first, last] ranges. */
function gaps(e: Extent): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let next = e.bounds.low;
  for (const g of e.groups) {
    if (g.range.first > next) out.push([next, g.range.first - 1]);
    next = Math.max(next, g.range.last + 1);
  }
  if (e.claimedEnd > next) out.push([next, e.claimedEnd - 1]);
  return out;
}

function overlaps(p: PartitionGroups, e: Extent): BronzeDamage[] {
  const out: BronzeDamage[] = [];
  let prev: Group | undefined;
  for (const g of e.groups) {
    if (prev && g.range.first <= prev.range.last) {
      out.push({
        type: p.type,
        finding: {
          layer: 'bronze',
          kind: 'duplicate',
          topic: p.topic,
          partition: p.partition,
          from: g.range.first,
          to: Math.min(prev.range.last, g.range.last),
          detail: `write groups ${prev.name} and ${g.name} overlap`,
        },
      });
    }
    if (!prev || g.range.last > prev.range.last) prev = g;
  }
  return out;
}

function ahead(p: PartitionGroups, e: Extent): BronzeDamage[] {
  const last = e.groups.reduce((n, g) => Math.max(n, g.range.last), -1);
  if (last < e.bounds.high) return [];
  return [
    {
      type: p.type,
      finding: {
        layer: 'bronze',
        kind: 'ahead',
        topic: p.topic,
        partition: p.partition,
        from: e.bounds.high,
        to: last,
        detail: `Bronze files cover offsets up to ${last} but the log ends at ${e.bounds.high - 1}: the log lost records Bronze holds`,
      },
    },
  ];
}

/** Offsets of `from..to` whose records make a row. */
async function rowOffsets(source: LogRecordSource, topic: string, partition: number, from: number, to: number, rowOf: RowOf, keep: (offset: number) => boolean = () => true): Promise<number[]> {
  const out: number[] = [];
  await source.read(topic, partition, from, to, async (records) => {
    for (const r of records) if (keep(r.offset) && (await rowOf(r)) !== null) out.push(r.offset);
  });
  return out;
}

function missing(p: { type: CleanTopicKey; topic: string; partition: number }, offsets: number[], why: string): BronzeDamage[] {
  return offsetRuns(offsets).map(([from, to]) => {
    const run = offsets.filter((o) => o >= from && o <= to);
    return {
      type: p.type,
      offsets: run,
      finding: { layer: 'bronze', kind: 'missing', topic: p.topic, partition: p.partition, from, to, detail: `${run.length} records of the log have no Bronze row (${why})` },
    };
  });
}

export interface BronzeCheckDeps {
  source: LogRecordSource;
  rowOf(type: CleanTopicKey): Promise<RowOf>;
  /** The sink's consumer group (its committed offsets extend what Bronze claims to hold). */
  groupId?: string;
}

/** The cheap check: names against the log, reading the log only inside gaps. */
export async function checkBronzeNames(scan: BronzeScan, deps: BronzeCheckDeps): Promise<BronzeDamage[]> {
  const out: BronzeDamage[] = [];
  for (const { p, extent } of await extents(scan, deps)) {
    out.push(...overlaps(p, extent), ...ahead(p, extent));
    const rowOf = await deps.rowOf(p.type);
    const lacking: number[] = [];
    for (const [from, to] of gaps(extent)) lacking.push(...(await rowOffsets(deps.source, p.topic, p.partition, from, to, rowOf)));
    out.push(...missing(p, lacking, 'no file covers these offsets'));
  }
  return out;
}

/** The thorough check: every row against every log record, plus overlapping names. */
export async function checkBronzeRows(scan: BronzeScan, deps: BronzeCheckDeps): Promise<BronzeDamage[]> {
  const out: BronzeDamage[] = [];
  const present = new Map<string, Map<number, number>>();
  for (const [type, files] of scan.files) {
    const counted = await countRows(files, out);
    for (const [partition, offsets] of counted) present.set(partitionKey(TOPICS[type].name, partition), offsets);
  }
  for (const { p, extent } of await extents(scan, deps)) {
    out.push(...overlaps(p, extent), ...ahead(p, extent));
    const rows = present.get(partitionKey(p.topic, p.partition)) ?? new Map<number, number>();
    const twice = [...rows].filter(([, n]) => n > 1).map(([o]) => o);
    for (const [from, to] of offsetRuns(twice.sort((a, b) => a - b))) {
      out.push({ type: p.type, finding: { layer: 'bronze', kind: 'duplicate', topic: p.topic, partition: p.partition, from, to, detail: 'these offsets have more than one Bronze row' } });
    }
    if (extent.claimedEnd <= extent.bounds.low) continue;
    const rowOf = await deps.rowOf(p.type);
    const lacking = await rowOffsets(deps.source, p.topic, p.partition, extent.bounds.low, extent.claimedEnd - 1, rowOf, (o) => !rows.has(o));
    out.push(...missing(p, lacking, 'no file holds their rows'));
  }
  return out;
}

/** Partitions Bronze has files for or the sink committed in, with their extent in the log. */
async function extents(scan: BronzeScan, deps: BronzeCheckDeps): Promise<Array<{ p: PartitionGroups; extent: Extent }>> {
  const out: Array<{ p: PartitionGroups; extent: Extent }> = [];
  for (const type of CLEAN_TOPIC_KEYS) {
    const topic = TOPICS[type].name;
    const committed = await deps.source.committed(deps.groupId ?? BRONZE_DEFAULTS.groupId, topic);
    for (const bounds of await deps.source.bounds(topic)) {
      const p = scan.partitions.get(partitionKey(topic, bounds.partition));
      if (!p && committed.get(bounds.partition) === undefined) continue;
      out.push({ p: p ?? { type, topic, partition: bounds.partition, groups: [] }, extent: await extentOf(p, bounds, committed.get(bounds.partition)) });
    }
  }
  return out;
}

/** Rows per partition and offset in the files; a file DuckDB cannot read becomes a finding. */
async function countRows(files: string[], out: BronzeDamage[]): Promise<Map<number, Map<number, number>>> {
  const counts = new Map<number, Map<number, number>>();
  if (files.length === 0) return counts;
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const sql = (paths: string[]) => `SELECT _partition, _offset, count(*) FROM read_parquet([${paths.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ')}]) GROUP BY ALL`;
  const add = (rows: unknown[][]) => {
    for (const [partition, offset, n] of rows) {
      const p = Number(partition);
      let m = counts.get(p);
      if (!m) {
        m = new Map();
        counts.set(p, m);
      }
      m.set(Number(offset), (m.get(Number(offset)) ?? 0) + Number(n));
    }
  };
  try {
    try {
      add((await conn.runAndReadAll(sql(files))).getRows());
    } catch {
      // One bad file fails the whole read: read them one by one to name it.
      for (const f of files) {
        try {
          add((await conn.runAndReadAll(sql([f]))).getRows());
        } catch (err) {
          out.push({ finding: { layer: 'bronze', kind: 'unreadable', detail: `${f}: ${(err as Error).message.split('\n')[0]}` } });
        }
      }
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return counts;
}

/** Settles what a killed sink or compaction left (recovery.ts), under the Bronze lock. */
export async function repairLeftovers(root: string, leftovers: Finding[], logger: Logger): Promise<void> {
  if (leftovers.length === 0) return;
  const lock = await lockOrExplain(root, leftovers);
  if (!lock) return;
  try {
    await recoverBronze(root, logger);
    for (const dir of await liveDtDirs(root, logger)) {
      const torn = (await readdir(dir)).filter(isRepairTemp);
      for (const name of torn) await rm(join(dir, name));
      if (torn.length > 0) await fsyncDir(dir);
    }
    for (const f of leftovers) settle(f, true, 'repaired');
  } finally {
    await lock.release();
  }
}

/**
 * Writes the missing rows from the log again, as write groups named for the range they belong to.
 * Findings other than missing rows are marked as beyond repair, with why.
 */
export async function repairBronze(root: string, scan: BronzeScan, damages: BronzeDamage[], deps: BronzeCheckDeps): Promise<void> {
  for (const d of damages) {
    if (d.finding.kind === 'duplicate') settle(d.finding, false, 'cannot repair: remove one of the overlapping files by hand, then run verify again');
    else if (d.finding.kind === 'ahead') settle(d.finding, false, 'cannot repair: the records are gone from the log; rebuild Bronze only if the log is the truth');
    else if (d.finding.kind === 'unreadable') settle(d.finding, false, 'cannot repair: move the file away, then run verify --repair again');
  }
  const todo = damages.filter((d) => d.finding.kind === 'missing' && d.offsets && d.type);
  if (todo.length === 0) return;
  const lock = await lockOrExplain(
    root,
    todo.map((d) => d.finding),
  );
  if (!lock) return;
  // One write per write group and partition, whatever the findings: the offsets of one group are
  // often several runs (a compacted file holds every dt=D row of groups spanning days), and a
  // group's file written for the first run would block the next one.
  const byPartition = new Map<string, BronzeDamage[]>();
  for (const d of todo) {
    const key = partitionKey(d.finding.topic!, d.finding.partition!);
    const list = byPartition.get(key);
    if (list) list.push(d);
    else byPartition.set(key, [d]);
  }
  const pool = new ParquetWriterPool();
  try {
    for (const ds of byPartition.values()) {
      const type = ds[0]!.type!;
      const { topic, partition } = ds[0]!.finding as { topic: string; partition: number };
      const bounds = (await deps.source.bounds(topic)).find((b) => b.partition === partition)!;
      const committed = (await deps.source.committed(deps.groupId ?? BRONZE_DEFAULTS.groupId, topic)).get(partition);
      const extent = await extentOf(scan.partitions.get(partitionKey(topic, partition)), bounds, committed);
      const rowOf = await deps.rowOf(type);
      const outcome = new Map<number, string | true>();
      for (const [range, offsets] of unitsOf(
        ds.flatMap((d) => d.offsets!),
        extent,
      )) {
        const result = await writeUnit(root, type, { topic, partition, ...range }, offsets, deps.source, rowOf, pool);
        for (const o of offsets) outcome.set(o, typeof result === 'string' ? result : result.has(o) || `offset ${o} no longer makes a row in the log`);
      }
      for (const d of ds) {
        const problems = new Set(d.offsets!.map((o) => outcome.get(o)!).filter((r): r is string => r !== true));
        if (problems.size > 0) settle(d.finding, false, `cannot repair: ${[...problems].join('; ')}`);
        else settle(d.finding, true, `repaired (${d.offsets!.length} rows written from the log)`);
      }
    }
  } finally {
    await pool.close();
    await lock.release();
  }
}

/** The Bronze lock, or null after marking `findings` as not repairable because a sink holds it. */
async function lockOrExplain(root: string, findings: Finding[]) {
  try {
    return await acquireMaintenanceLock(root);
  } catch (err) {
    if (!(err instanceof PmaError)) throw err;
    for (const f of findings) settle(f, false, `cannot repair: ${err.message}`);
    return null;
  }
}

/** Splits missing offsets by the range their write group is named for: the group holding them, or the gap they are in. */
function unitsOf(offsets: number[], e: Extent): Map<{ first: number; last: number }, number[]> {
  const units = new Map<string, { range: { first: number; last: number }; offsets: number[] }>();
  const holes = gaps(e);
  for (const o of offsets) {
    const g = e.groups.find((x) => x.range.first <= o && o <= x.range.last);
    const hole = g ? undefined : holes.find(([a, b]) => a <= o && o <= b);
    const range = g ? { first: g.range.first, last: g.range.last } : hole ? { first: hole[0], last: hole[1] } : { first: o, last: o };
    const key = `${range.first}-${range.last}`;
    const unit = units.get(key) ?? { range, offsets: [] };
    unit.offsets.push(o);
    units.set(key, unit);
  }
  return new Map([...units.values()].map((u) => [u.range, u.offsets]));
}

/** Writes the rows of `offsets` as the write group `range`; returns the offsets written, or why it could not. */
async function writeUnit(root: string, type: CleanTopicKey, range: FileRange, offsets: number[], source: LogRecordSource, rowOf: RowOf, pool: ParquetWriterPool): Promise<Set<number> | string> {
  const wanted = new Set(offsets);
  const written = new Set<number>();
  const byDt = new Map<string, BodyBuffer>();
  // Not Math.min(...offsets): a whole lost file can hold more offsets than a call takes arguments.
  const lo = offsets.reduce((a, b) => Math.min(a, b));
  const hi = offsets.reduce((a, b) => Math.max(a, b));
  await source.read(range.topic, range.partition, lo, hi, async (records) => {
    for (const r of records) {
      if (!wanted.has(r.offset)) continue;
      const row = await rowOf(r);
      if (!row) continue;
      let bodies = byDt.get(row.dt);
      if (!bodies) {
        bodies = new BodyBuffer();
        byDt.set(row.dt, bodies);
      }
      bodies.append(row.body, row.start, row.end, r.offset);
      written.add(r.offset);
    }
  });
  const dir = typeDir(root, type);
  const name = fileName(range);
  for (const dt of byDt.keys()) {
    const exists = await stat(join(dir, dtDirName(dt), name)).then(
      () => true,
      () => false,
    );
    if (exists) return `${join(dir, dtDirName(dt), name)} exists but lacks rows of offsets ${lo}..${hi}`;
  }
  if (written.size === 0) return written;
  const known = new Set<string>();
  const staged: Array<{ temp: string; final: string }> = [];
  try {
    for (const [dt, bodies] of byDt) {
      const dtDir = await ensureDtDir(dir, dt, known);
      const temp = join(dtDir, repairTempName(name));
      staged.push({ temp, final: join(dtDir, name) });
      await pool.write(TOPICS[type].schema!, range.partition, bodies.take(), temp);
    }
  } catch (err) {
    // The write's own error is the one to report; a temporary that cannot be removed is named as a leftover by the next scan.
    await Promise.allSettled(staged.map((s) => rm(s.temp, { force: true })));
    throw err;
  }
  for (const s of staged) await rename(s.temp, s.final);
  for (const d of new Set(staged.map((s) => dirname(s.final)))) await fsyncDir(d);
  return written;
}

/**
 * The temporary a repair writes a file under. Not the sink's `.<name>.tmp`: the repaired group
 * often has files in other dts already, and recovery publishes a sink temporary whose group has
 * a file anywhere (it takes it for complete), so a repair killed or failing mid-write would leave
 * a torn file. Recovery never touches this name; verify reports it and --repair deletes it.
 */
function repairTempName(name: string): string {
  return `.${name}${REPAIR_TEMP_SUFFIX}`;
}

const REPAIR_TEMP_SUFFIX = '.repair.tmp';

function isRepairTemp(name: string): boolean {
  return name.startsWith('.') && name.endsWith(REPAIR_TEMP_SUFFIX) && parseFileName(name.slice(1, -REPAIR_TEMP_SUFFIX.length)) !== null;
}

async function dirEntries(dir: string): Promise<string[] | null> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
