/**
 * The Parquet writer thread: builds Arrow columns from packed Avro bodies, encodes them to
 * Parquet and writes each file new and fsynced before it answers, so the main thread keeps
 * consuming meanwhile.
 */
import { parentPort } from 'node:worker_threads';
import { tableToIPC } from 'apache-arrow';
import { loadSchema } from '../../../schemas/index.ts';
import { type CompiledColumns, compileColumns } from '../arrow/record-columns.ts';
import { writeNewFileDurably } from '../../common/fs-durable.ts';
import { encodeParquet } from './encode.ts';

export interface WriteJob {
  id: number;
  /** Name of the .avsc the bodies are written with. */
  schema: string;
  partition: number;
  bytes: Uint8Array;
  ends: Int32Array;
  offsets: Float64Array;
  path: string;
}

export type WriteResult = { id: number; bytes: number; rows: number } | { id: number; error: { message: string; code?: string } };

const columns = new Map<string, CompiledColumns>();

parentPort!.on('message', (job: WriteJob) => {
  void run(job).then((result) => parentPort!.postMessage(result));
});

async function run(job: WriteJob): Promise<WriteResult> {
  try {
    let cols = columns.get(job.schema);
    if (!cols) {
      cols = compileColumns(loadSchema(job.schema));
      columns.set(job.schema, cols);
    }
    const buf = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
    let start = 0;
    for (let i = 0; i < job.ends.length; i++) {
      const end = job.ends[i]!;
      cols.appendAvro(buf, start, job.partition, job.offsets[i]!, end);
      start = end;
    }
    const parquet = encodeParquet(tableToIPC(cols.finish(), 'stream'));
    await writeNewFileDurably(job.path, parquet);
    return { id: job.id, bytes: parquet.length, rows: job.ends.length };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { id: job.id, error: { message: e?.message ?? String(err), code: e?.code } };
  }
}
