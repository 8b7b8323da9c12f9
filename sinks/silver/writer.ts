/**
 * The Silver file and its micro-batches: records are staged as they arrive (as columns, built off
 * the main thread); `commit` folds every staged topic into the tables and stores the consumed
 * offsets in ONE transaction, so the tables and the offsets can never disagree, whatever kills
 * the process.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { link, open, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { SinkError } from '../../runtime/errors.ts';
import { EVENT_TIME_FIELD } from '../../schemas/clean-records.ts';
import { loadSchema } from '../../schemas/index.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { BodyBuffer } from '../bronze/body-buffer.ts';
import { compileInspector, type Inspector } from '../bronze/inspect.ts';
import { fsyncDir } from '../common/fs-durable.ts';
import { sinkWriteError } from '../common/write-error.ts';
import { StageColumnsPool } from './columns/pool.ts';
import { openScratchDir } from './columns/scratch-dir.ts';
import { appendStatements, batchStatements, foldStatements } from './merge-sql.ts';
import { FOLDS } from './merges.ts';
import { ensureSilverSchema, OFFSETS_TABLE } from './schema.ts';
import { pointStageView, type SilverTopicKey } from './staging.ts';

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

/** A commit on its way: its columns being built on the staging thread, then its fold. */
interface InFlight {
  built: Promise<unknown>;
  done: Promise<CommitResult>;
}

/**
 * Stages records and commits micro-batches. A record's Avro body is checked and copied on the
 * main thread; at commit its topic's bodies go to the staging thread, which writes them as a
 * Parquet file of columns, and DuckDB folds the files into the tables. Commits form a pipeline:
 * while one batch is folded (on DuckDB's threads), the next one's columns are built (on the
 * staging thread) and the one after is read from the log (here), so at most two batches are in
 * flight. Not safe for concurrent calls of `stage`.
 */
export class SilverWriter {
  /** The merging connection (also used for checkpoints). */
  readonly conn: DuckDBConnection;
  /** The Silver file, named in errors. */
  readonly path: string;
  readonly #pool = new StageColumnsPool();
  /** Scratch directory of the staging files (scratch-dir.ts), removed on close. */
  readonly #dir: string;
  readonly #bodies = new Map<SilverTopicKey, BodyBuffer>();
  readonly #inspectors = new Map<SilverTopicKey, Inspector>();
  #seq = 0;
  #batch = 0;
  #inFlight: InFlight | undefined;
  #failed: unknown;

  private constructor(path: string, conn: DuckDBConnection, dir: string) {
    this.path = path;
    this.conn = conn;
    this.#dir = dir;
  }

  static async open(instance: DuckDBInstance, path: string): Promise<SilverWriter> {
    const conn = await instance.connect();
    return new SilverWriter(path, conn, await openScratchDir());
  }

  /** Records staged since the last commit started. */
  get staged(): number {
    return this.#seq;
  }

  /**
   * Stages the Avro body `body[start, end)`, written with the topic's current schema, and returns
   * its event time (ms). Throws DecodeError, staging nothing, when it is not one well-formed
   * record of that schema.
   */
  stage(topic: SilverTopicKey, body: Buffer, start: number, end: number): number {
    if (this.#failed) throw this.#failed;
    let inspect = this.#inspectors.get(topic);
    if (!inspect) {
      inspect = compileInspector(loadSchema(TOPICS[topic].schema), EVENT_TIME_FIELD[topic]);
      this.#inspectors.set(topic, inspect);
    }
    const eventMs = inspect(body, start, end);
    let bodies = this.#bodies.get(topic);
    if (!bodies) {
      bodies = new BodyBuffer();
      this.#bodies.set(topic, bodies);
    }
    bodies.append(body, start, end, this.#seq++);
    return eventMs;
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
   * Hands what is staged (with `offsets`) to the staging thread once it has built the previous
   * batch, and returns; the batch is folded after the previous one. `done` resolves when the
   * batch is durable.
   */
  async startCommit(offsets: PartitionOffset[]): Promise<{ done: Promise<CommitResult> }> {
    if (this.#inFlight) await this.#inFlight.built;
    if (this.#failed) throw this.#failed;
    const records: CommitResult['records'] = {};
    const building: Array<Promise<[SilverTopicKey, string]>> = [];
    const batch = this.#batch++;
    for (const [topic, bodies] of this.#bodies) {
      if (bodies.rows === 0) continue;
      records[topic] = bodies.rows;
      const file = join(this.#dir, `${batch}-${topic}.parquet`);
      building.push(this.#pool.build(topic, bodies.take(), file).then(() => [topic, file]));
    }
    this.#seq = 0;
    if (offsets.length === 0 && building.length === 0) return { done: Promise.resolve({ records, millis: 0 }) };
    const built = Promise.all(building);
    const previous = this.#inFlight?.done;
    const done = (async () => {
      const files = await built.catch((err: unknown) => {
        throw this.#fail(err, offsets);
      });
      try {
        await previous;
        if (this.#failed) throw this.#failed;
        return await this.#fold(new Map(files), records, offsets);
      } finally {
        await Promise.all(files.map(([, file]) => rm(file, { force: true })));
      }
    })();
    this.#inFlight = { built: built.catch(() => undefined), done };
    done.catch(() => undefined);
    return { done };
  }

  /** Waits for the commits in flight, if any. */
  async settle(): Promise<void> {
    await this.#inFlight?.done.catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#bodies.clear();
    await this.#pool.close();
    this.conn.closeSync();
    await rm(this.#dir, { recursive: true, force: true });
  }

  async #fold(files: Map<SilverTopicKey, string>, records: CommitResult['records'], offsets: PartitionOffset[]): Promise<CommitResult> {
    const started = performance.now();
    const topics = [...files.keys()];
    try {
      for (const [topic, file] of files) await pointStageView(this.conn, topic, file);
      await this.conn.run('BEGIN TRANSACTION');
    } catch (err) {
      throw this.#fail(err, offsets);
    }
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
          if (step.merge.strategy === 'antijoin') {
            const append = appendStatements(step.merge, batch);
            if (Number((await this.conn.runAndReadAll(append.matches)).getRows()[0]![0]) === 0) {
              await this.#run(append.insert, topic);
              continue;
            }
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
      throw this.#fail(err, offsets, rollbackError);
    }
    return { records, millis: performance.now() - started };
  }

  /** Marks the writer failed with the error that ended a batch (a SinkError, or one made of it). */
  #fail(err: unknown, offsets: PartitionOffset[], rollbackError?: string): unknown {
    const failure =
      err instanceof SinkError ? err : new SinkError(`Silver commit failed: ${(err as Error).message}`, { path: this.path, offsets: offsetsText(offsets), rollbackError }, { cause: err });
    this.#failed ??= failure;
    return failure;
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
