/**
 * The Parquet writer thread: encodes Arrow IPC streams to Parquet and writes each to a new file,
 * fsynced before it answers, so the main thread keeps consuming and decoding meanwhile.
 */
import { parentPort } from 'node:worker_threads';
import { writeNewFileDurably } from '../../common/fs-durable.ts';
import { encodeParquet } from './encode.ts';

export interface WriteJob {
  id: number;
  ipc: Uint8Array;
  path: string;
}

export type WriteResult = { id: number; bytes: number } | { id: number; error: { message: string; code?: string } };

parentPort!.on('message', (job: WriteJob) => {
  void run(job).then((result) => parentPort!.postMessage(result));
});

async function run(job: WriteJob): Promise<WriteResult> {
  try {
    const parquet = encodeParquet(job.ipc);
    await writeNewFileDurably(job.path, parquet);
    return { id: job.id, bytes: parquet.length };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { id: job.id, error: { message: e?.message ?? String(err), code: e?.code } };
  }
}
