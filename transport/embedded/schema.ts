/**
 * The embedded log's tables, created and upgraded by numbered migrations. The version lives in
 * `log_meta` (not `PRAGMA user_version`) because other components keep their own tables in the
 * same file. Every table is prefixed `log_`.
 *
 * Records are stored as batches: one row per produced batch per partition, holding the offsets
 * it covers, its timestamp range and size, and the records in the binary framing of
 * batch-codec.ts. Offsets inside a partition are assigned by bumping `log_partitions.next_offset`
 * in the producing transaction.
 */
import type { DatabaseSync } from 'node:sqlite';
import { TransportError } from '../../runtime/errors.ts';

const MIGRATIONS: string[] = [
  `
  CREATE TABLE log_topics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    partitions INTEGER NOT NULL,
    cleanup_policy TEXT NOT NULL CHECK (cleanup_policy IN ('delete', 'compact')),
    retention_ms INTEGER,
    retention_bytes INTEGER,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE log_partitions (
    topic_id INTEGER NOT NULL,
    partition INTEGER NOT NULL,
    log_start INTEGER NOT NULL DEFAULT 0,
    next_offset INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    dirty_bytes INTEGER NOT NULL DEFAULT 0,
    compacted_at INTEGER,
    PRIMARY KEY (topic_id, partition)
  ) WITHOUT ROWID;
  CREATE TABLE log_batches (
    id INTEGER PRIMARY KEY,
    topic_id INTEGER NOT NULL,
    partition INTEGER NOT NULL,
    base_offset INTEGER NOT NULL,
    last_offset INTEGER NOT NULL,
    record_count INTEGER NOT NULL,
    first_ts INTEGER NOT NULL,
    max_ts INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    payload BLOB NOT NULL
  );
  CREATE UNIQUE INDEX log_batches_by_offset ON log_batches (topic_id, partition, last_offset, max_ts);
  CREATE TABLE log_groups (
    group_id TEXT PRIMARY KEY,
    generation INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE log_group_members (
    group_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    topics TEXT NOT NULL,
    session_timeout_ms INTEGER NOT NULL,
    joined_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, member_id)
  ) WITHOUT ROWID;
  CREATE TABLE log_group_owners (
    group_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
  ) WITHOUT ROWID;
  CREATE TABLE log_group_offsets (
    group_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    committed_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
  ) WITHOUT ROWID;
  INSERT INTO log_meta (key, value) VALUES ('topics_version', 0);
  `,
  // Offsets are assigned once: two batches can never end at the same offset of a partition.
  'CREATE UNIQUE INDEX log_batches_last_offset ON log_batches (topic_id, partition, last_offset);',
];

/** Brings the log's tables to the current version. Run inside a write transaction. */
export function migrate(db: DatabaseSync): void {
  db.exec('CREATE TABLE IF NOT EXISTS log_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID');
  const row = db.prepare("SELECT value FROM log_meta WHERE key = 'schema_version'").get() as { value: number } | undefined;
  const current = row?.value ?? 0;
  if (current > MIGRATIONS.length) {
    throw new TransportError(`the embedded log was written by a newer version (schema ${current}, this build knows ${MIGRATIONS.length})`, { schemaVersion: current });
  }
  for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
  db.prepare("INSERT INTO log_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(MIGRATIONS.length);
}

/** Bumped whenever a topic is created or deleted, so consumers know to re-read topic metadata. */
export const TOPICS_VERSION_SQL = "SELECT value FROM log_meta WHERE key = 'topics_version'";
export const BUMP_TOPICS_VERSION_SQL = "UPDATE log_meta SET value = value + 1 WHERE key = 'topics_version'";
