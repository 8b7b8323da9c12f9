/**
 * The transport interface: Kafka's model (topics with partitions, offsets, consumer groups),
 * implemented by the embedded SQLite log and by Apache Kafka. Producers, processors and sinks
 * depend on this file only, never on an implementation.
 *
 * Offsets are plain numbers: safe up to 2^53, far beyond any partition we will hold.
 * A committed offset is, as in Kafka, the offset of the NEXT record to read.
 */

export type Headers = Record<string, string>;

/** A record to produce. `partition` overrides key hashing; `timestamp` defaults to now (ms). */
export interface ProduceRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Headers;
  timestamp?: number;
  partition?: number;
}

/** Where a produced record landed. One per input record, in input order. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
}

/** A record read back from a topic. `value` null is a tombstone on compacted topics. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
}

/** Records of one partition, in offset order, as one fetch returned them. */
export interface RecordBatch {
  topic: string;
  partition: number;
  records: ConsumedRecord[];
  /** Offset after the last record in the partition at fetch time: `highWatermark - nextOffset` is the lag. */
  highWatermark: number;
  /**
   * The reader's position the records continue from: nothing deliverable lies between it and the
   * first record. Kafka sets it, since offsets there have gaps no record fills (transaction
   * markers, aborted records); undefined means the records follow on without a gap.
   */
  from?: number;
}

export type CleanupPolicy = 'delete' | 'compact';

export interface TopicSpec {
  name: string;
  partitions: number;
  cleanupPolicy?: CleanupPolicy;
  /** Records older than this are deleted (delete policy). Undefined: keep forever. */
  retentionMs?: number;
  /** Per partition: oldest records are deleted past this many bytes (delete policy). Undefined: unbounded. */
  retentionBytes?: number;
}

export interface TopicDescription {
  name: string;
  partitions: number;
  cleanupPolicy: CleanupPolicy;
  retentionMs?: number;
  retentionBytes?: number;
}

export interface PartitionOffsets {
  partition: number;
  /** First offset still in the log. */
  low: number;
  /** Offset the next produced record will get. */
  high: number;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Committed offset of the group, or null if it never committed. */
  committed: number | null;
  high: number;
  /** `high - committed`, or `high - low` when nothing was committed. */
  lag: number;
}

/** A member of a consumer group, as the group's coordinator knows it. */
export interface GroupMemberInfo {
  memberId: string;
  clientId: string;
  /** The member's host as the broker saw it (Kafka); undefined on the embedded log, which is local. */
  host?: string;
  /** The member's process id where the transport knows it (the embedded log), else undefined. */
  pid?: number;
  /** Whether its session is current: heartbeats within the session timeout. */
  live: boolean;
}

export interface Admin {
  /**
   * Creates missing topics; an existing one is left alone. TopicError when it has fewer partitions
   * than asked (the embedded log also refuses more, or another cleanup policy; Kafka uses a grown
   * topic as it is).
   */
  createTopics(specs: TopicSpec[]): Promise<void>;
  deleteTopics(names: string[]): Promise<void>;
  listTopics(): Promise<TopicDescription[]>;
  /** Undefined when the topic does not exist. */
  describeTopic(name: string): Promise<TopicDescription | undefined>;
  offsets(topic: string): Promise<PartitionOffsets[]>;
  /** Per partition, the first offset whose timestamp is >= ts (the high watermark if none). */
  offsetsForTimestamp(topic: string, timestamp: number): Promise<TopicPartitionOffset[]>;
  /** Committed offsets of a group on a topic; partitions never committed are absent. */
  groupOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]>;
  /** Overwrites a group's committed offsets (the group must have no active member on Kafka). */
  setGroupOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void>;
  lag(groupId: string, topic: string): Promise<PartitionLag[]>;
  listGroups(): Promise<string[]>;
  /** The members a group has now (on the embedded log also those whose session lapsed and were not swept yet). */
  groupMembers(groupId: string): Promise<GroupMemberInfo[]>;
}

export interface ProducerOptions {
  /** Identifies the producer in logs and broker metadata. */
  clientId?: string;
}

export interface Producer {
  /**
   * Appends records to a topic. Resolves only once every record is durable (fsynced on the
   * embedded log, acknowledged by all in-sync replicas on Kafka); rejects without having
   * appended a partial batch to any partition. Records without `partition` go to
   * murmur2(key) % partitions, as Java's default partitioner does; records with a null key are
   * spread round-robin.
   */
  send(topic: string, records: ProduceRecord[]): Promise<RecordMetadata[]>;
  /** Sends to several topics; each topic's records are durable when the promise resolves. */
  sendBatch(batches: Array<{ topic: string; records: ProduceRecord[] }>): Promise<RecordMetadata[][]>;
  close(): Promise<void>;
}

/** Records for one topic, as `sendBatch` takes them. */
export interface TopicRecords {
  topic: string;
  records: ProduceRecord[];
}

/**
 * Exactly-once read-process-write, as Kafka Streams does it: the output of an input partition's
 * records and that partition's next input offset are committed together, or not at all. On
 * Kafka one transaction per input partition (transactional id = group, topic, partition, so the
 * partition's next owner fences the one before, even a live zombie) with the offset sent in it,
 * read by `read_committed` consumers; on the embedded log one SQLite transaction that also checks
 * the committing member still owns the partition.
 */
export interface TransactionalProducer {
  /**
   * Appends `batches` and commits `input` (the next offset to read of a partition `consumer`
   * owns) atomically; with no records it commits the offset alone, transactionally. Rejects
   * having done neither with ConsumerStateError (`context.fenced`) when another member owns the
   * partition now: its records will be read again by that member.
   */
  commitStep(consumer: Consumer, input: TopicPartitionOffset, batches: TopicRecords[]): Promise<void>;
  /**
   * Takes over `partitions`, newly assigned to `consumer`, before any of their records is read:
   * once it resolves, no step of a previous owner (a zombie that has not noticed the rebalance)
   * commits any more, so what the owners before committed is all in the log.
   */
  claim(consumer: Consumer, partitions: Array<{ topic: string; partition: number }>): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  /** Where to start on partitions the group never committed. Default 'earliest'. */
  fromBeginning?: boolean;
  /** Upper bound on records returned by one `poll`. Default 5,000. */
  maxRecords?: number;
  /** Upper bound on bytes of keys and values returned by one `poll`. Default 8 MiB. */
  maxBytes?: number;
  clientId?: string;
}

/**
 * A consumer in a group. Partitions of subscribed topics are shared among the group's live
 * members. Offsets are committed only by `commit` (never automatically), so a caller commits
 * after its own output is durable.
 */
export interface Consumer {
  subscribe(topics: string[]): Promise<void>;
  /**
   * Returns the next records of one or more assigned partitions, waiting up to `waitMs` for new
   * ones (default 1,000 ms) without busy-looping. An empty array means nothing arrived in time.
   * Rejects with AbortedError if `signal` aborts.
   */
  poll(options?: { waitMs?: number; signal?: AbortSignal }): Promise<RecordBatch[]>;
  /** Records that the given offsets (next offset to read) are done; durable when resolved. */
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  /** The next offset this consumer will fetch for a partition. */
  position(topic: string, partition: number): number | undefined;
  seek(topic: string, partition: number, offset: number): void;
  seekToBeginning(topic: string, partitions?: number[]): Promise<void>;
  seekToEnd(topic: string, partitions?: number[]): Promise<void>;
  seekToTimestamp(topic: string, timestamp: number, partitions?: number[]): Promise<void>;
  /** Partitions currently assigned to this member. */
  assignment(): Array<{ topic: string; partition: number }>;
  /** Grows with every assignment this member receives (each rebalance it takes part in). */
  generation(): number;
  close(): Promise<void>;
}

export type TransportKind = 'embedded' | 'kafka';

export interface Transport {
  readonly kind: TransportKind;
  admin(): Admin;
  producer(options?: ProducerOptions): Producer;
  consumer(options: ConsumerOptions): Consumer;
  /** A producer whose output commits with its consumers' input offsets (see TransactionalProducer). */
  transactionalProducer(options?: ProducerOptions): TransactionalProducer;
  /** Closes every producer and consumer it made, then itself. */
  close(): Promise<void>;
}
