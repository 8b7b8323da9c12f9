/**
 * Where `pma verify --repair` keeps the batches it quarantined (quarantine.ts), and the question a
 * consumer asks of it. A topic that is never compacted holds every offset, so a hole is damage
 * (fetcher.ts refuses to step over it), except offsets verify quarantined: their loss was reported
 * and dead-lettered once, and the log is meant to move on past them.
 */
import type { LogDatabase } from './database.ts';

/** Not `log_`: that prefix is the log schema's own (schema.ts). */
export const QUARANTINE_TABLE = 'verify_quarantine';

/** Whether batches quarantined from the partition cover every offset from..to. */
export function quarantinedCover(db: LogDatabase, topic: string, partition: number, from: number, to: number): boolean {
  if (!db.stmt("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(QUARANTINE_TABLE)) return false;
  const rows = db
    .stmt(`SELECT base_offset, last_offset FROM ${QUARANTINE_TABLE} WHERE topic = ? AND partition = ? AND last_offset >= ? AND base_offset <= ? ORDER BY base_offset`)
    .iterate(topic, partition, from, to) as Iterable<{ base_offset: number; last_offset: number }>;
  let next = from;
  for (const r of rows) {
    if (r.base_offset > next) return false;
    next = Math.max(next, r.last_offset + 1);
  }
  return next > to;
}
