/**
 * Topic metadata (id, partition count, cleanup policy, retention), cached per connection and
 * re-read when `topics_version` moves (any process creating or deleting a topic bumps it).
 */
import { TopicError } from '../../runtime/errors.ts';
import type { CleanupPolicy, TopicDescription } from '../types.ts';
import type { LogDatabase } from './database.ts';
import { TOPICS_VERSION_SQL } from './schema.ts';

export interface TopicMeta {
  id: number;
  name: string;
  partitions: number;
  cleanupPolicy: CleanupPolicy;
  retentionMs: number | null;
  retentionBytes: number | null;
}

interface TopicRow {
  id: number;
  name: string;
  partitions: number;
  cleanup_policy: CleanupPolicy;
  retention_ms: number | null;
  retention_bytes: number | null;
}

export class TopicCatalog {
  readonly #db: LogDatabase;
  #byName = new Map<string, TopicMeta>();
  #version = -1;

  constructor(db: LogDatabase) {
    this.#db = db;
  }

  /** Re-reads the topics if another connection changed them; returns true if it did. */
  refreshIfChanged(): boolean {
    const version = (this.#db.stmt(TOPICS_VERSION_SQL).get() as { value: number }).value;
    if (version === this.#version) return false;
    const rows = this.#db.stmt('SELECT id, name, partitions, cleanup_policy, retention_ms, retention_bytes FROM log_topics ORDER BY name').all() as unknown as TopicRow[];
    this.#byName = new Map(
      rows.map((r) => [
        r.name,
        {
          id: r.id,
          name: r.name,
          partitions: r.partitions,
          cleanupPolicy: r.cleanup_policy,
          retentionMs: r.retention_ms,
          retentionBytes: r.retention_bytes,
        },
      ]),
    );
    this.#version = version;
    return true;
  }

  /** The topics version the cache now reflects (after refreshing if it moved). */
  version(): number {
    this.refreshIfChanged();
    return this.#version;
  }

  /** The cached topic, refreshing once if it is unknown (it may have been created elsewhere). */
  get(name: string): TopicMeta | undefined {
    const known = this.#byName.get(name);
    if (known) return known;
    this.refreshIfChanged();
    return this.#byName.get(name);
  }

  require(name: string): TopicMeta {
    const topic = this.get(name);
    if (!topic) throw new TopicError(`topic "${name}" does not exist`, { topic: name });
    return topic;
  }

  all(): TopicMeta[] {
    this.refreshIfChanged();
    return [...this.#byName.values()];
  }

  /** Forgets the cache (after this connection created or deleted a topic, or found one gone). */
  invalidate(): void {
    this.#byName.clear();
    this.#version = -1;
  }
}

export function describe(meta: TopicMeta): TopicDescription {
  const d: TopicDescription = { name: meta.name, partitions: meta.partitions, cleanupPolicy: meta.cleanupPolicy };
  if (meta.retentionMs !== null) d.retentionMs = meta.retentionMs;
  if (meta.retentionBytes !== null) d.retentionBytes = meta.retentionBytes;
  return d;
}
