/**
 * Builds Silver's staging files on a worker thread (worker.ts). Jobs run in submission order,
 * each answered when its file is written.
 */
import { Worker } from 'node:worker_threads';
import { rebuildError, SinkError } from '../../../runtime/errors.ts';
import type { PackedBodies } from '../../bronze/body-buffer.ts';
import type { SilverTopicKey } from '../staging.ts';
import type { StageJob, StageResult } from './worker.ts';

export class StageColumnsPool {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (rows: number) => void; reject: (err: Error) => void }>();
  #nextId = 0;
  #failed: Error | undefined;

  constructor() {
    this.#worker = new Worker(new URL('./worker.ts', import.meta.url));
    this.#worker.on('message', (r: StageResult) => this.#settle(r));
    this.#worker.on('error', (err) => this.#fail(new SinkError(`Silver staging thread failed: ${err.message}`, {}, { cause: err })));
    this.#worker.on('exit', (code) => {
      if (this.#pending.size > 0 || code !== 0) this.#fail(new SinkError(`Silver staging thread exited with code ${code}`));
    });
  }

  /**
   * Writes a topic's bodies (with their `_seq` as offsets) to `path` as Parquet; resolves with the
   * rows written. The body buffers are transferred to the thread (unusable here afterwards).
   */
  build(topic: SilverTopicKey, bodies: PackedBodies, path: string): Promise<number> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const job: StageJob = { id, topic, chunks: bodies.chunks, path };
      this.#worker.postMessage(
        job,
        bodies.chunks.flatMap((c) => [c.bytes.buffer as ArrayBuffer, c.ends.buffer as ArrayBuffer, c.offsets.buffer as ArrayBuffer]),
      );
    });
  }

  async close(): Promise<void> {
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
    this.#fail(new SinkError('Silver staging thread closed'));
  }

  #settle(r: StageResult): void {
    const p = this.#pending.get(r.id);
    if (!p) return;
    this.#pending.delete(r.id);
    if ('error' in r) p.reject(rebuildError(r.error));
    else p.resolve(r.rows);
  }

  #fail(err: Error): void {
    this.#failed ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
