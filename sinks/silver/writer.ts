/**
 * The Silver file and its micro-batches: records are staged with the appender as they arrive;
 * `commit` folds every staged topic into the tables and stores the consumed offsets in ONE
 * transaction, so the tables and the offsets can never disagree, whatever kills the process.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { SinkError } from '../../runtime/errors.ts';
import type { CleanRecordByTopic } from '../../schemas/clean-records.ts';
import { batchStatement, foldStatements } from './merge-sql.ts';
import { FOLDS } from './merges.ts';
import { ensureSilverSchema, OFFSETS_TABLE } from './schema.ts';
import { createStaging, type SilverTopicKey, StagedWriter, stageTable } from './staging.ts';

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

/** Opens (creating if needed) a Silver file for writing, with the schema in place. */
export async function openSilverDatabase(path: string, options: SilverDatabaseOptions = {}): Promise<DuckDBInstance> {
  mkdirSync(dirname(path), { recursive: true });
  const config: Record<string, string> = {};
  if (options.memoryLimit) config.memory_limit = options.memoryLimit;
  if (options.threads) config.threads = String(options.threads);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, config);
  } catch (err) {
    throw new SinkError(`cannot open Silver file ${path}: ${(err as Error).message}`, { path }, { cause: err });
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

/** Stages records and commits micro-batches on one connection; not safe for concurrent calls. */
export class SilverWriter {
  readonly conn: DuckDBConnection;
  readonly #writers = new Map<SilverTopicKey, StagedWriter<SilverTopicKey>>();
  #seq = 0;

  private constructor(conn: DuckDBConnection) {
    this.conn = conn;
  }

  static async open(instance: DuckDBInstance): Promise<SilverWriter> {
    const conn = await instance.connect();
    await createStaging(conn);
    return new SilverWriter(conn);
  }

  /** Records staged since the last commit. */
  get staged(): number {
    return this.#seq;
  }

  async stage<K extends SilverTopicKey>(topic: K, record: CleanRecordByTopic[K]): Promise<void> {
    let w = this.#writers.get(topic) as StagedWriter<K> | undefined;
    if (!w) {
      w = await StagedWriter.open(this.conn, topic);
      this.#writers.set(topic, w as unknown as StagedWriter<SilverTopicKey>);
    }
    w.append(this.#seq++, record);
  }

  /**
   * Folds everything staged into the tables and stores `offsets`, atomically. Offsets may be
   * given with nothing staged (records that needed no row, e.g. dead letters), and are then
   * stored alone.
   */
  async commit(offsets: PartitionOffset[]): Promise<CommitResult> {
    const started = performance.now();
    const records: CommitResult['records'] = {};
    for (const [topic, w] of this.#writers) {
      w.close();
      records[topic] = w.rows;
    }
    this.#writers.clear();
    this.#seq = 0;
    if (offsets.length === 0 && Object.keys(records).length === 0) return { records, millis: 0 };
    await this.conn.run('BEGIN TRANSACTION');
    try {
      for (const topic of Object.keys(records) as SilverTopicKey[]) {
        for (const [i, step] of FOLDS[topic].entries()) {
          const statements =
            'merge' in step
              ? [batchStatement(step.merge, `batch_${topic}_${i}`), ...foldStatements(step.merge, `batch_${topic}_${i}`)]
              : step.statements;
          for (const sql of statements) await this.#run(sql, topic);
        }
        await this.conn.run(`DELETE FROM ${stageTable(topic)}`);
      }
      for (const o of offsets) {
        await this.conn.run(
          `INSERT INTO ${OFFSETS_TABLE} VALUES ($topic, $partition, $offset) ON CONFLICT (topic, "partition") DO UPDATE SET next_offset = excluded.next_offset`,
          { topic: o.topic, partition: o.partition, offset: o.offset },
        );
      }
      await this.conn.run('COMMIT');
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      for (const topic of Object.keys(records)) await this.conn.run(`DELETE FROM ${stageTable(topic as SilverTopicKey)}`).catch(() => undefined);
      throw err;
    }
    return { records, millis: performance.now() - started };
  }

  /** Drops what is staged without writing it. */
  async discard(): Promise<void> {
    for (const w of this.#writers.values()) w.close();
    this.#writers.clear();
    this.#seq = 0;
    await createStaging(this.conn);
  }

  close(): void {
    for (const w of this.#writers.values()) w.close();
    this.#writers.clear();
    this.conn.closeSync();
  }

  async #run(sql: string, topic: SilverTopicKey): Promise<void> {
    try {
      await this.conn.run(sql);
    } catch (err) {
      throw new SinkError(`Silver merge of ${topic} failed: ${(err as Error).message}`, { topic, sql: sql.slice(0, 300) }, { cause: err });
    }
  }
}
