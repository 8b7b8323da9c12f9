/**
 * The Parquet writer thread: builds Arrow columns from packed Avro bodies, encodes them to
 * Parquet and writes each file new and fsynced before it answers, so the main thread keeps
 * consuming meanwhile.
 */
import { parentPort } from 'node:worker_threads';
import { tableToIPC } from 'apache-arrow';
import { PmaError, type SerializedError, SinkError, serializeError } from '../../../runtime/errors.ts';
import { loadSchema } from '../../../schemas/index.ts';
import { type CompiledColumns, compileColumns } from '../arrow/record-columns.ts';
import { writeNewFileDurably } from '../../common/fs-durable.ts';
import type { BodyChunk } from '../body-buffer.ts';
import { encodeParquet } from './encode.ts';

export interface WriteJob {
  id: number;
  /** Name of the .avsc the bodies are written with. */
  schema: string;
  partition: number;
  chunks: BodyChunk[];
  path: string;
}

/** A failure travels as JSON; pool.ts rebuilds it as its catalogue class. */
export type WriteResult = { id: number; bytes: number; rows: number } | { id: number; error: SerializedError };

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
    let rows = 0;
    for (const chunk of job.chunks) {
      const buf = Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
      let start = 0;
      for (let i = 0; i < chunk.ends.length; i++) {
        const end = chunk.ends[i]!;
        cols.appendAvro(buf, start, job.partition, chunk.offsets[i]!, end);
        start = end;
      }
      rows += chunk.ends.length;
    }
    const parquet = encodeParquet(tableToIPC(cols.finish(), 'stream'));
    await writeNewFileDurably(job.path, parquet);
    return { id: job.id, bytes: parquet.length, rows };
  } catch (err) {
    return { id: job.id, error: serializeError(withPath(err, job.path)) };
  }
}

/** Our errors keep their class (the file they were for added); anything else is a SinkError caused by it. */
function withPath(err: unknown, path: string): PmaError {
  if (!(err instanceof PmaError)) return new SinkError(`cannot write parquet file: ${(err as Error)?.message ?? err}`, { path }, { cause: err });
  err.context.path ??= path;
  return err;
}
