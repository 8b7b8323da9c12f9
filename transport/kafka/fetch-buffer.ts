/**
 * The bounded queue between kafkajs's push-based fetch loop and our pull-based `poll()`. Chunks
 * (one fetched batch of one partition each) go in at the back and come out at the front, cut to
 * the caller's record and byte limits; a waiting `poll()` wakes as soon as a chunk arrives.
 * The consumer pauses fetching when the buffer is `full` and resumes when it has `room`.
 */
import { AbortedError } from '../../runtime/errors.ts';
import { partitionKey } from '../partition-key.ts';
import type { ConsumedRecord, RecordBatch } from '../types.ts';

export interface Chunk {
  topic: string;
  partition: number;
  records: ConsumedRecord[];
  highWatermark: number;
}

export interface BufferLimits {
  maxRecords: number;
  maxBytes: number;
}

const recordBytes = (r: ConsumedRecord) => (r.key?.length ?? 0) + (r.value?.length ?? 0);

export class FetchBuffer {
  readonly #limits: BufferLimits;
  #chunks: Chunk[] = [];
  #records = 0;
  #bytes = 0;
  /** Buffered records per partition. */
  readonly #perPartition = new Map<string, number>();
  #wakers = new Set<() => void>();

  constructor(limits: BufferLimits) {
    this.#limits = limits;
  }

  get size(): { records: number; bytes: number } {
    return { records: this.#records, bytes: this.#bytes };
  }

  /** At or over either limit: stop fetching. */
  get full(): boolean {
    return this.#records >= this.#limits.maxRecords || this.#bytes >= this.#limits.maxBytes;
  }

  /** Under half of both limits: fetching may resume (the other half covers the fetch's round trip). */
  get hasRoom(): boolean {
    return this.#records < this.#limits.maxRecords / 2 && this.#bytes < this.#limits.maxBytes / 2;
  }

  /** Whether any record of the partition is buffered. */
  holds(topic: string, partition: number): boolean {
    return (this.#perPartition.get(partitionKey(topic, partition)) ?? 0) > 0;
  }

  #count(topic: string, partition: number, n: number): void {
    const k = partitionKey(topic, partition);
    const left = (this.#perPartition.get(k) ?? 0) + n;
    if (left > 0) this.#perPartition.set(k, left);
    else this.#perPartition.delete(k);
  }

  push(chunk: Chunk): void {
    if (chunk.records.length === 0) return;
    this.#chunks.push(chunk);
    this.#count(chunk.topic, chunk.partition, chunk.records.length);
    this.#records += chunk.records.length;
    for (const r of chunk.records) this.#bytes += recordBytes(r);
    this.wake();
  }

  /** Takes records from the front, at least one, at most `maxRecords` and (past the first) `maxBytes`. */
  take(maxRecords: number, maxBytes: number): RecordBatch[] {
    const out = new Map<string, RecordBatch>();
    let records = 0;
    let bytes = 0;
    while (this.#chunks.length > 0 && records < maxRecords) {
      const chunk = this.#chunks[0]!;
      let n = 0;
      let chunkBytes = 0;
      while (n < chunk.records.length && records + n < maxRecords) {
        const b = recordBytes(chunk.records[n]!);
        if (records + n > 0 && bytes + chunkBytes + b > maxBytes) break;
        chunkBytes += b;
        n++;
      }
      if (n === 0) break;
      const whole = n === chunk.records.length;
      const taken = whole ? chunk.records : chunk.records.slice(0, n);
      if (whole) this.#chunks.shift();
      else chunk.records = chunk.records.slice(n);
      const key = partitionKey(chunk.topic, chunk.partition);
      const batch = out.get(key);
      if (batch) {
        batch.records.push(...taken);
        batch.highWatermark = chunk.highWatermark;
      } else {
        out.set(key, { topic: chunk.topic, partition: chunk.partition, records: [...taken], highWatermark: chunk.highWatermark });
      }
      this.#count(chunk.topic, chunk.partition, -n);
      records += n;
      bytes += chunkBytes;
      if (!whole) break;
    }
    this.#records -= records;
    this.#bytes -= bytes;
    return [...out.values()];
  }

  /** Drops every buffered record of the partitions `drop` selects (seek, revoked assignment). */
  drop(select: (topic: string, partition: number) => boolean): void {
    const kept: Chunk[] = [];
    for (const c of this.#chunks) {
      if (!select(c.topic, c.partition)) {
        kept.push(c);
        continue;
      }
      this.#records -= c.records.length;
      this.#count(c.topic, c.partition, -c.records.length);
      for (const r of c.records) this.#bytes -= recordBytes(r);
    }
    this.#chunks = kept;
  }

  /** Resolves when a chunk arrives, `wake()` is called, or `ms` pass; rejects if `signal` aborts. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError('poll aborted'));
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        signal?.removeEventListener('abort', onAbort);
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(new AbortedError('poll aborted'));
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#wakers.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  wake(): void {
    for (const w of [...this.#wakers]) w();
  }
}
