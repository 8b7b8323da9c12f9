/**
 * The Producer interface over a kafkajs idempotent producer (acks=all). Every message carries an
 * explicit partition chosen here (murmur2 of the key, as Java's default partitioner), so records
 * land where a Java or librdkafka client (with murmur2_random) would put them.
 *
 * kafkajs writes all messages of one partition in one send as one record batch, and the broker
 * refuses batches over `message.max.bytes` (1 MiB by default). So a send is cut into rounds that
 * hold at most `maxBatchBytes` per partition; each round is one produce request.
 *
 * kafkajs leaves out, without an error, the messages for partitions its own metadata does not
 * list yet: a topic grown since the client last looked (it looks every 5 minutes), while our
 * partition count is at most a minute old. Partitions a round got no answer for were never sent:
 * they go again through a fresh kafkajs producer, which reads the metadata anew.
 */
import kafkajs from 'kafkajs';
import { ConfigError, PmaError, TopicError, TransportError } from '../../runtime/errors.ts';
import { parsePartitionKey, partitionKey } from '../partition-key.ts';
import { partitionForKey } from '../partitioner.ts';
import type { Headers, ProduceRecord, Producer, RecordMetadata } from '../types.ts';
import type { KafkaAdmin } from './admin.ts';
import type { KafkaClient } from './client.ts';
import { wrapKafkaError } from './errors.ts';
import type { KafkaNames } from './names.ts';

export interface KafkaProducerOptions {
  /** Upper bound on one partition's record batch in one request. Default 900 KiB. */
  maxBatchBytes?: number;
  /**
   * Upper bound on one partition's records in one request. Default 1,000: kafkajs groups a
   * request's messages by partition in time quadratic in this number.
   */
  maxBatchRecords?: number;
}

/** Produce requests for one round: the first, and after it fresh producers for what it left out. */
const ROUND_ATTEMPTS = 3;

/** Per-record overhead of the v2 record format, generously rounded (varints, attributes). */
const RECORD_OVERHEAD = 32;

/** Where a record came from in the caller's arguments. */
interface Origin {
  batch: number;
  index: number;
}

interface Placed {
  origin: Origin;
  message: kafkajs.Message;
  bytes: number;
}

interface Round {
  /** Under wire topic names. */
  topicMessages: kafkajs.TopicMessages[];
  /** Per logical topic and partition, where each message came from, in message order. */
  origins: Map<string, Origin[]>;
}

function headerBytes(headers: Headers | undefined): number {
  let n = 0;
  for (const [k, v] of Object.entries(headers ?? {})) n += Buffer.byteLength(k) + Buffer.byteLength(v) + 4;
  return n;
}

function checkRecord(topic: string, r: ProduceRecord, index: number): void {
  const bad = (field: string, value: unknown) =>
    new ConfigError(`record ${index} for topic "${topic}": ${field} must be a Buffer or null`, {
      topic,
      field,
      value,
    });
  if (r.key !== null && !Buffer.isBuffer(r.key)) throw bad('key', r.key);
  if (r.value !== null && !Buffer.isBuffer(r.value)) throw bad('value', r.value);
  if (r.timestamp !== undefined && !Number.isSafeInteger(r.timestamp)) {
    throw new ConfigError(`record ${index} for topic "${topic}": timestamp must be an integer (ms)`, {
      topic,
      field: 'timestamp',
      value: r.timestamp,
    });
  }
}

export class KafkaProducer implements Producer {
  readonly #client: KafkaClient;
  #producer: kafkajs.Producer;
  readonly #admin: KafkaAdmin;
  readonly #names: KafkaNames;
  readonly #maxBatchBytes: number;
  readonly #maxBatchRecords: number;
  readonly #nextRoundRobin = new Map<string, number>();
  readonly #onClose: () => void;
  #connecting: Promise<void> | undefined;
  #closed = false;

  constructor(client: KafkaClient, admin: KafkaAdmin, names: KafkaNames, options: KafkaProducerOptions, onClose: () => void) {
    this.#client = client;
    this.#producer = this.#newProducer();
    this.#admin = admin;
    this.#names = names;
    this.#maxBatchBytes = options.maxBatchBytes ?? 900 * 1024;
    this.#maxBatchRecords = options.maxBatchRecords ?? 1_000;
    this.#onClose = onClose;
  }

  #newProducer(): kafkajs.Producer {
    return this.#client.kafka.producer({
      idempotent: true,
      allowAutoTopicCreation: false,
      // Every message carries its partition; kafkajs's partitioner is never asked.
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    });
  }

  async #connected(): Promise<void> {
    this.#connecting ??= this.#producer.connect().catch((err: unknown) => {
      this.#connecting = undefined;
      throw wrapKafkaError(err, 'cannot connect the Kafka producer');
    });
    await this.#connecting;
  }

  async send(topic: string, records: ProduceRecord[]): Promise<RecordMetadata[]> {
    const [out] = await this.sendBatch([{ topic, records }]);
    return out ?? [];
  }

  async sendBatch(batches: Array<{ topic: string; records: ProduceRecord[] }>): Promise<RecordMetadata[][]> {
    if (this.#closed) throw new TransportError('producer is closed', {});
    const results = batches.map((b) => new Array<RecordMetadata>(b.records.length));
    const placed = new Map<string, Placed[]>();
    const now = String(Date.now());
    for (const [b, { topic, records }] of batches.entries()) {
      if (records.length === 0) continue;
      let partitions = await this.#admin.partitionCount(topic);
      // A partition past the cached count may be in a topic grown since: ask the broker before refusing it.
      if (records.some((r) => r.partition !== undefined && r.partition >= partitions)) partitions = await this.#admin.partitionCount(topic, true);
      for (const [index, record] of records.entries()) {
        checkRecord(topic, record, index);
        const partition = this.#choosePartition(topic, record, partitions, index);
        const key = partitionKey(topic, partition);
        const list = placed.get(key) ?? [];
        list.push({
          origin: { batch: b, index },
          bytes: (record.key?.length ?? 0) + (record.value?.length ?? 0) + headerBytes(record.headers) + RECORD_OVERHEAD,
          message: {
            key: record.key,
            value: record.value,
            partition,
            headers: record.headers,
            timestamp: record.timestamp === undefined ? now : String(record.timestamp),
          },
        });
        placed.set(key, list);
      }
    }
    if (placed.size === 0) return results;
    for (const round of this.#rounds(placed)) await this.#send(round, results);
    return results;
  }

  /** Sends one round and fills in `results`; partitions left out are sent again by a fresh producer. */
  async #send(round: Round, results: RecordMetadata[][]): Promise<void> {
    let pending = round.topicMessages;
    for (let attempt = 1; ; attempt++) {
      await this.#connected();
      let response: kafkajs.RecordMetadata[];
      try {
        response = await this.#producer.sendBatch({ acks: -1, topicMessages: pending });
      } catch (err) {
        throw wrapKafkaError(err, 'produce failed', { topic: pending.map((t) => this.#names.fromWire(t.topic)).join(',') });
      }
      const answered = new Set<string>();
      for (const meta of response) {
        const topic = this.#names.fromWire(meta.topicName);
        const origins = round.origins.get(partitionKey(topic, meta.partition));
        if (!origins || meta.baseOffset === undefined) {
          throw new TransportError('broker answered for a partition it was not sent', {
            topic,
            partition: meta.partition,
          });
        }
        answered.add(partitionKey(topic, meta.partition));
        const base = Number(meta.baseOffset);
        for (const [i, { batch, index }] of origins.entries()) {
          results[batch]![index] = { topic, partition: meta.partition, offset: base + i };
        }
      }
      pending = pending
        .map((t) => ({ topic: t.topic, messages: t.messages.filter((m) => !answered.has(partitionKey(this.#names.fromWire(t.topic), m.partition!))) }))
        .filter((t) => t.messages.length > 0);
      if (pending.length === 0) return;
      const left = pending.map((t) => `${this.#names.fromWire(t.topic)}[${[...new Set(t.messages.map((m) => m.partition))].join(',')}]`).join(' ');
      if (attempt >= ROUND_ATTEMPTS) {
        throw new TransportError(`produce failed: the Kafka client does not know partitions ${left}; nothing was sent to them`, { partitions: left });
      }
      await this.#renew();
    }
  }

  /** Replaces the kafkajs producer by a fresh one, whose first request reads the topics' metadata. */
  async #renew(): Promise<void> {
    const old = this.#producer;
    const wasConnected = this.#connecting;
    this.#producer = this.#newProducer();
    this.#connecting = undefined;
    // A failed disconnect leaves sockets the client's release() destroys at close: nothing to report.
    if (wasConnected) await old.disconnect().catch(() => undefined);
  }

  #choosePartition(topic: string, record: ProduceRecord, partitions: number, index: number): number {
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= partitions) {
        throw new TopicError(`record ${index}: partition ${record.partition} is outside topic "${topic}" (0-${partitions - 1})`, {
          topic,
          partition: record.partition,
        });
      }
      return record.partition;
    }
    if (record.key !== null) return partitionForKey(record.key, partitions);
    const next = this.#nextRoundRobin.get(topic) ?? 0;
    this.#nextRoundRobin.set(topic, (next + 1) % partitions);
    return next % partitions;
  }

  /** Cuts the placed records into produce requests of at most maxBatchBytes per partition. */
  *#rounds(placed: Map<string, Placed[]>): Generator<Round> {
    const cursors = [...placed.entries()].map(([key, list]) => ({ key, list, at: 0 }));
    while (cursors.some((c) => c.at < c.list.length)) {
      const byTopic = new Map<string, kafkajs.Message[]>();
      const origins = new Map<string, Origin[]>();
      for (const c of cursors) {
        if (c.at >= c.list.length) continue;
        const first = c.list[c.at]!;
        const { topic } = parsePartitionKey(c.key);
        const messages = byTopic.get(topic) ?? [];
        const from: Origin[] = [];
        let bytes = 0;
        while (c.at < c.list.length && (from.length === 0 || (from.length < this.#maxBatchRecords && bytes + c.list[c.at]!.bytes <= this.#maxBatchBytes))) {
          const p = c.list[c.at++]!;
          bytes += p.bytes;
          messages.push(p.message);
          from.push(p.origin);
        }
        byTopic.set(topic, messages);
        origins.set(partitionKey(topic, first.message.partition!), from);
      }
      yield { topicMessages: [...byTopic].map(([topic, messages]) => ({ topic: this.#names.topic(topic), messages })), origins };
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#connecting) await this.#producer.disconnect();
    } catch (err) {
      if (!(err instanceof PmaError)) throw wrapKafkaError(err, 'producer disconnect failed');
      throw err;
    } finally {
      this.#client.release();
      this.#onClose();
    }
  }
}
