/**
 * Writes Arrow tables as Parquet files on a worker thread (parquet-wasm is synchronous: on the
 * main thread it would stall consuming). Jobs run in submission order; `inFlight` lets the caller
 * bound how many wait, so a slow disk slows consuming instead of growing memory.
 */
import { Worker } from 'node:worker_threads';
import { type Table, tableToIPC } from 'apache-arrow';
import { SinkError } from '../../../runtime/errors.ts';
import type { WriteJob, WriteResult } from './worker.ts';

export class ParquetWriterPool {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (bytes: number) => void; reject: (err: Error) => void; path: string }>();
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

  /** Encodes `table` and writes it to `path` (a new file, fsynced). Resolves with the file size. */
  write(table: Table, path: string): Promise<number> {
    if (this.#failed) return Promise.reject(this.#failed);
    const ipc = tableToIPC(table, 'stream');
    const id = this.#nextId++;
    return new Promise<number>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, path });
      const job: WriteJob = { id, ipc, path };
      this.#worker.postMessage(job, [ipc.buffer as ArrayBuffer]);
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
    if ('error' in r) p.reject(new SinkError(`cannot write parquet file: ${r.error.message}`, { path: p.path, code: r.error.code }));
    else p.resolve(r.bytes);
  }

  #fail(err: Error): void {
    this.#failed ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
