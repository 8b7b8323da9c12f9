/**
 * Consumer-group membership across processes, kept in the log's own tables.
 *
 * Members register with a heartbeat; one whose heartbeat is older than its session timeout is
 * removed by whichever member syncs next, and loses its partitions. Every sync computes the
 * range assignment over the live members and then, in one write transaction, releases the
 * partitions this member should no longer own and claims the ones it should own that nobody
 * holds. A partition still held by a live member is taken over only after that member releases
 * it on its own next sync (prompt: any membership change bumps the group's generation, which
 * wakes every member). So a partition never has two live owners, and a member that was
 * expired can no longer commit offsets for partitions it lost.
 *
 * Delivery is at-least-once across rebalances: records a member fetched but did not commit
 * before losing a partition are fetched again by the next owner from the committed offset.
 */
import type { Logger } from '../../runtime/logger.ts';
import { partitionKey } from '../partition-key.ts';
import { rangeAssign, type TopicPartition } from './assignor.ts';
import type { TopicCatalog } from './catalog.ts';
import type { LogDatabase } from './database.ts';

export interface GroupSync {
  /** Partitions this member owns after the sync. */
  owned: TopicPartition[];
  /** True if this member had been expired by the others and joined again: its positions are stale. */
  rejoined: boolean;
  generation: number;
}

const BUMP_GENERATION = 'INSERT INTO log_groups (group_id, generation) VALUES (?, 1) ON CONFLICT (group_id) DO UPDATE SET generation = generation + 1';

export class GroupMember {
  readonly groupId: string;
  readonly memberId: string;
  readonly #clientId: string;
  readonly #sessionTimeoutMs: number;
  readonly #db: LogDatabase;
  readonly #catalog: TopicCatalog;
  readonly #logger: Logger;
  #topics: string[] = [];

  constructor(deps: { db: LogDatabase; catalog: TopicCatalog; logger: Logger }, ids: { groupId: string; memberId: string; clientId: string }, sessionTimeoutMs: number) {
    this.#db = deps.db;
    this.#catalog = deps.catalog;
    this.#logger = deps.logger;
    this.groupId = ids.groupId;
    this.memberId = ids.memberId;
    this.#clientId = ids.clientId;
    this.#sessionTimeoutMs = sessionTimeoutMs;
  }

  /** Joins (or changes the subscription of) this member and syncs at once. */
  join(topics: string[]): GroupSync {
    this.#topics = [...new Set(topics)].sort();
    return this.#db.write(
      () => {
        const now = Date.now();
        this.#db
          .stmt(
            'INSERT INTO log_group_members (group_id, member_id, client_id, topics, session_timeout_ms, joined_at, heartbeat_at) ' +
              'VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, member_id) DO UPDATE SET topics = excluded.topics, heartbeat_at = excluded.heartbeat_at',
          )
          .run(this.groupId, this.memberId, this.#clientId, JSON.stringify(this.#topics), this.#sessionTimeoutMs, now, now);
        this.#db.stmt(BUMP_GENERATION).run(this.groupId);
        return this.#syncInside(now, false);
      },
      { group: this.groupId },
    );
  }

  /** The group's generation: it moves whenever membership or ownership changes. */
  generation(): number {
    const row = this.#db.stmt('SELECT generation FROM log_groups WHERE group_id = ?').get(this.groupId) as { generation: number } | undefined;
    return row?.generation ?? 0;
  }

  /** Heartbeat, expire dead members, release and claim partitions; one write transaction. */
  sync(): GroupSync {
    return this.#db.write(
      () => {
        const now = Date.now();
        const beat = this.#db.stmt('UPDATE log_group_members SET heartbeat_at = ? WHERE group_id = ? AND member_id = ?').run(now, this.groupId, this.memberId);
        let rejoined = false;
        if (beat.changes === 0) {
          this.#logger.warn('consumer group member was expired (no heartbeat within its session timeout); rejoining', {
            group: this.groupId,
            member: this.memberId,
          });
          this.#db
            .stmt('INSERT INTO log_group_members (group_id, member_id, client_id, topics, session_timeout_ms, joined_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
            .run(this.groupId, this.memberId, this.#clientId, JSON.stringify(this.#topics), this.#sessionTimeoutMs, now, now);
          this.#db.stmt(BUMP_GENERATION).run(this.groupId);
          rejoined = true;
        }
        return this.#syncInside(now, rejoined);
      },
      { group: this.groupId },
    );
  }

  /** Leaves the group at once, so the other members take over without waiting for a timeout. */
  leave(): void {
    this.#db.write(
      () => {
        this.#db.stmt('DELETE FROM log_group_owners WHERE group_id = ? AND member_id = ?').run(this.groupId, this.memberId);
        const left = this.#db.stmt('DELETE FROM log_group_members WHERE group_id = ? AND member_id = ?').run(this.groupId, this.memberId);
        if (left.changes > 0) this.#db.stmt(BUMP_GENERATION).run(this.groupId);
      },
      { group: this.groupId },
    );
  }

  /** True if this member owns the partition right now (call inside the committing transaction). */
  owns(topic: string, partition: number): boolean {
    const row = this.#db.stmt('SELECT member_id FROM log_group_owners WHERE group_id = ? AND topic = ? AND partition = ?').get(this.groupId, topic, partition) as { member_id: string } | undefined;
    return row?.member_id === this.memberId;
  }

  #syncInside(now: number, rejoined: boolean): GroupSync {
    const db = this.#db;
    const expired = db.stmt('DELETE FROM log_group_members WHERE group_id = ? AND heartbeat_at + session_timeout_ms < ? RETURNING member_id').all(this.groupId, now) as Array<{ member_id: string }>;
    const orphans = db.stmt('DELETE FROM log_group_owners WHERE group_id = ? AND member_id NOT IN (SELECT member_id FROM log_group_members WHERE group_id = ?)').run(this.groupId, this.groupId);
    if (expired.length > 0) {
      this.#logger.info('consumer group: expired members without heartbeat', {
        group: this.groupId,
        members: expired.map((e) => e.member_id),
      });
    }
    let changed = expired.length > 0 || Number(orphans.changes) > 0;

    const members = (
      db.stmt('SELECT member_id, topics FROM log_group_members WHERE group_id = ? ORDER BY member_id').all(this.groupId) as Array<{
        member_id: string;
        topics: string;
      }>
    ).map((m) => ({ memberId: m.member_id, topics: JSON.parse(m.topics) as string[] }));
    const counts = new Map(this.#catalog.all().map((t) => [t.name, t.partitions]));
    const target = rangeAssign(members, counts).get(this.memberId) ?? [];
    const wanted = new Set(target.map((t) => partitionKey(t.topic, t.partition)));

    const owned = db.stmt('SELECT topic, partition FROM log_group_owners WHERE group_id = ? AND member_id = ?').all(this.groupId, this.memberId) as Array<{ topic: string; partition: number }>;
    const ownedKeys = new Set<string>();
    const release = db.stmt('DELETE FROM log_group_owners WHERE group_id = ? AND topic = ? AND partition = ? AND member_id = ?');
    const result: TopicPartition[] = [];
    for (const o of owned) {
      if (wanted.has(partitionKey(o.topic, o.partition))) {
        ownedKeys.add(partitionKey(o.topic, o.partition));
        result.push({ topic: o.topic, partition: o.partition });
      } else {
        release.run(this.groupId, o.topic, o.partition, this.memberId);
        changed = true;
      }
    }
    const claim = db.stmt('INSERT INTO log_group_owners (group_id, topic, partition, member_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    for (const t of target) {
      if (ownedKeys.has(partitionKey(t.topic, t.partition))) continue;
      if (claim.run(this.groupId, t.topic, t.partition, this.memberId).changes > 0) result.push(t);
    }
    if (changed) db.stmt(BUMP_GENERATION).run(this.groupId);
    return { owned: result, rejoined, generation: this.generation() };
  }
}
