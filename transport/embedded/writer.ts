/**
 * The producing side of the writer thread (writer-thread.ts): one per transport, started with
 * the first producer. Requests are answered in the order they were sent, so the sends of a
 * producer land in the log in call order even when several are in flight.
 */
import { Worker } from 'node:worker_threads';
import { rebuildError, TransportError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import type { AppendBatch } from './append.ts';
import type { WriterReply, WriterRequest, WriterThreadData } from './writer-thread.ts';

interface Waiting {
  resolve(value: WriterReply): void;
  reject(err: Error): void;
}

export class LogWriter {
  readonly #data: WriterThreadData;
  readonly #logger: Logger;
  readonly #waiting = new Map<number, Waiting>();
  #worker: Worker | undefined;
  #nextId = 0;
  #closing: Promise<void> | undefined;

  constructor(data: WriterThreadData, logger: Logger) {
    this.#data = data;
    this.#logger = logger;
  }

  /** Starts the thread now rather than at the first append (it takes a moment to load). */
  start(): void {
    if (this.#worker || this.#closing) return;
    const worker = new Worker(new URL('./writer-thread.ts', import.meta.url), { workerData: this.#data });
    worker.unref();
    worker.on('message', (reply: WriterReply) => {
      const waiting = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      if (this.#waiting.size === 0) worker.unref();
      waiting?.resolve(reply);
    });
    worker.on('error', (err) => {
      this.#logger.error('embedded log writer thread failed', { err });
      this.#failAll(new TransportError(`the embedded log writer thread failed: ${err.message}`, { path: this.#data.path }, { cause: err }));
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#failAll(new TransportError(`the embedded log writer thread exited (code ${code})`, { path: this.#data.path }));
    });
    this.#worker = worker;
  }

  /**
   * Appends the batches of one send in one transaction, durably; resolves with each batch's base
   * offset. `payloads` is handed over to the writer thread (it is unusable here afterwards).
   */
  async append(batches: AppendBatch[], payloads: Buffer): Promise<number[]> {
    if (this.#closing) throw new TransportError('the embedded log writer is closed', { path: this.#data.path });
    this.start();
    const transfer = payloads.byteOffset === 0 && payloads.byteLength === payloads.buffer.byteLength;
    const reply = await this.#request({ id: this.#nextId++, batches, payloads }, transfer ? [payloads.buffer as ArrayBuffer] : []);
    if ('bases' in reply) return reply.bases;
    if ('error' in reply) throw rebuildError(reply.error);
    throw new TransportError('unexpected reply from the embedded log writer thread', { path: this.#data.path });
  }

  /** Lets in-flight appends finish, then stops the thread and closes its connection. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const worker = this.#worker;
      if (!worker) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      await this.#request({ id: this.#nextId++, close: true }, []).catch(() => undefined);
      worker.ref();
      await exited;
    })();
    return this.#closing;
  }

  #request(request: WriterRequest, transfer: ArrayBuffer[]): Promise<WriterReply> {
    const worker = this.#worker;
    if (!worker) return Promise.reject(new TransportError('the embedded log writer thread is not running', { path: this.#data.path }));
    return new Promise<WriterReply>((resolve, reject) => {
      this.#waiting.set(request.id, { resolve, reject });
      // Keep the process alive while a write is in flight, not while the thread idles.
      worker.ref();
      worker.postMessage(request, transfer);
    });
  }

  #failAll(err: Error): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of waiting) w.reject(err);
  }
}
