/**
 * The Parquet writer thread: builds Arrow columns from packed Avro bodies, encodes them to
 * Parquet and writes each file new and fsynced before it answers, so the main thread keeps
 * consuming meanwhile.
 */

import { open, readFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { tableToIPC } from 'apache-arrow';
import { ParquetFile, readParquet, transformParquetStream } from 'parquet-wasm/node';
import { PmaError, type SerializedError, SinkError, serializeError } from '../../../runtime/errors.ts';
import { loadSchema } from '../../../schemas/index.ts';
import { writeNewFileDurably } from '../../common/fs-durable.ts';
import { type CompiledColumns, compileColumns } from '../arrow/record-columns.ts';
import { type BodyChunk, forEachBody } from '../body-buffer.ts';
import { encodeParquet, writerProperties } from './encode.ts';

export interface WriteJob {
  id: number;
  /** Name of the .avsc the bodies are written with. */
  schema: string;
  partition: number;
  chunks: BodyChunk[];
  path: string;
}

/** Rewrites Parquet files as one (compaction): row group by row group, so memory holds one at a time. */
export interface CompactJob {
  id: number;
  kind: 'compact';
  inputs: string[];
  path: string;
  /** Key-value metadata of the output. */
  metadata: Record<string, string>;
}

/** A failure travels as JSON; pool.ts rebuilds it as its catalogue class. */
export type WriteResult = { id: number; bytes: number; rows: number } | { id: number; error: SerializedError };

const columns = new Map<string, CompiledColumns>();

parentPort!.on('message', (job: WriteJob | CompactJob) => {
  void ('kind' in job ? compact(job) : run(job)).then((result) => parentPort!.postMessage(result));
});

async function compact(job: CompactJob): Promise<WriteResult> {
  try {
    let rows = 0;
    async function* batches() {
      for (const input of job.inputs) {
        const bytes = await readFile(input);
        const file = await ParquetFile.fromFile(new Blob([bytes]));
        const groups = file.metadata().numRowGroups();
        file.free();
        for (let g = 0; g < groups; g++) {
          const table = readParquet(bytes, { rowGroups: [g] });
          for (const batch of table.recordBatches()) {
            rows += batch.numRows;
            yield batch;
          }
        }
      }
    }
    const out = await transformParquetStream(ReadableStream.from(batches()) as ReadableStream, writerProperties(new Map(Object.entries(job.metadata))));
    const handle = await open(job.path, 'wx');
    let bytes = 0;
    try {
      for await (const chunk of out as unknown as AsyncIterable<Uint8Array>) {
        let done = 0;
        while (done < chunk.length) done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten;
        bytes += chunk.length;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { id: job.id, bytes, rows };
  } catch (err) {
    return { id: job.id, error: serializeError(withPath(err, job.path)) };
  }
}

async function run(job: WriteJob): Promise<WriteResult> {
  try {
    let cols = columns.get(job.schema);
    if (!cols) {
      cols = compileColumns(loadSchema(job.schema));
      columns.set(job.schema, cols);
    }
    let rows = 0;
    forEachBody(job.chunks, (buf, start, end, offset) => {
      cols.appendAvro(buf, start, job.partition, offset, end);
      rows++;
    });
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
