/**
 * The writer thread: its own connection to the log, appending the batches the producers of
 * its transport send, one transaction per message, in the order the messages arrive. Running
 * the commit (and its fsync) here lets the producing thread encode its next batch meanwhile, and
 * keeps its event loop free while the disk syncs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PmaError, type SerializedError, serializeError, TransportError } from '../../runtime/errors.ts';
import { type AppendBatch, appendBatches } from './append.ts';
import { LogDatabase } from './database.ts';

export interface WriterThreadData {
  path: string;
  busyTimeoutMs: number;
}

export type WriterRequest = { id: number; batches: AppendBatch[]; payloads: Uint8Array } | { id: number; close: true };

export type WriterReply =
  | { id: number; bases: number[] }
  | { id: number; closed: true }
  /** The error as JSON: writer.ts rebuilds it as its catalogue class (a stale topic, a busy log…). */
  | { id: number; error: SerializedError };

const port = parentPort!;
const { path, busyTimeoutMs } = workerData as WriterThreadData;
let db: LogDatabase | undefined;

port.on('message', (request: WriterRequest) => {
  if ('close' in request) {
    db?.close();
    port.postMessage({ id: request.id, closed: true } satisfies WriterReply);
    port.close();
    return;
  }
  try {
    db ??= new LogDatabase(path, { busyTimeoutMs });
    const payloads = Buffer.from(request.payloads.buffer, request.payloads.byteOffset, request.payloads.byteLength);
    port.postMessage({ id: request.id, bases: appendBatches(db, request.batches, payloads) } satisfies WriterReply);
  } catch (err) {
    const e = err instanceof PmaError ? err : new TransportError(`embedded log append failed: ${(err as Error)?.message ?? err}`, { path }, { cause: err });
    port.postMessage({ id: request.id, error: serializeError(e) } satisfies WriterReply);
  }
});
