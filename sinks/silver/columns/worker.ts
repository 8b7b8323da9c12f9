/**
 * The Silver staging thread: turns one topic's micro-batch, packed Avro bodies, into a Parquet
 * file of the columns Silver stages, which DuckDB then reads natively. Reading the bodies into
 * columns is the costly JS step of staging, so the main thread only reads the log.
 */
import { rmSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { PmaError, type SerializedError, SinkError, serializeError } from '../../../runtime/errors.ts';
import { type BodyChunk, forEachBody } from '../../bronze/body-buffer.ts';
import type { SilverTopicKey } from '../staging.ts';
import { ParquetFileWriter } from './parquet-file.ts';
import { StageColumns } from './stage-columns.ts';

export interface StageJob {
  id: number;
  topic: SilverTopicKey;
  /** Bodies in the topic's current schema; each one's `offsets` entry is its arrival order (`_seq`). */
  chunks: BodyChunk[];
  path: string;
}

export type StageResult = { id: number; rows: number } | { id: number; error: SerializedError };

/** Rows per row group: DuckDB reads row groups in parallel, and the thread holds one at a time. */
const ROW_GROUP_ROWS = 65_536;

const columns = new Map<SilverTopicKey, StageColumns>();

parentPort!.on('message', (job: StageJob) => {
  parentPort!.postMessage(run(job));
});

function run(job: StageJob): StageResult {
  let writer: ParquetFileWriter | undefined;
  try {
    const c = columns.get(job.topic) ?? new StageColumns(job.topic);
    columns.set(job.topic, c);
    const out = new ParquetFileWriter(job.path, c.columns);
    writer = out;
    let rows = 0;
    const flush = () => {
      out.writeRowGroup(c.rows);
      rows += c.rows;
      c.rows = 0;
    };
    forEachBody(job.chunks, (buf, start, end, offset) => {
      c.append(buf, start, end, offset);
      if (c.rows === ROW_GROUP_ROWS) flush();
    });
    flush();
    writer.close();
    return { id: job.id, rows };
  } catch (err) {
    columns.delete(job.topic);
    writer?.abandon();
    rmSync(job.path, { force: true });
    return { id: job.id, error: serializeError(asSinkError(err, job)) };
  }
}

function asSinkError(err: unknown, job: StageJob): PmaError {
  if (err instanceof PmaError) {
    err.context.path ??= job.path;
    err.context.topic ??= job.topic;
    return err;
  }
  return new SinkError(`cannot stage ${job.topic} for Silver: ${(err as Error)?.message ?? err}`, { path: job.path, topic: job.topic }, { cause: err });
}
