/**
 * Appends records to the embedded log. Each `send`/`sendBatch` call is one SQLite write
 * transaction across all its topics and partitions: offsets are assigned inside it, and it
 * resolves once the commit is fsynced, or rejects having written nothing. Records are checked,
 * partitioned and encoded here; the transaction runs on the transport's writer thread, so
 * several sends may be in flight and still land in call order.
 *
 * `commitStep` (the TransactionalProducer) runs on the transport's own connection instead, so the
 * append and the group offset commit are one SQLite transaction, in which the committing member
 * must still own the input partition: a member that lost it writes nothing.
 */
import { ConsumerStateError, StaleTopicError, TopicError, TransportError } from '../../runtime/errors.ts';
import { Partitioner } from '../partitioner.ts';
import type { Consumer, ProduceRecord, Producer, RecordMetadata, TopicPartitionOffset, TopicRecords, TransactionalProducer } from '../types.ts';
import { type AppendBatch, appendBatches } from './append.ts';
import { encodeProduced, type Measured, measure } from './batch-codec.ts';
import type { TopicCatalog, TopicMeta } from './catalog.ts';
import type { LogDatabase } from './database.ts';
import type { GroupMember } from './group.ts';
import type { LogWriter } from './writer.ts';

/** A stored batch holds at most about this many bytes of keys and values, so fetches stay small. */
const MAX_BATCH_DATA_BYTES = 1 << 20;

export interface ProducerDeps {
  writer: LogWriter;
  catalog: TopicCatalog;
  /** Called after each successful commit with the bytes written per topic. */
  afterWrite(written: Map<TopicMeta, number>): void;
}

export interface TransactionalDeps extends ProducerDeps {
  /** The transport's own connection: commitStep writes through it, not the writer thread. */
  db: LogDatabase;
  /** The group membership of a consumer this transport made (undefined for any other). */
  memberOf(consumer: Consumer): GroupMember | undefined;
}

/** An encoded send: the batches to append and where each record's metadata comes from. */
interface Encoded {
  pending: PendingBatch[];
  appends: AppendBatch[];
  payloads: Buffer;
}

/** One stored batch to write: records[start..end) of one partition of one topic. */
interface PendingBatch {
  topic: TopicMeta;
  partition: number;
  records: ProduceRecord[];
  start: number;
  end: number;
  measured: Measured;
  /** Index in the caller's list of topics, and of each of these records in that topic's list. */
  topicIndex: number;
  indexes: number[];
}

export class EmbeddedProducer implements Producer, TransactionalProducer {
  readonly #deps: ProducerDeps | TransactionalDeps;
  readonly #partitioner = new Partitioner();
  readonly #onClose: () => void;
  #closed = false;

  constructor(deps: ProducerDeps | TransactionalDeps, onClose: () => void) {
    this.#deps = deps;
    this.#onClose = onClose;
  }

  async send(topic: string, records: ProduceRecord[]): Promise<RecordMetadata[]> {
    const [result] = await this.sendBatch([{ topic, records }]);
    return result!;
  }

  async sendBatch(batches: Array<{ topic: string; records: ProduceRecord[] }>): Promise<RecordMetadata[][]> {
    if (this.#closed) throw new TransportError('producer is closed');
    if (batches.every((b) => b.records.length === 0)) return batches.map(() => []);
    try {
      return await this.#append(batches);
    } catch (err) {
      if (!(err instanceof StaleTopicError)) throw err;
      this.#deps.catalog.invalidate();
      return this.#append(batches);
    }
  }

  /** Nothing to do: every step checks, in its own SQLite transaction, that its member still owns the partition. */
  async claim(): Promise<void> {
    if (this.#closed) throw new TransportError('producer is closed');
  }

  async commitStep(consumer: Consumer, input: TopicPartitionOffset, batches: TopicRecords[]): Promise<void> {
    if (this.#closed) throw new TransportError('producer is closed');
    const deps = this.#deps;
    if (!('db' in deps)) throw new TransportError('commitStep needs a producer made by transactionalProducer()', { topic: input.topic });
    const member = deps.memberOf(consumer);
    if (!member) throw new ConsumerStateError('commitStep needs a consumer of the same embedded transport', { topic: input.topic, partition: input.partition });
    if (!Number.isSafeInteger(input.offset) || input.offset < 0) {
      throw new ConsumerStateError(`cannot commit offset ${input.offset}: offsets are non-negative integers`, { ...input });
    }
    const write = () => {
      const encoded = this.#encode(batches);
      const upsert = deps.db.stmt(
        'INSERT INTO log_group_offsets (group_id, topic, partition, next_offset, committed_at) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset, committed_at = excluded.committed_at',
      );
      deps.db.write(
        () => {
          if (!member.owns(input.topic, input.partition)) {
            throw new ConsumerStateError('fenced: the input partition is owned by another member now; nothing was written and its records will be read again by that member', {
              ...input,
              group: member.groupId,
              fenced: true,
            });
          }
          upsert.run(member.groupId, input.topic, input.partition, input.offset, Date.now());
          appendBatches(deps.db, encoded.appends, encoded.payloads);
        },
        { group: member.groupId, topic: input.topic, partition: input.partition },
      );
      return encoded;
    };
    let encoded: Encoded;
    try {
      encoded = write();
    } catch (err) {
      if (!(err instanceof StaleTopicError)) throw err;
      this.#deps.catalog.invalidate();
      encoded = write();
    }
    const written = new Map<TopicMeta, number>();
    for (const p of encoded.pending) written.set(p.topic, (written.get(p.topic) ?? 0) + p.measured.dataBytes);
    this.#deps.afterWrite(written);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
  }

  async #append(batches: Array<{ topic: string; records: ProduceRecord[] }>): Promise<RecordMetadata[][]> {
    const { pending, appends, payloads } = this.#encode(batches);
    const bases = await this.#deps.writer.append(appends, payloads);
    const results: RecordMetadata[][] = batches.map((b) => new Array<RecordMetadata>(b.records.length));
    pending.forEach((p, n) => {
      const out = results[p.topicIndex]!;
      const name = p.topic.name;
      const base = bases[n]! - p.start;
      for (let i = p.start; i < p.end; i++) out[p.indexes[i]!] = { topic: name, partition: p.partition, offset: base + i };
    });
    const written = new Map<TopicMeta, number>();
    for (const p of pending) written.set(p.topic, (written.get(p.topic) ?? 0) + p.measured.dataBytes);
    this.#deps.afterWrite(written);
    return results;
  }

  /** Checks, partitions and encodes a send into the batches one write appends. */
  #encode(batches: TopicRecords[]): Encoded {
    const now = Date.now();
    const pending: PendingBatch[] = [];
    batches.forEach(({ topic, records }, topicIndex) => {
      const meta = this.#deps.catalog.require(topic);
      this.#split(meta, topicIndex, records, pending);
    });
    // Every batch of the send encoded into one buffer, which moves to the writer thread as it is.
    const payloads = Buffer.allocUnsafeSlow(pending.reduce((n, p) => n + p.measured.size, 0));
    let at = 0;
    const appends: AppendBatch[] = pending.map((p) => {
      const e = encodeProduced(p.records, p.start, p.end, now, payloads.subarray(at), p.measured);
      const batch: AppendBatch = {
        topicId: p.topic.id,
        partition: p.partition,
        count: e.count,
        lastDelta: e.lastDelta,
        firstTimestamp: e.firstTimestamp,
        maxTimestamp: e.maxTimestamp,
        dataBytes: e.dataBytes,
        offset: at,
        size: p.measured.size,
      };
      at += p.measured.size;
      return batch;
    });
    return { pending, appends, payloads };
  }

  /** Groups one topic's records by partition, in input order, and cuts them into size-bounded batches. */
  #split(meta: TopicMeta, topicIndex: number, records: ProduceRecord[], out: PendingBatch[]): void {
    const byPartition: Array<{ records: ProduceRecord[]; indexes: number[] } | undefined> = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const partition = this.#partitionOf(meta, r, i);
      let group = byPartition[partition];
      if (!group) {
        group = { records: [], indexes: [] };
        byPartition[partition] = group;
      }
      group.records.push(r);
      group.indexes.push(i);
    }
    byPartition.forEach((group, partition) => {
      if (!group) return;
      const { records: list, indexes } = group;
      const add = (start: number, end: number) => out.push({ topic: meta, partition, records: list, start, end, measured: measure(list, start, end), topicIndex, indexes });
      let start = 0;
      let bytes = 0;
      for (let i = 0; i < list.length; i++) {
        const r = list[i]!;
        const size = (r.key?.length ?? 0) + (r.value?.length ?? 0);
        if (i > start && bytes + size > MAX_BATCH_DATA_BYTES) {
          add(start, i);
          start = i;
          bytes = 0;
        }
        bytes += size;
      }
      add(start, list.length);
    });
  }

  #partitionOf(meta: TopicMeta, r: ProduceRecord, index: number): number {
    if (r.timestamp !== undefined && !(Number.isSafeInteger(r.timestamp) && r.timestamp >= 0)) {
      throw new TransportError(`record ${index}: timestamp must be a non-negative integer of milliseconds`, {
        topic: meta.name,
        field: 'timestamp',
        value: r.timestamp,
      });
    }
    const key = r.key ?? null;
    if (key === null && meta.cleanupPolicy === 'compact') {
      throw new TopicError(`record ${index}: a compacted topic needs a key on every record`, { topic: meta.name, field: 'key' });
    }
    if (r.partition === undefined) return this.#partitioner.partition(meta.name, key, meta.partitions);
    if (!Number.isInteger(r.partition) || r.partition < 0 || r.partition >= meta.partitions) {
      throw new TopicError(`record ${index}: partition ${r.partition} is out of range (topic has ${meta.partitions})`, {
        topic: meta.name,
        partition: r.partition,
      });
    }
    return r.partition;
  }
}
