/**
 * The Silver file and its micro-batches: records are staged with the appender as they arrive;
 * `commit` folds every staged topic into the tables and stores the consumed offsets in ONE
 * transaction, so the tables and the offsets can never disagree, whatever kills the process.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { link, open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { SinkError } from '../../runtime/errors.ts';
import type { CleanRecordByTopic } from '../../schemas/clean-records.ts';
import { fsyncDir } from '../common/fs-durable.ts';
import { sinkWriteError } from '../common/write-error.ts';
import { batchStatements, foldStatements } from './merge-sql.ts';
import { FOLDS } from './merges.ts';
import { ensureSilverSchema, OFFSETS_TABLE } from './schema.ts';
import { createStaging, pointStageViews, resetStage, type SilverTopicKey, type StageBuffer, StagedWriter } from './staging.ts';

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to apply. */
  offset: number;
}

export interface SilverDatabaseOptions {
  /** DuckDB memory_limit (e.g. "1GB"); DuckDB's default (80% of RAM) when unset. */
  memoryLimit?: string;
  /** DuckDB worker threads; DuckDB's default (all cores) when unset. */
  threads?: number;
}

/**
 * Opens (creating if needed) a Silver file for writing, with the schema in place. A new file is
 * built beside the path and linked into place only once complete: DuckDB creating it in place on
 * a full disk (or killed meanwhile) leaves a header-less file that no later run can open.
 */
export async function openSilverDatabase(path: string, options: SilverDatabaseOptions = {}): Promise<DuckDBInstance> {
  mkdirSync(dirname(path), { recursive: true });
  const config: Record<string, string> = {};
  if (options.memoryLimit) config.memory_limit = options.memoryLimit;
  if (options.threads) config.threads = String(options.threads);
  if (!existsSync(path)) await createSilverFile(path, config);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, config);
  } catch (err) {
    throw sinkWriteError(err, 'cannot open Silver file', path, true);
  }
  const conn = await instance.connect();
  try {
    await ensureSilverSchema(conn, path);
  } catch (err) {
    conn.closeSync();
    instance.closeSync();
    throw err;
  }
  conn.closeSync();
  return instance;
}

/**
 * Builds an empty Silver file under a temporary name, checkpointed and fsynced, then hard-links
 * it to `path`: the link refuses to replace a file another sink created meanwhile.
 */
async function createSilverFile(path: string, config: Record<string, string>): Promise<void> {
  const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.creating`;
  const removeTemp = () => Promise.all([rm(temp, { force: true }), rm(`${temp}.wal`, { force: true })]);
  try {
    const instance = await DuckDBInstance.create(temp, config);
    try {
      const conn = await instance.connect();
      try {
        await ensureSilverSchema(conn, path);
        await conn.run('CHECKPOINT');
      } finally {
        conn.closeSync();
      }
    } finally {
      instance.closeSync();
    }
    const handle = await open(temp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temp, path).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    });
    await fsyncDir(dirname(path));
  } catch (err) {
    await removeTemp();
    throw sinkWriteError(err, 'cannot create Silver file', path, true);
  }
  await removeTemp();
}

/** Reads the offsets stored with the data. */
export async function readStoredOffsets(conn: DuckDBConnection): Promise<PartitionOffset[]> {
  const reader = await conn.runAndReadAll(`SELECT topic, "partition", next_offset FROM ${OFFSETS_TABLE} ORDER BY topic, "partition"`);
  return reader.getRows().map(([topic, partition, offset]) => ({ topic: String(topic), partition: Number(partition), offset: Number(offset) }));
}

export interface CommitResult {
  /** Staged records per topic that this commit folded in. */
  records: Partial<Record<SilverTopicKey, number>>;
  millis: number;
}

/**
 * Stages records and commits micro-batches. Staging is double-buffered on two connections: while
 * one batch is being merged (DuckDB works on its own threads), the next one is appended, so
 * turning objects into rows and merging them overlap. At most one commit is in flight; a new
 * `commit` waits for the previous one. Not safe for concurrent calls of `stage`.
 */
export class SilverWriter {
  /** The merging connection (also used for checkpoints). */
  readonly conn: DuckDBConnection;
  /** The Silver file, named in errors. */
  readonly path: string;
  readonly #stageConn: DuckDBConnection;
  readonly #writers = new Map<SilverTopicKey, StagedWriter<SilverTopicKey>>();
  #buffer: StageBuffer = 0;
  #seq = 0;
  #inFlight: Promise<CommitResult> | undefined;
  #failed: unknown;

  private constructor(path: string, conn: DuckDBConnection, stageConn: DuckDBConnection) {
    this.path = path;
    this.conn = conn;
    this.#stageConn = stageConn;
  }

  static async open(instance: DuckDBInstance, path: string): Promise<SilverWriter> {
    const conn = await instance.connect();
    await createStaging(conn);
    return new SilverWriter(path, conn, await instance.connect());
  }

  /** Records staged since the last commit started. */
  get staged(): number {
    return this.#seq;
  }

  /**
   * Stages a record. Synchronous once the topic's appender is open; returns a promise only when
   * it must open one (the first record of a topic in a batch).
   */
  stage<K extends SilverTopicKey>(topic: K, record: CleanRecordByTopic[K]): Promise<void> | undefined {
    if (this.#failed) throw this.#failed;
    const w = this.#writers.get(topic) as StagedWriter<K> | undefined;
    if (w) {
      w.append(this.#seq++, record);
      return undefined;
    }
    return StagedWriter.open(this.#stageConn, topic, this.#buffer).then((opened) => {
      this.#writers.set(topic, opened as unknown as StagedWriter<SilverTopicKey>);
      opened.append(this.#seq++, record);
    });
  }

  /**
   * Folds everything staged into the tables together with `offsets`, atomically; resolves when
   * the batch is durable. Offsets may be given with nothing staged (records that needed no row),
   * and are then stored alone.
   */
  async commit(offsets: PartitionOffset[]): Promise<CommitResult> {
    return (await this.startCommit(offsets)).done;
  }

  /**
   * Waits for the commit in flight, then starts folding what is staged (with `offsets`) and
   * switches staging to the other buffer, so the caller can stage the next batch while this one
   * merges. `done` resolves when the batch is durable.
   */
  async startCommit(offsets: PartitionOffset[]): Promise<{ done: Promise<CommitResult> }> {
    if (this.#inFlight) await this.#inFlight;
    if (this.#failed) throw this.#failed;
    const records: CommitResult['records'] = {};
    for (const [topic, w] of this.#writers) {
      w.close();
      records[topic] = w.rows;
    }
    this.#writers.clear();
    this.#seq = 0;
    const buffer = this.#buffer;
    this.#buffer = buffer === 0 ? 1 : 0;
    const done = offsets.length === 0 && Object.keys(records).length === 0 ? Promise.resolve({ records, millis: 0 }) : this.#fold(buffer, records, offsets);
    this.#inFlight = done.catch(() => ({ records: {}, millis: 0 }));
    return { done };
  }

  /** Waits for the commit in flight, if any. */
  async settle(): Promise<void> {
    if (this.#inFlight) await this.#inFlight;
  }

  close(): void {
    for (const w of this.#writers.values()) w.close();
    this.#writers.clear();
    this.#stageConn.closeSync();
    this.conn.closeSync();
  }

  async #fold(buffer: StageBuffer, records: CommitResult['records'], offsets: PartitionOffset[]): Promise<CommitResult> {
    const started = performance.now();
    const topics = Object.keys(records) as SilverTopicKey[];
    await pointStageViews(this.conn, buffer);
    await this.conn.run('BEGIN TRANSACTION');
    try {
      for (const topic of topics) {
        for (const [i, step] of FOLDS[topic].entries()) {
          if ('statements' in step) {
            for (const sql of step.statements) await this.#run(sql, topic);
            continue;
          }
          const b = batchStatements(step.merge, `batch_${topic}_${i}`);
          await this.#run(b.project, topic);
          const dup = await this.conn.runAndReadAll(b.duplicates);
          let batch = b.projected;
          if (Number(dup.getRows()[0]![0]) > 0) {
            await this.#run(b.aggregate, topic);
            batch = b.aggregated;
          }
          for (const sql of foldStatements(step.merge, batch)) await this.#run(sql, topic);
        }
      }
      if (offsets.length > 0) {
        const values = offsets.map((o) => `(${sqlString(o.topic)}, ${o.partition | 0}, ${Math.trunc(o.offset)})`).join(', ');
        await this.conn.run(`INSERT INTO ${OFFSETS_TABLE} VALUES ${values} ON CONFLICT (topic, "partition") DO UPDATE SET next_offset = excluded.next_offset`);
      }
      await this.conn.run('COMMIT');
    } catch (err) {
      // The writer is unusable from here: what is staged may be half merged in memory. A failed
      // COMMIT (a full disk) has already ended the transaction, so ROLLBACK fails too; the error
      // reported is the one that ended the batch, with the rollback's own failure beside it.
      let rollbackError: string | undefined;
      await this.conn.run('ROLLBACK').catch((rollback: unknown) => {
        rollbackError = (rollback as Error).message;
      });
      const failure =
        err instanceof SinkError ? err : new SinkError(`Silver commit failed: ${(err as Error).message}`, { path: this.path, offsets: offsetsText(offsets), rollbackError }, { cause: err });
      this.#failed = failure;
      throw failure;
    }
    for (const topic of topics) await resetStage(this.conn, topic, buffer);
    return { records, millis: performance.now() - started };
  }

  async #run(sql: string, topic: SilverTopicKey): Promise<void> {
    try {
      await this.conn.run(sql);
    } catch (err) {
      throw new SinkError(`Silver merge of ${topic} failed: ${(err as Error).message}`, { path: this.path, topic, sql: sql.slice(0, 300) }, { cause: err });
    }
  }
}

/** The batch's offsets as `topic[partition]@offset`, for errors. */
const offsetsText = (offsets: PartitionOffset[]) => offsets.map((o) => `${o.topic}[${o.partition}]@${o.offset}`).join(' ');

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
