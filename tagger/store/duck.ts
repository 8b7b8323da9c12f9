/**
 * A DuckDB file opened by this process alone, with one connection per purpose. DuckDB runs one
 * statement at a time per connection, and a transaction spans several awaited statements, so
 * each connection is used under its own mutex: the writer's transactions never interleave, and
 * readers never see a half-applied batch (they read committed data on their own connection).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { SinkError } from '../../runtime/errors.ts';

export type Row = Record<string, unknown>;
export type Params = DuckDBValue[];

/** Serialises async work: each `run` starts after the previous one settled. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/** One connection and its mutex. */
export class Session {
  readonly #conn: DuckDBConnection;
  readonly #mutex = new Mutex();

  constructor(conn: DuckDBConnection) {
    this.#conn = conn;
  }

  /** Rows as plain objects; BIGINT and HUGEINT come back as numbers. */
  all(sql: string, params: Params = []): Promise<Row[]> {
    return this.#mutex.run(() => readRows(this.#conn, sql, params));
  }

  async one(sql: string, params: Params = []): Promise<Row | undefined> {
    return (await this.all(sql, params))[0];
  }

  run(sql: string, params: Params = []): Promise<void> {
    return this.#mutex.run(async () => {
      await this.#conn.run(sql, params);
    });
  }

  /**
   * Runs `fn` inside BEGIN/COMMIT with exclusive use of the connection; rolls back if it throws.
   * `fn` gets statement helpers that bypass the mutex (it already holds it).
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#mutex.run(async () => {
      await this.#conn.run('BEGIN TRANSACTION');
      try {
        const result = await fn({
          all: (sql, params = []) => readRows(this.#conn, sql, params),
          run: async (sql, params = []) => {
            await this.#conn.run(sql, params);
          },
        });
        await this.#conn.run('COMMIT');
        return result;
      } catch (err) {
        await this.#conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  close(): void {
    this.#conn.closeSync();
  }
}

export interface Tx {
  all(sql: string, params?: Params): Promise<Row[]>;
  run(sql: string, params?: Params): Promise<void>;
}

async function readRows(conn: DuckDBConnection, sql: string, params: Params): Promise<Row[]> {
  const reader = await conn.runAndReadAll(sql, params);
  return reader.getRowObjectsJS().map((row) => {
    const out: Row = {};
    for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'bigint' ? Number(v) : v;
    return out;
  });
}

export interface DuckFile {
  readonly path: string;
  readonly writer: Session;
  readonly reader: Session;
  close(): void;
}

/** Opens (creating if missing) a DuckDB file for writing; a clear SinkError if another process holds it. */
export async function openDuckFile(path: string): Promise<DuckFile> {
  mkdirSync(dirname(path), { recursive: true });
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path);
  } catch (err) {
    const message = (err as Error).message;
    const locked = /lock/i.test(message);
    throw new SinkError(locked ? `${path} is open in another process (another "pma tagger"?): only one process can write it` : `cannot open ${path}: ${message}`, { path }, { cause: err });
  }
  const writer = new Session(await instance.connect());
  const reader = new Session(await instance.connect());
  return {
    path,
    writer,
    reader,
    close() {
      writer.close();
      reader.close();
      instance.closeSync();
    },
  };
}
