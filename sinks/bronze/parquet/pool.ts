/**
 * Writes Parquet files on a worker thread: columns are built from packed Avro bodies and encoded
 * there (parquet-wasm is synchronous, and column building is the costly JS step: on the main
 * thread both would stall consuming). Jobs run in submission order; `inFlight` lets the caller
 * bound how many wait, so a slow disk slows consuming instead of growing memory.
 */
import { Worker } from 'node:worker_threads';
import { rebuildError, SinkError } from '../../../runtime/errors.ts';
import type { PackedBodies } from '../body-buffer.ts';
import type { CompactJob, WriteJob, WriteResult } from './worker.ts';

export class ParquetWriterPool {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (r: { bytes: number; rows: number }) => void; reject: (err: Error) => void }>();
  #nextId = 0;
  #failed: Error | undefined;

  constructor() {
    this.#worker = new Worker(new URL('./worker.ts', import.meta.url));
    this.#worker.on('message', (r: WriteResult) => this.#settle(r));
    this.#worker.on('error', (err) => this.#fail(new SinkError(`parquet writer thread failed: ${err.message}`, {}, { cause: err })));
    this.#worker.on('exit', (code) => {
      if (this.#pending.size > 0 || code !== 0) this.#fail(new SinkError(`parquet writer thread exited with code ${code}`));
    });
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * Writes rows given as Avro bodies of schema `schema` (a name in schemas/) to `path`, a new file,
   * fsynced. The body buffers are transferred to the thread (unusable here afterwards).
   */
  write(schema: string, partition: number, bodies: PackedBodies, path: string): Promise<{ bytes: number; rows: number }> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const job: WriteJob = { id, schema, partition, chunks: bodies.chunks, path };
      this.#worker.postMessage(
        job,
        bodies.chunks.flatMap((c) => [c.bytes.buffer as ArrayBuffer, c.ends.buffer as ArrayBuffer, c.offsets.buffer as ArrayBuffer]),
      );
    });
  }

  /** Rewrites the Parquet files `inputs`, in order, as one new file `path` (fsynced) with key-value `metadata`. */
  compact(inputs: string[], path: string, metadata: Record<string, string>): Promise<{ bytes: number; rows: number }> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const job: CompactJob = { id, kind: 'compact', inputs, path, metadata };
      this.#worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
    this.#fail(new SinkError('parquet writer closed'));
  }

  #settle(r: WriteResult): void {
    const p = this.#pending.get(r.id);
    if (!p) return;
    this.#pending.delete(r.id);
    if ('error' in r) p.reject(rebuildError(r.error));
    else p.resolve({ bytes: r.bytes, rows: r.rows });
  }

  #fail(err: Error): void {
    this.#failed ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
