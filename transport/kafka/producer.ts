/**
 * The Producer interface over a kafkajs idempotent producer (acks=all). Every message carries an
 * explicit partition chosen here (murmur2 of the key, as Java's default partitioner), so records
 * land where a Java or librdkafka client (with murmur2_random) would put them.
 *
 * kafkajs writes all messages of one partition in one send as one record batch, and the broker
 * refuses batches over `message.max.bytes` (1 MiB by default). So a send is cut into rounds that
 * hold at most `maxBatchBytes` per partition; each round is one produce request.
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
  readonly #producer: kafkajs.Producer;
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
    this.#producer = client.kafka.producer({
      idempotent: true,
      allowAutoTopicCreation: false,
      // Every message carries its partition; kafkajs's partitioner is never asked.
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    });
    this.#admin = admin;
    this.#names = names;
    this.#maxBatchBytes = options.maxBatchBytes ?? 900 * 1024;
    this.#maxBatchRecords = options.maxBatchRecords ?? 1_000;
    this.#onClose = onClose;
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
      const partitions = await this.#admin.partitionCount(topic);
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
    await this.#connected();
    for (const round of this.#rounds(placed)) {
      let response: kafkajs.RecordMetadata[];
      try {
        response = await this.#producer.sendBatch({ acks: -1, topicMessages: round.topicMessages });
      } catch (err) {
        throw wrapKafkaError(err, 'produce failed', { topic: round.topicMessages.map((t) => this.#names.fromWire(t.topic)).join(',') });
      }
      for (const meta of response) {
        const topic = this.#names.fromWire(meta.topicName);
        const origins = round.origins.get(partitionKey(topic, meta.partition));
        if (!origins || meta.baseOffset === undefined) {
          throw new TransportError('broker answered for a partition it was not sent', {
            topic,
            partition: meta.partition,
          });
        }
        const base = Number(meta.baseOffset);
        for (const [i, { batch, index }] of origins.entries()) {
          results[batch]![index] = { topic, partition: meta.partition, offset: base + i };
        }
      }
    }
    return results;
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
