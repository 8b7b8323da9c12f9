/**
 * Checks of Silver and its snapshot against the log for `pma verify` (and `pma status`), and their
 * repair. Silver stores, with its rows, the next offset of every partition it applied; those
 * offsets say what it holds:
 *
 * - an offset past the log's end means Silver applied records the log no longer has (the log was
 *   truncated or replaced): its offsets cannot be trusted, and a rebuild from the log is the repair;
 * - an offset before the log's start means records were deleted before Silver read them: lost;
 * - a Silver file gone or unreadable while its sink had committed offsets: rebuilt from the log;
 * - the snapshot must hold what Silver holds once the sink has stopped (it publishes on stop), and
 *   while it runs be no older than its interval promises; otherwise it is published again.
 * - temporaries of a snapshot copy or of a rebuild whose process is gone are deleted.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { type Finding, type LogRecordSource, settle } from '../../runtime/verify.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { partitionKey } from '../../transport/partition-key.ts';
import { processAlive } from '../common/dir-lock.ts';
import { readAdvert } from './endpoint.ts';
import { rebuildSilver } from './rebuild.ts';
import { OFFSETS_TABLE } from './schema.ts';
import { SILVER_DEFAULTS, type SilverSinkDeps } from './sink.ts';
import { defaultSnapshotPath, SnapshotPublisher } from './snapshot.ts';
import { SILVER_TOPIC_KEYS } from './staging.ts';
import { openSilverDatabase, type PartitionOffset } from './writer.ts';

/** What a repair of Silver needs to do, besides the findings to report. */
export interface SilverCheck {
  findings: Finding[];
  /** Silver's offsets cannot be trusted (or it is gone): rebuild it from the log. */
  rebuild: boolean;
  /** The snapshot differs from Silver: publish it again. */
  republish: boolean;
  /** Temporaries to delete. */
  leftovers: string[];
  /** Pid of the sink writing Silver, if one runs (nothing is repaired under it). */
  livePid?: number;
}

type Read = { state: 'ok'; offsets: PartitionOffset[] } | { state: 'busy' } | { state: 'unreadable'; why: string };

/** The offsets stored in a DuckDB file of Silver's shape. */
async function readOffsets(path: string): Promise<Read> {
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  } catch (err) {
    const message = (err as Error).message;
    return /lock/i.test(message) ? { state: 'busy' } : { state: 'unreadable', why: message.split('\n')[0]! };
  }
  const conn = await instance.connect();
  try {
    const r = await conn.runAndReadAll(`SELECT topic, "partition", next_offset FROM ${OFFSETS_TABLE} ORDER BY ALL`);
    return { state: 'ok', offsets: r.getRows().map(([topic, partition, offset]) => ({ topic: String(topic), partition: Number(partition), offset: Number(offset) })) };
  } catch (err) {
    return { state: 'unreadable', why: (err as Error).message.split('\n')[0]! };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export interface SilverCheckOptions {
  silverPath: string;
  /** The snapshot interval a running sink promises (default the sink's). */
  snapshotIntervalMs?: number;
  now?: number;
}

export async function checkSilver(options: SilverCheckOptions, source: LogRecordSource): Promise<SilverCheck> {
  const { silverPath } = options;
  const snapshotPath = defaultSnapshotPath(silverPath);
  const check: SilverCheck = { findings: [], rebuild: false, republish: false, leftovers: [] };
  const advert = readAdvert(silverPath);
  if (advert) check.livePid = advert.pid;
  check.leftovers = leftovers(silverPath, snapshotPath, advert !== undefined);
  for (const path of check.leftovers) check.findings.push({ layer: 'temp', kind: 'leftover', detail: `${path}: a temporary of a Silver snapshot, rebuild or new file whose process is gone` });

  const ends = new Map<string, { low: number; high: number }>();
  for (const key of SILVER_TOPIC_KEYS) {
    const topic = TOPICS[key].name;
    for (const b of await source.bounds(topic)) ends.set(partitionKey(topic, b.partition), b);
  }
  if (!existsSync(silverPath)) {
    let committed = 0;
    for (const key of SILVER_TOPIC_KEYS) committed += (await source.committed(SILVER_DEFAULTS.groupId, TOPICS[key].name)).size;
    if (committed > 0) {
      check.findings.push({ layer: 'silver', kind: 'missing', detail: `${silverPath} is gone, yet its sink (group ${SILVER_DEFAULTS.groupId}) committed offsets` });
      check.rebuild = true;
    }
    return check;
  }
  // A running sink holds the file; its status endpoint is the live view, and nothing is repaired under it.
  const silver = advert ? { state: 'busy' as const } : await readOffsets(silverPath);
  if (silver.state === 'unreadable') {
    check.findings.push({ layer: 'silver', kind: 'unreadable', detail: `${silverPath}: ${silver.why}` });
    check.rebuild = true;
    return check;
  }
  if (silver.state === 'ok') {
    for (const o of silver.offsets) {
      const end = ends.get(partitionKey(o.topic, o.partition));
      const at = { layer: 'silver' as const, topic: o.topic, partition: o.partition };
      if (!end || o.offset > end.high) {
        const high = end?.high ?? 0;
        check.findings.push({
          ...at,
          kind: 'ahead',
          from: high,
          to: o.offset - 1,
          detail: `Silver applied offsets up to ${o.offset - 1} but the log ends at ${high - 1}: its offsets cannot be trusted`,
        });
        check.rebuild = true;
      } else if (o.offset < end.low) {
        check.findings.push({ ...at, kind: 'behind', from: o.offset, to: end.low - 1, detail: `records were deleted from the log before Silver applied them`, lost: end.low - o.offset });
      }
    }
  }
  if (!existsSync(snapshotPath)) return check;
  const snapshot = await readOffsets(snapshotPath);
  if (snapshot.state === 'unreadable') {
    check.findings.push({ layer: 'snapshot', kind: 'unreadable', detail: `${snapshotPath}: ${snapshot.why}` });
    check.republish = true;
  } else if (snapshot.state === 'ok' && silver.state === 'ok' && !check.rebuild) {
    const diff = offsetDifference(silver.offsets, snapshot.offsets);
    if (diff !== 0) {
      check.findings.push({
        layer: 'snapshot',
        kind: diff > 0 ? 'stale' : 'ahead',
        detail: `${snapshotPath} ${diff > 0 ? `lacks ${diff} records Silver holds` : `holds ${-diff} records Silver does not`}, and no sink is running to publish it`,
      });
      check.republish = true;
    }
  } else if (advert) {
    const promise = options.snapshotIntervalMs ?? SILVER_DEFAULTS.snapshotIntervalMs;
    const age = (options.now ?? Date.now()) - statSync(snapshotPath).mtimeMs;
    // The sink stretches its interval for big files (ten times the last copy); allow twice the promise plus that slack.
    if (age > 2 * promise + 60_000)
      check.findings.push({ layer: 'snapshot', kind: 'stale', detail: `${snapshotPath} is ${Math.round(age / 1000)}s old while the sink (pid ${advert.pid}) promises one every ${promise / 1000}s` });
  }
  return check;
}

/** Records Silver holds that the snapshot does not (negative: the snapshot holds more). */
function offsetDifference(silver: readonly PartitionOffset[], snapshot: readonly PartitionOffset[]): number {
  const at = new Map(snapshot.map((o) => [partitionKey(o.topic, o.partition), o.offset]));
  let diff = 0;
  const seen = new Set<string>();
  for (const o of silver) {
    const key = partitionKey(o.topic, o.partition);
    seen.add(key);
    diff += o.offset - (at.get(key) ?? 0);
  }
  for (const o of snapshot) if (!seen.has(partitionKey(o.topic, o.partition))) diff -= o.offset;
  return diff;
}

/** Snapshot copies (`<snapshot>.tmp-<pid>`) and new files of dead processes, and a rebuild's file when no sink or rebuild holds it. */
function leftovers(silverPath: string, snapshotPath: string, live: boolean): string[] {
  const out: string[] = [];
  const dir = dirname(snapshotPath);
  const prefix = `${basename(snapshotPath)}.tmp-`;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isSafeInteger(pid) || !processAlive(pid)) out.push(join(dir, name));
  }
  if (!live) for (const path of [`${silverPath}.rebuild`, `${silverPath}.rebuild.wal`]) if (existsSync(path)) out.push(path);
  out.push(...creatingLeftovers(silverPath));
  return out;
}

/** A new Silver file (`<silver>.<pid>-<hex>.creating`, and its WAL) or a writer claim's temporary (`<silver>.writer.<pid>.tmp`) whose process is gone. */
function creatingLeftovers(silverPath: string): string[] {
  const dir = dirname(silverPath);
  const prefix = `${basename(silverPath)}.`;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const out: string[] = [];
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(?:(\d+)-[0-9a-f]+\.creating(?:\.wal)?|writer\.(\d+)\.tmp)$/.exec(name.slice(prefix.length)) : null;
    if (m && !processAlive(Number(m[1] ?? m[2]))) out.push(join(dir, name));
  }
  return out;
}

/** Rebuilds Silver, republishes the snapshot, deletes leftovers, as `check` asks; marks its findings. */
export async function repairSilver(check: SilverCheck, silverPath: string, deps: SilverSinkDeps): Promise<void> {
  if (check.livePid !== undefined) {
    for (const f of check.findings) settle(f, false, `cannot repair: a Silver sink (pid ${check.livePid}) is writing ${silverPath}; stop it first`);
    return;
  }
  for (const path of check.leftovers) rmSync(path, { force: true });
  for (const f of check.findings.filter((f) => f.layer === 'temp')) settle(f, true, 'repaired');
  if (check.rebuild) {
    const result = await rebuildSilver({ silverPath, start: { from: 'beginning' }, groupId: `pma-verify-rebuild-${Date.now()}`, batchRows: SILVER_DEFAULTS.batchRows }, deps);
    const kept = result.previous ? `, the old file kept as ${result.previous}` : '';
    for (const f of check.findings.filter((f) => f.layer === 'silver' || f.layer === 'snapshot')) {
      if (f.kind === 'behind') settle(f, false, 'cannot repair: the records are gone from the log');
      else settle(f, true, `rebuilt (${result.records} records applied from the log${kept})`);
    }
    return;
  }
  for (const f of check.findings.filter((f) => f.layer === 'silver' && f.kind === 'behind')) settle(f, false, 'cannot repair: the records are gone from the log');
  if (check.republish) {
    const instance = await openSilverDatabase(silverPath);
    const conn = await instance.connect();
    let snapshots: SnapshotPublisher | undefined;
    try {
      snapshots = await SnapshotPublisher.open(silverPath, defaultSnapshotPath(silverPath));
      const published = await snapshots.publish(conn);
      for (const f of check.findings.filter((f) => f.layer === 'snapshot')) {
        settle(f, published !== undefined, published ? 'repaired (snapshot published again)' : 'cannot repair: Silver could not checkpoint');
      }
    } finally {
      conn.closeSync();
      instance.closeSync();
      // Only once DuckDB closed the file: the publisher's descriptor holds DuckDB's lock until then (snapshot.ts).
      await snapshots?.close();
    }
  }
}
