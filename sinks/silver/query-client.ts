/**
 * Answers a read-only query from the freshest Silver available: the running sink (through its
 * endpoint), else the Silver file itself, else its snapshot (when another process holds the file).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { QueryError, rebuildError, type SerializedError } from '../../runtime/errors.ts';
import { type EndpointAdvert, readAdvert } from './endpoint.ts';
import { type QueryRows, runReadOnlyQuery } from './read-only-query.ts';
import { defaultSnapshotPath } from './snapshot.ts';

/** The Silver file in a data dir. */
export const defaultSilverPath = (dataDir: string): string => join(dataDir, 'silver.duckdb');

export type QuerySourceKind = 'live' | 'file' | 'snapshot';

export interface QueryAnswer extends QueryRows {
  source: { kind: QuerySourceKind; path: string; pid?: number };
}

export interface QueryTarget {
  silverPath: string;
  /** Default: beside the Silver file. */
  snapshotPath?: string;
  /** Default `auto`: live, then file, then snapshot. */
  source?: 'auto' | QuerySourceKind;
  maxRows: number;
}

export async function querySilver(target: QueryTarget, sql: string): Promise<QueryAnswer> {
  const source = target.source ?? 'auto';
  const snapshotPath = target.snapshotPath ?? defaultSnapshotPath(target.silverPath);
  if (source === 'auto' || source === 'live') {
    const advert = readAdvert(target.silverPath);
    if (advert) {
      const answer = await askLive(advert, sql, target.maxRows);
      if (answer) return { ...answer, source: { kind: 'live', path: target.silverPath, pid: advert.pid } };
    }
    if (source === 'live') throw new QueryError(`no running Silver sink serves ${target.silverPath}`, { path: target.silverPath });
  }
  if ((source === 'auto' || source === 'file') && present(target.silverPath)) {
    try {
      return { ...(await askFile(target.silverPath, sql, target.maxRows)), source: { kind: 'file', path: target.silverPath } };
    } catch (err) {
      if (!(err instanceof FileBusyError) || source === 'file') throw err instanceof FileBusyError ? new QueryError(err.message, { path: target.silverPath }) : err;
    }
  }
  if ((source === 'auto' || source === 'snapshot') && present(snapshotPath)) {
    return { ...(await askFile(snapshotPath, sql, target.maxRows)), source: { kind: 'snapshot', path: snapshotPath } };
  }
  throw new QueryError(`no Silver to query: neither ${target.silverPath} nor its snapshot exists (build it with "pma sink --layer silver" or "npm start")`, { path: target.silverPath });
}

/**
 * Whether a file is there. Only "no such file" means absent: a data dir that cannot be read
 * (permissions, a file where a directory should be) is reported as such, not as a missing Silver.
 */
function present(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new QueryError(`cannot read ${path}: ${(err as Error).message}`, { path }, { cause: err });
  }
}

/** The sink's answer, or undefined when its endpoint does not answer (it stopped meanwhile). */
async function askLive(advert: EndpointAdvert, sql: string, maxRows: number): Promise<QueryRows | undefined> {
  let res: Response;
  try {
    res = await fetch(`http://127.0.0.1:${advert.port}/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${advert.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql, maxRows }),
    });
  } catch {
    return undefined;
  }
  const body = (await res.json()) as QueryRows | { error: SerializedError };
  if ('error' in body) throw rebuildError(body.error);
  return body;
}

class FileBusyError extends Error {}

async function askFile(path: string, sql: string, maxRows: number): Promise<QueryRows> {
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  } catch (err) {
    const message = (err as Error).message;
    if (/lock/i.test(message)) throw new FileBusyError(`${path} is open for writing by another process: ${message}`);
    throw new QueryError(`cannot open ${path}: ${message}`, { path });
  }
  const conn = await instance.connect();
  try {
    return await runReadOnlyQuery(conn, sql, maxRows);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
