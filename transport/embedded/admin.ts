/** Topic and group administration on the embedded log. */
import { ConsumerStateError, TopicError } from '../../runtime/errors.ts';
import type { Admin, GroupMemberInfo, PartitionLag, PartitionOffsets, TopicDescription, TopicPartitionOffset, TopicSpec } from '../types.ts';
import { describe, type TopicCatalog } from './catalog.ts';
import type { LogDatabase } from './database.ts';
import type { LogMaintenance, MaintenanceReport } from './maintenance.ts';
import type { ChangeNotifier } from './notifier.ts';
import { offsetsForTimestamp, partitionBounds } from './offsets.ts';
import { BUMP_TOPICS_VERSION_SQL } from './schema.ts';

/** The embedded admin adds a way to run retention and compaction now. */
export interface EmbeddedAdmin extends Admin {
  /**
   * Runs retention on delete-policy topics and compaction on compacted ones right away
   * (compaction regardless of how much is new). Topics default to all.
   */
  compactNow(topics?: string[]): Promise<MaintenanceReport>;
}

/** Kafka's rule for topic names, so a topic made here can exist on a broker too. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export class EmbeddedAdminImpl implements EmbeddedAdmin {
  readonly #db: LogDatabase;
  readonly #catalog: TopicCatalog;
  readonly #maintenance: LogMaintenance;
  readonly #notifier: ChangeNotifier;

  constructor(deps: { db: LogDatabase; catalog: TopicCatalog; maintenance: LogMaintenance; notifier: ChangeNotifier }) {
    this.#db = deps.db;
    this.#catalog = deps.catalog;
    this.#maintenance = deps.maintenance;
    this.#notifier = deps.notifier;
  }

  async createTopics(specs: TopicSpec[]): Promise<void> {
    for (const spec of specs) validateSpec(spec);
    const db = this.#db;
    let created = false;
    db.write(() => {
      const now = Date.now();
      for (const spec of specs) {
        const policy = spec.cleanupPolicy ?? 'delete';
        const existing = db.stmt('SELECT partitions, cleanup_policy FROM log_topics WHERE name = ?').get(spec.name) as { partitions: number; cleanup_policy: string } | undefined;
        if (existing) {
          if (existing.partitions !== spec.partitions || existing.cleanup_policy !== policy) {
            throw new TopicError(`topic "${spec.name}" exists with ${existing.partitions} partitions and cleanup policy ${existing.cleanup_policy}, not ${spec.partitions} and ${policy}`, {
              topic: spec.name,
              partitions: existing.partitions,
              requested: spec.partitions,
            });
          }
          // Like Kafka, an existing topic keeps its settings: creating it again changes nothing.
          continue;
        }
        const row = db
          .stmt('INSERT INTO log_topics (name, partitions, cleanup_policy, retention_ms, retention_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id')
          .get(spec.name, spec.partitions, policy, spec.retentionMs ?? null, spec.retentionBytes ?? null, now) as { id: number };
        const partition = db.stmt('INSERT INTO log_partitions (topic_id, partition) VALUES (?, ?)');
        for (let p = 0; p < spec.partitions; p++) partition.run(row.id, p);
        created = true;
      }
      if (created) db.stmt(BUMP_TOPICS_VERSION_SQL).run();
    });
    this.#catalog.invalidate();
    if (created) this.#notifier.changed();
  }

  async deleteTopics(names: string[]): Promise<void> {
    const db = this.#db;
    db.write(() => {
      const ids = names.map((name) => {
        const row = db.stmt('SELECT id FROM log_topics WHERE name = ?').get(name) as { id: number } | undefined;
        if (!row) throw new TopicError(`topic "${name}" does not exist`, { topic: name });
        return row.id;
      });
      names.forEach((name, i) => {
        const id = ids[i]!;
        db.stmt('DELETE FROM log_batches WHERE topic_id = ?').run(id);
        db.stmt('DELETE FROM log_partitions WHERE topic_id = ?').run(id);
        db.stmt('DELETE FROM log_topics WHERE id = ?').run(id);
        db.stmt('DELETE FROM log_group_owners WHERE topic = ?').run(name);
        db.stmt('DELETE FROM log_group_offsets WHERE topic = ?').run(name);
      });
      db.stmt(BUMP_TOPICS_VERSION_SQL).run();
    });
    this.#catalog.invalidate();
    this.#notifier.changed();
  }

  async listTopics(): Promise<TopicDescription[]> {
    return this.#catalog.all().map(describe);
  }

  async describeTopic(name: string): Promise<TopicDescription | undefined> {
    this.#catalog.refreshIfChanged();
    const meta = this.#catalog.get(name);
    return meta ? describe(meta) : undefined;
  }

  async offsets(topic: string): Promise<PartitionOffsets[]> {
    return partitionBounds(this.#db, this.#topic(topic));
  }

  async offsetsForTimestamp(topic: string, timestamp: number): Promise<TopicPartitionOffset[]> {
    return offsetsForTimestamp(this.#db, this.#topic(topic), timestamp);
  }

  async groupOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]> {
    const rows = this.#db.stmt('SELECT partition, next_offset FROM log_group_offsets WHERE group_id = ? AND topic = ? ORDER BY partition').all(groupId, topic) as Array<{
      partition: number;
      next_offset: number;
    }>;
    return rows.map((r) => ({ topic, partition: r.partition, offset: r.next_offset }));
  }

  async setGroupOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void> {
    const db = this.#db;
    db.write(
      () => {
        const live = db.stmt('SELECT count(*) AS n FROM log_group_members WHERE group_id = ? AND heartbeat_at + session_timeout_ms >= ?').get(groupId, Date.now()) as { n: number };
        if (live.n > 0) {
          throw new ConsumerStateError(`cannot set offsets of group "${groupId}": it has ${live.n} live member(s); stop them first`, {
            group: groupId,
          });
        }
        for (const o of offsets) {
          const meta = this.#topic(o.topic);
          if (!Number.isInteger(o.partition) || o.partition < 0 || o.partition >= meta.partitions) {
            throw new TopicError(`partition ${o.partition} does not exist (topic has ${meta.partitions})`, { ...o });
          }
          if (!Number.isSafeInteger(o.offset) || o.offset < 0) {
            throw new ConsumerStateError(`offset ${o.offset} is not a non-negative integer`, { ...o });
          }
          db.stmt(
            'INSERT INTO log_group_offsets (group_id, topic, partition, next_offset, committed_at) VALUES (?, ?, ?, ?, ?) ' +
              'ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset, committed_at = excluded.committed_at',
          ).run(groupId, o.topic, o.partition, o.offset, Date.now());
        }
      },
      { group: groupId },
    );
    this.#notifier.changed();
  }

  async lag(groupId: string, topic: string): Promise<PartitionLag[]> {
    const meta = this.#topic(topic);
    return this.#db.read(() => {
      const committed = new Map(
        (this.#db.stmt('SELECT partition, next_offset FROM log_group_offsets WHERE group_id = ? AND topic = ?').all(groupId, topic) as Array<{ partition: number; next_offset: number }>).map((r) => [
          r.partition,
          r.next_offset,
        ]),
      );
      return partitionBounds(this.#db, meta).map(({ partition, low, high }) => {
        const c = committed.get(partition);
        return { topic, partition, committed: c ?? null, high, lag: Math.max(0, c === undefined ? high - low : high - Math.max(c, low)) };
      });
    });
  }

  async listGroups(): Promise<string[]> {
    const rows = this.#db.stmt('SELECT group_id FROM log_group_offsets UNION SELECT group_id FROM log_group_members ORDER BY 1').all() as Array<{ group_id: string }>;
    return rows.map((r) => r.group_id);
  }

  async groupMembers(groupId: string): Promise<GroupMemberInfo[]> {
    const rows = this.#db.stmt('SELECT member_id, client_id, heartbeat_at + session_timeout_ms AS expires FROM log_group_members WHERE group_id = ? ORDER BY member_id').all(groupId) as Array<{
      member_id: string;
      client_id: string;
      expires: number;
    }>;
    const now = Date.now();
    // Member ids are <client id>-<pid>-<uuid> (index.ts): the pid lets status tell a killed member from a live one.
    return rows.map((r) => {
      const pid = Number(/-(\d+)-[0-9a-f-]{36}$/.exec(r.member_id)?.[1]);
      return { memberId: r.member_id, clientId: r.client_id, pid: Number.isSafeInteger(pid) ? pid : undefined, live: r.expires >= now };
    });
  }

  async compactNow(topics?: string[]): Promise<MaintenanceReport> {
    return this.#maintenance.run(topics ? { topics, force: true } : { force: true });
  }

  #topic(name: string) {
    this.#catalog.refreshIfChanged();
    return this.#catalog.require(name);
  }
}

function validateSpec(spec: TopicSpec): void {
  if (typeof spec.name !== 'string' || !TOPIC_NAME.test(spec.name) || spec.name === '.' || spec.name === '..') {
    throw new TopicError(`invalid topic name "${spec.name}": use 1-249 of a-z A-Z 0-9 . _ -`, { topic: spec.name });
  }
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1 || spec.partitions > 10_000) {
    throw new TopicError(`topic "${spec.name}": partitions must be an integer from 1 to 10000, got ${spec.partitions}`, {
      topic: spec.name,
      field: 'partitions',
    });
  }
  if (spec.cleanupPolicy !== undefined && spec.cleanupPolicy !== 'delete' && spec.cleanupPolicy !== 'compact') {
    throw new TopicError(`topic "${spec.name}": cleanupPolicy must be "delete" or "compact"`, { topic: spec.name, field: 'cleanupPolicy' });
  }
  for (const field of ['retentionMs', 'retentionBytes'] as const) {
    const v = spec[field];
    if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) {
      throw new TopicError(`topic "${spec.name}": ${field} must be a positive integer, got ${v}`, { topic: spec.name, field });
    }
  }
}
