/**
 * Checks of the embedded log file for `pma verify` and `pma status`, made on a read-only
 * connection so that checking never changes (or creates) what it checks:
 *
 * - the file itself (cheap): it must be an SQLite database holding the log's tables; a file
 *   truncated, overwritten or replaced by another database is reported with what is wrong;
 * - every stored batch (thorough): its CRC and framing must hold and it must decode to the records
 *   its row promises; a batch that does not is reported with its topic, partition and offsets;
 * - batches quarantined earlier (quarantine.ts): their records are gone from the log for good.
 */
import { statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { PmaError } from '../../runtime/errors.ts';
import type { Finding, LogPartitionBounds, LogRecordSource } from '../../runtime/verify.ts';
import type { ConsumedRecord } from '../types.ts';
import { decodeBatch } from './batch-codec.ts';
import { QUARANTINE_TABLE } from './quarantine-table.ts';

/** The tables the log cannot work without (schema.ts). */
const LOG_TABLES = ['log_meta', 'log_topics', 'log_partitions', 'log_batches', 'log_group_offsets'];

export type LogFileState = { state: 'missing' } | { state: 'ok' } | { state: 'unreadable'; finding: Finding };

const unreadable = (path: string, what: string): LogFileState => ({ state: 'unreadable', finding: { layer: 'log', kind: 'unreadable', detail: `${path}: ${what}` } });

/**
 * Whether the log file is there and usable. `thorough` adds SQLite's own page check (it reads
 * the whole file). Missing is not damage: the caller says there is no log yet.
 */
export function checkLogFile(path: string, thorough: boolean): LogFileState {
  try {
    const st = statSync(path);
    if (!st.isFile()) return unreadable(path, 'is not a file');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'missing' };
    return unreadable(path, `cannot be read (${code ?? (err as Error).message})`);
  }
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true });
  } catch (err) {
    return unreadable(path, `cannot be opened as an SQLite database (${(err as Error).message})`);
  }
  try {
    let tables: Set<string>;
    try {
      tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
    } catch (err) {
      return unreadable(path, `is not a readable SQLite database, truncated or overwritten? (${(err as Error).message})`);
    }
    const missing = LOG_TABLES.filter((t) => !tables.has(t));
    if (missing.length === LOG_TABLES.length) return unreadable(path, `is an SQLite database without any of the log's tables (truncated, emptied or replaced?)`);
    if (missing.length > 0) return unreadable(path, `lacks the log tables ${missing.join(', ')}`);
    try {
      for (const t of LOG_TABLES) db.prepare(`SELECT count(*) FROM ${t}`).get();
      if (thorough) {
        const problems = (db.prepare('PRAGMA quick_check').all() as Array<{ quick_check: string }>).map((r) => r.quick_check).filter((r) => r !== 'ok');
        if (problems.length > 0) return unreadable(path, `fails SQLite's page check: ${problems.slice(0, 3).join('; ')}`);
      }
    } catch (err) {
      return unreadable(path, `cannot be read through (${(err as Error).message})`);
    }
    return { state: 'ok' };
  } finally {
    db.close();
  }
}

/** A stored batch that fails its checks, with the row id quarantine needs. */
export interface DamagedBatch {
  id: number;
  finding: Finding;
}

interface BatchRow {
  id: number;
  topic: string;
  partition: number;
  base_offset: number;
  last_offset: number;
  record_count: number;
  payload: Uint8Array;
}

/** Decodes every stored batch: CRC, framing, and the count and last offset its row promises. */
export function findDamagedBatches(path: string): DamagedBatch[] {
  const db = new DatabaseSync(path, { readOnly: true });
  const damaged: DamagedBatch[] = [];
  try {
    const rows = db.prepare(
      'SELECT b.id, t.name AS topic, b.partition, b.base_offset, b.last_offset, b.record_count, b.payload FROM log_batches b JOIN log_topics t ON t.id = b.topic_id ORDER BY t.name, b.partition, b.last_offset',
    );
    for (const row of rows.iterate() as Iterable<BatchRow>) {
      const problem = batchProblem(row);
      if (problem === null) continue;
      damaged.push({
        id: row.id,
        finding: {
          layer: 'log',
          kind: 'crc',
          topic: row.topic,
          partition: row.partition,
          from: row.base_offset,
          to: row.last_offset,
          detail: `batch of ${row.record_count} records: ${problem}`,
          lost: row.record_count,
        },
      });
    }
  } finally {
    db.close();
  }
  return damaged;
}

function batchProblem(row: BatchRow): string | null {
  const out: ConsumedRecord[] = [];
  let last: number;
  try {
    last = decodeBatch(row.payload, { topic: row.topic, partition: row.partition, baseOffset: row.base_offset }, 0, out, {
      records: Number.MAX_SAFE_INTEGER,
      bytes: Number.MAX_SAFE_INTEGER,
      taken: 0,
    });
  } catch (err) {
    if (err instanceof PmaError) return err.message;
    throw err;
  }
  if (out.length !== row.record_count) return `holds ${out.length} records, its row says ${row.record_count}`;
  if (last !== row.last_offset) return `ends at offset ${last}, its row says ${row.last_offset}`;
  return null;
}

/** Batches quarantined by an earlier repair: their records are gone, which no repair undoes. */
export function quarantinedBatches(path: string): Finding[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(QUARANTINE_TABLE);
    if (!exists) return [];
    const rows = db.prepare(`SELECT topic, partition, base_offset, last_offset, record_count, reason, quarantined_at FROM ${QUARANTINE_TABLE} ORDER BY topic, partition, base_offset`).all() as Array<{
      topic: string;
      partition: number;
      base_offset: number;
      last_offset: number;
      record_count: number;
      reason: string;
      quarantined_at: number;
    }>;
    return rows.map((r) => ({
      layer: 'log',
      kind: 'lost',
      topic: r.topic,
      partition: r.partition,
      from: r.base_offset,
      to: r.last_offset,
      detail: `quarantined ${new Date(r.quarantined_at).toISOString()} (${r.reason}); the records are in ${QUARANTINE_TABLE}, not in the log`,
      lost: r.record_count,
    }));
  } finally {
    db.close();
  }
}

/** Reads a valid embedded log file for the other layers' checks, on a read-only connection. */
export class EmbeddedRecordSource implements LogRecordSource {
  readonly #db: DatabaseSync;

  constructor(path: string) {
    this.#db = new DatabaseSync(path, { readOnly: true });
  }

  async bounds(topic: string): Promise<LogPartitionBounds[]> {
    const rows = this.#db
      .prepare('SELECT p.partition, p.log_start, p.next_offset FROM log_partitions p JOIN log_topics t ON t.id = p.topic_id WHERE t.name = ? ORDER BY p.partition')
      .all(topic) as Array<{ partition: number; log_start: number; next_offset: number }>;
    return rows.map((r) => ({ partition: r.partition, low: r.log_start, high: r.next_offset }));
  }

  async committed(groupId: string, topic: string): Promise<Map<number, number>> {
    const rows = this.#db.prepare('SELECT partition, next_offset FROM log_group_offsets WHERE group_id = ? AND topic = ?').all(groupId, topic) as Array<{ partition: number; next_offset: number }>;
    return new Map(rows.map((r) => [r.partition, r.next_offset]));
  }

  async read(topic: string, partition: number, from: number, to: number, each: (records: readonly ConsumedRecord[]) => Promise<void> | void): Promise<void> {
    const rows = this.#db
      .prepare(
        'SELECT b.base_offset, b.last_offset, b.payload FROM log_batches b JOIN log_topics t ON t.id = b.topic_id WHERE t.name = ? AND b.partition = ? AND b.last_offset >= ? AND b.base_offset <= ? ORDER BY b.last_offset',
      )
      .iterate(topic, partition, from, to) as Iterable<{ base_offset: number; last_offset: number; payload: Uint8Array }>;
    for (const row of rows) {
      const out: ConsumedRecord[] = [];
      try {
        decodeBatch(row.payload, { topic, partition, baseOffset: row.base_offset }, from, out, { records: Number.MAX_SAFE_INTEGER, bytes: Number.MAX_SAFE_INTEGER, taken: 0 });
      } catch (err) {
        if (err instanceof PmaError) continue;
        throw err;
      }
      const inRange = out.filter((r) => r.offset <= to);
      if (inRange.length > 0) await each(inRange);
    }
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
