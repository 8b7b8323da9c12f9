/**
 * The Admin interface over kafkajs's admin client: topics (with our retention and compaction
 * mapping), offsets, offsets by timestamp, group offsets and lag, all read from the broker.
 * Also the partition counts the producer hashes keys over, cached briefly.
 *
 * Callers use logical names; `KafkaNames` maps them to the wire and back, and topics and groups
 * of other prefixes are not listed. A topic found with more partitions than configured was grown
 * on purpose and is used as it is; with fewer, it is refused.
 */
import kafkajs from 'kafkajs';
import { TopicError, TransportError } from '../../runtime/errors.ts';
import type { Admin, GroupMemberInfo, PartitionLag, PartitionOffsets, TopicDescription, TopicPartitionOffset, TopicSpec } from '../types.ts';
import type { KafkaClient } from './client.ts';
import { brokerAnswered, innermostMessage, isRetriable, isUnknownTopic, protocolErrorType, wrapKafkaError } from './errors.ts';
import type { KafkaNames } from './names.ts';
import { describeFromConfig, type TopicConfig, topicConfigFor, validateTopicSpec } from './topic-config.ts';
import { layoutFor, type ResolvedLayout, type TopicLayouts } from './topic-layout.ts';

const TOPIC_RESOURCE = kafkajs.ConfigResourceTypes.TOPIC;
const DESCRIBED_CONFIGS = ['cleanup.policy', 'retention.ms', 'retention.bytes'];
/** Partition counts only grow, and a stale count only delays new partitions: a minute is plenty. */
const PARTITION_COUNT_TTL_MS = 60_000;
/** Tries of a call that kafkajs fails while its metadata cache lags behind the broker. */
const METADATA_ATTEMPTS = 10;
const ADMIN_ATTEMPTS = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class KafkaAdmin implements Admin {
  readonly #client: KafkaClient;
  readonly #admin: kafkajs.Admin;
  #connecting: Promise<void> | undefined;
  readonly #partitionCounts = new Map<string, { count: number; at: number }>();
  readonly #names: KafkaNames;
  readonly #layouts: TopicLayouts;

  constructor(client: KafkaClient, names: KafkaNames, layouts: TopicLayouts) {
    this.#client = client;
    this.#admin = client.kafka.admin();
    this.#names = names;
    this.#layouts = layouts;
  }

  /** The connected kafkajs admin (connects once, lazily; a failed connect is retried next call). */
  async client(): Promise<kafkajs.Admin> {
    this.#connecting ??= this.#admin.connect().catch((err: unknown) => {
      this.#connecting = undefined;
      throw wrapKafkaError(err, 'cannot connect the Kafka admin client');
    });
    await this.#connecting;
    return this.#admin;
  }

  async close(): Promise<void> {
    try {
      if (this.#connecting) await this.#admin.disconnect();
    } finally {
      this.#connecting = undefined;
      this.#client.release();
    }
  }

  /**
   * Runs an admin call, retrying errors the broker calls retriable (no leader yet, coordinator
   * loading: a broker that just restarted answers these for a few seconds). kafkajs's admin gives
   * up on them at once for most calls. Bounded: 8 attempts, 200 ms doubling to 2 s.
   */
  async #call<T>(what: string, context: Record<string, unknown>, fn: (admin: kafkajs.Admin) => Promise<T>): Promise<T> {
    const admin = await this.client();
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(admin);
      } catch (err) {
        if (attempt >= ADMIN_ATTEMPTS || !isRetriable(err) || isUnknownTopic(err)) throw wrapKafkaError(err, what, context);
        await sleep(Math.min(2_000, 200 * 2 ** (attempt - 1)));
        if (typeof context.topic === 'string') await admin.fetchTopicMetadata({ topics: [this.#names.topic(context.topic)] }).catch(() => undefined);
      }
    }
  }

  async createTopics(specs: TopicSpec[]): Promise<void> {
    const laid = specs.map((spec) => {
      validateTopicSpec(spec);
      this.#names.topic(spec.name);
      const layout = layoutFor(spec, this.#layouts);
      return { spec: { ...spec, partitions: layout.partitions }, layout };
    });
    const existing = new Set(await this.#listTopicNames());
    const missing = laid.filter((s) => !existing.has(s.spec.name));
    for (const { spec } of laid.filter((s) => existing.has(s.spec.name))) await this.#checkShape(spec);
    if (missing.length === 0) return;
    await this.#call('cannot create topics', { topics: missing.map((s) => s.spec.name).join(',') }, async (admin) => {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map(({ spec, layout }) => ({
            topic: this.#names.topic(spec.name),
            numPartitions: layout.partitions,
            replicationFactor: layout.replicationFactor,
            configEntries: Object.entries({ ...topicConfigFor(spec), ...layoutConfig(layout) }).map(([name, value]) => ({ name, value })),
          })),
        });
      } catch (err) {
        // Another process created it between our listing and our request: check its shape instead.
        if (protocolErrorType(err) === 'TOPIC_ALREADY_EXISTS') return;
        if (brokerAnswered(err, 'INVALID_REPLICATION_FACTOR')) throw replicationRefused(err, missing);
        // Created, but waiting for leaders read metadata the broker had not published yet (seen
        // right after a broker restart): wait, bounded, until every new topic is visible.
        if (protocolErrorType(err) !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
        await waitForTopics(
          admin,
          missing.map((s) => this.#names.topic(s.spec.name)),
        );
      }
    });
    for (const { spec } of missing) await this.#checkShape(spec);
  }

  /**
   * More partitions than configured: the topic was grown, and keys hash over its actual count
   * (the describe caches it). Fewer: partitions never shrink, so the topic was made by another
   * configuration, and records keyed under this one would land elsewhere than it promises.
   */
  async #checkShape(spec: TopicSpec): Promise<void> {
    const found = await this.describeTopic(spec.name);
    if (found && found.partitions < spec.partitions) {
      throw new TopicError(`topic "${spec.name}" exists with ${found.partitions} partitions, fewer than the ${spec.partitions} configured`, {
        topic: spec.name,
        wireTopic: this.#names.topic(spec.name),
        field: 'partitions',
        expected: spec.partitions,
        actual: found.partitions,
      });
    }
  }

  async deleteTopics(names: string[]): Promise<void> {
    const existing = new Set(await this.#listTopicNames());
    const present = names.filter((n) => existing.has(n));
    for (const n of names) this.#partitionCounts.delete(n);
    if (present.length === 0) return;
    await this.#call('cannot delete topics', { topics: present.join(',') }, (admin) => admin.deleteTopics({ topics: present.map((n) => this.#names.topic(n)) }));
  }

  /** Logical names of this prefix's topics, without Kafka's internal ones. */
  async #listTopicNames(): Promise<string[]> {
    const names = await this.#call('cannot list topics', {}, (admin) => admin.listTopics());
    return names.flatMap((wire) => {
      const name = this.#names.logicalTopic(wire);
      return name === undefined || name.startsWith('__') || wire.startsWith('__') ? [] : [name];
    });
  }

  async listTopics(): Promise<TopicDescription[]> {
    const names = (await this.#listTopicNames()).sort();
    return this.#describe(names);
  }

  async describeTopic(name: string): Promise<TopicDescription | undefined> {
    if (!(await this.#listTopicNames()).includes(name)) return undefined;
    try {
      const [description] = await this.#describe([name]);
      return description;
    } catch (err) {
      if (err instanceof TopicError) return undefined;
      throw err;
    }
  }

  async #describe(names: string[]): Promise<TopicDescription[]> {
    if (names.length === 0) return [];
    const context = { topics: names.join(',') };
    const wire = (name: string) => this.#names.topic(name);
    const metadata = await this.#call('cannot read topic metadata', context, (admin) => admin.fetchTopicMetadata({ topics: names.map(wire) }));
    const configs = await this.#call('cannot read topic configs', context, (admin) =>
      admin.describeConfigs({
        includeSynonyms: false,
        resources: names.map((name) => ({ type: TOPIC_RESOURCE, name: wire(name), configNames: DESCRIBED_CONFIGS })),
      }),
    );
    return names.map((name) => {
      const partitions = metadata.topics.find((t) => t.name === wire(name))?.partitions.length ?? 0;
      const resource = configs.resources.find((r) => r.resourceName === wire(name));
      const config: TopicConfig = {};
      for (const entry of resource?.configEntries ?? []) config[entry.configName] = entry.configValue;
      this.#partitionCounts.set(name, { count: partitions, at: Date.now() });
      return describeFromConfig(name, partitions, config);
    });
  }

  /** Partition count of a topic, cached for a minute; TopicError if the topic does not exist. */
  async partitionCount(topic: string, refresh = false): Promise<number> {
    const cached = this.#partitionCounts.get(topic);
    if (cached && !refresh && Date.now() - cached.at < PARTITION_COUNT_TTL_MS) return cached.count;
    let count: number;
    try {
      const admin = await this.client();
      const metadata = await admin.fetchTopicMetadata({ topics: [this.#names.topic(topic)] });
      count = metadata.topics[0]?.partitions.length ?? 0;
    } catch (err) {
      if (isUnknownTopic(err)) throw new TopicError(`topic "${topic}" does not exist`, { topic });
      throw wrapKafkaError(err, 'cannot read topic metadata', { topic });
    }
    if (count === 0) throw new TopicError(`topic "${topic}" does not exist`, { topic });
    this.#partitionCounts.set(topic, { count, at: Date.now() });
    return count;
  }

  async offsets(topic: string): Promise<PartitionOffsets[]> {
    const wire = this.#names.topic(topic);
    const rows = await this.#call('cannot read topic offsets', { topic }, async (admin) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await admin.fetchTopicOffsets(wire);
        } catch (err) {
          // kafkajs looks the partitions up in its metadata cache, which does not yet know a topic
          // another client just created, or its leaders (it fails with a TypeError): refresh it and
          // ask again, a bounded number of times.
          if (!(err instanceof TypeError) || attempt >= METADATA_ATTEMPTS) throw err;
          await sleep(100 * attempt);
          await admin.fetchTopicMetadata({ topics: [wire] });
        }
      }
    });
    return rows.map((r) => ({ partition: r.partition, low: Number(r.low), high: Number(r.high) })).sort((a, b) => a.partition - b.partition);
  }

  async offsetsForTimestamp(topic: string, timestamp: number): Promise<TopicPartitionOffset[]> {
    const rows = await this.#call('cannot read offsets by timestamp', { topic, timestamp }, (admin) => admin.fetchTopicOffsetsByTimestamp(this.#names.topic(topic), timestamp));
    return rows.map((r) => ({ topic, partition: r.partition, offset: Number(r.offset) })).sort((a, b) => a.partition - b.partition);
  }

  async groupOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]> {
    const wire = this.#names.topic(topic);
    const rows = await this.#call('cannot read group offsets', { groupId, topic }, (admin) => admin.fetchOffsets({ groupId: this.#names.group(groupId), topics: [wire] }));
    return (rows.find((r) => r.topic === wire)?.partitions ?? [])
      .map((p) => ({ topic, partition: p.partition, offset: Number(p.offset) }))
      .filter((p) => p.offset >= 0)
      .sort((a, b) => a.partition - b.partition);
  }

  async setGroupOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void> {
    const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? [];
      list.push({ partition: o.partition, offset: String(o.offset) });
      byTopic.set(o.topic, list);
    }
    for (const [topic, partitions] of byTopic) {
      await this.#call('cannot set group offsets', { groupId, topic }, (admin) => admin.setOffsets({ groupId: this.#names.group(groupId), topic: this.#names.topic(topic), partitions }));
    }
  }

  async lag(groupId: string, topic: string): Promise<PartitionLag[]> {
    const [offsets, committed] = await Promise.all([this.offsets(topic), this.groupOffsets(groupId, topic)]);
    return offsets.map(({ partition, low, high }) => {
      const c = committed.find((o) => o.partition === partition)?.offset ?? null;
      return { topic, partition, committed: c, high, lag: Math.max(0, high - (c ?? low)) };
    });
  }

  async listGroups(): Promise<string[]> {
    const { groups } = await this.#call('cannot list groups', {}, (admin) => admin.listGroups());
    return groups.flatMap((g) => this.#names.logicalGroup(g.groupId) ?? []).sort();
  }

  async groupMembers(groupId: string): Promise<GroupMemberInfo[]> {
    const { groups } = await this.#call('cannot describe group', { groupId }, (admin) => admin.describeGroups([this.#names.group(groupId)]));
    // The broker lists a member only while its session lasts: that is its lease.
    return (groups[0]?.members ?? []).map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost.replace(/^\//, ''), live: true }));
  }
}

function layoutConfig(layout: ResolvedLayout): TopicConfig {
  return layout.minInsyncReplicas === undefined ? {} : { 'min.insync.replicas': String(layout.minInsyncReplicas) };
}

/** The broker refused a replication factor (more than it has brokers, usually): say which and why. */
function replicationRefused(err: unknown, missing: Array<{ spec: TopicSpec; layout: ResolvedLayout }>): TopicError {
  const asked = [...new Set(missing.map(({ layout }) => (layout.replicationFactor === -1 ? "the broker's default" : String(layout.replicationFactor))))].join(', ');
  return new TopicError(
    `the broker refused replication factor ${asked} for ${missing.length} new topic(s): ${innermostMessage(err)}; a replication factor cannot exceed the brokers in the cluster`,
    { topics: missing.map((m) => m.spec.name).join(','), field: 'replicationFactor', kafkaError: 'INVALID_REPLICATION_FACTOR' },
    { cause: err },
  );
}

/** Polls metadata until every topic has a leader on each partition; rethrows after about 10 s. */
async function waitForTopics(admin: kafkajs.Admin, topics: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      if (found.every((t) => t.partitions.every((p) => p.leader >= 0))) return;
      if (attempt >= 40) throw new TransportError(`topics have no leader yet: ${topics.join(',')}`, { topics });
    } catch (err) {
      if (attempt >= 40) throw err;
    }
    await sleep(250);
  }
}
