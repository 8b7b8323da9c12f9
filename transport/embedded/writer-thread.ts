/**
 * The writer thread: its own connection to the log, appending the batches the producers of
 * its transport send, one transaction per message, in the order the messages arrive. Running
 * the commit (and its fsync) here lets the producing thread encode its next batch meanwhile, and
 * keeps its event loop free while the disk syncs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PmaError } from '../../runtime/errors.ts';
import { type AppendBatch, appendBatches, StaleTopicError } from './append.ts';
import { LogDatabase } from './database.ts';

export interface WriterThreadData {
  path: string;
  busyTimeoutMs: number;
}

export type WriterRequest = { id: number; batches: AppendBatch[]; payloads: Uint8Array } | { id: number; close: true };

export type WriterReply =
  | { id: number; bases: number[] }
  | { id: number; closed: true }
  | { id: number; error: { stale: boolean; code: string; message: string; context: Record<string, unknown> } };

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
    const e = err instanceof PmaError ? err.toJSON() : { code: 'PMA_ERR_TRANSPORT', message: String((err as Error)?.message ?? err), context: {} };
    port.postMessage({
      id: request.id,
      error: { stale: err instanceof StaleTopicError, code: String(e.code), message: String(e.message), context: (e.context ?? {}) as Record<string, unknown> },
    } satisfies WriterReply);
  }
});
