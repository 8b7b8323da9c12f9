/**
 * Appends records to the embedded log. Each `send`/`sendBatch` call is one SQLite write
 * transaction across all its topics and partitions: offsets are assigned inside it, and it
 * resolves once the commit is fsynced, or rejects having written nothing.
 */
import { ConsumerStateError, TopicError, TransportError } from '../../runtime/errors.ts';
import { Partitioner } from '../partitioner.ts';
import type { ProduceRecord, Producer, RecordMetadata } from '../types.ts';
import { encodeProduced, measure } from './batch-codec.ts';
import type { TopicCatalog, TopicMeta } from './catalog.ts';
import type { LogDatabase } from './database.ts';

/** A stored batch holds at most about this many bytes of keys and values, so fetches stay small. */
const MAX_BATCH_DATA_BYTES = 1 << 20;

export interface ProducerDeps {
  db: LogDatabase;
  catalog: TopicCatalog;
  /** Called after each successful commit with the bytes written per topic. */
  afterWrite(written: Map<TopicMeta, number>): void;
}

/** One stored batch to write: records[start..end) of one partition of one topic. */
interface PendingBatch {
  topic: TopicMeta;
  partition: number;
  records: ProduceRecord[];
  start: number;
  end: number;
  measured: { size: number; dataBytes: number };
  /** Index in the caller's list of topics, and of each of these records in that topic's list. */
  topicIndex: number;
  indexes: number[];
}

/** Thrown inside the transaction when a cached topic id no longer exists (deleted, maybe recreated). */
class StaleTopic extends Error {}

export class EmbeddedProducer implements Producer {
  readonly #deps: ProducerDeps;
  readonly #partitioner = new Partitioner();
  /** Batches are encoded into this buffer right before SQLite copies them in: no garbage per batch. */
  #scratch = Buffer.allocUnsafe(256 * 1024);
  readonly #onClose: () => void;
  #closed = false;

  constructor(deps: ProducerDeps, onClose: () => void) {
    this.#deps = deps;
    this.#onClose = onClose;
  }

  async send(topic: string, records: ProduceRecord[]): Promise<RecordMetadata[]> {
    const [result] = await this.sendBatch([{ topic, records }]);
    return result!;
  }

  async sendBatch(batches: Array<{ topic: string; records: ProduceRecord[] }>): Promise<RecordMetadata[][]> {
    if (this.#closed) throw new ConsumerStateError('producer is closed');
    if (batches.every((b) => b.records.length === 0)) return batches.map(() => []);
    try {
      return this.#append(batches);
    } catch (err) {
      if (!(err instanceof StaleTopic)) throw err;
      this.#deps.catalog.invalidate();
      return this.#append(batches);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
  }

  #append(batches: Array<{ topic: string; records: ProduceRecord[] }>): RecordMetadata[][] {
    const now = Date.now();
    const pending: PendingBatch[] = [];
    batches.forEach(({ topic, records }, topicIndex) => {
      const meta = this.#deps.catalog.require(topic);
      this.#split(meta, topicIndex, records, pending);
    });
    const { db } = this.#deps;
    const bump = db.stmt(
      'UPDATE log_partitions SET next_offset = next_offset + ?, bytes = bytes + ?, dirty_bytes = dirty_bytes + ? ' +
        'WHERE topic_id = ? AND partition = ? RETURNING next_offset',
    );
    const insert = db.stmt(
      'INSERT INTO log_batches (topic_id, partition, base_offset, last_offset, record_count, first_ts, max_ts, bytes, payload) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const results: RecordMetadata[][] = batches.map((b) => new Array<RecordMetadata>(b.records.length));
    db.write(() => {
      for (const p of pending) {
        const { topic, measured } = p;
        if (this.#scratch.length < measured.size) this.#scratch = Buffer.allocUnsafe(Math.max(measured.size, this.#scratch.length * 2));
        const encoded = encodeProduced(p.records, p.start, p.end, now, this.#scratch, measured);
        const row = bump.get(encoded.count, encoded.dataBytes, encoded.dataBytes, topic.id, p.partition) as
          | { next_offset: number }
          | undefined;
        if (!row) throw new StaleTopic();
        const base = row.next_offset - encoded.count;
        insert.run(
          topic.id,
          p.partition,
          base,
          base + encoded.lastDelta,
          encoded.count,
          encoded.firstTimestamp,
          encoded.maxTimestamp,
          encoded.dataBytes,
          encoded.payload,
        );
        const out = results[p.topicIndex]!;
        const name = topic.name;
        for (let i = p.start; i < p.end; i++) {
          out[p.indexes[i]!] = { topic: name, partition: p.partition, offset: base + i - p.start };
        }
      }
    });
    const written = new Map<TopicMeta, number>();
    for (const p of pending) written.set(p.topic, (written.get(p.topic) ?? 0) + p.measured.dataBytes);
    this.#deps.afterWrite(written);
    return results;
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
      const add = (start: number, end: number) =>
        out.push({ topic: meta, partition, records: list, start, end, measured: measure(list, start, end), topicIndex, indexes });
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
