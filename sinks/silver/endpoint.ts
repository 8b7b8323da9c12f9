/**
 * The live sink's query endpoint: a small HTTP server on 127.0.0.1 (a free port) that answers
 * read-only SQL from the sink's own DuckDB instance, so `pma query` sees data the moment it is
 * committed. It is advertised in `<silver file>.endpoint.json` (pid, port, a random token; mode
 * 0600), removed on a clean stop; a file left by a killed sink is recognised by its dead pid.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DuckDBInstance } from '@duckdb/node-api';
import { PmaError, QueryError, serializeError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { processAlive } from '../common/dir-lock.ts';
import { sinkWriteError } from '../common/write-error.ts';
import { runReadOnlyQuery } from './read-only-query.ts';

export interface EndpointAdvert {
  pid: number;
  port: number;
  token: string;
  path: string;
  startedAt: number;
}

/** What the sink reports on GET /status. */
export type StatusProvider = () => Record<string, unknown>;

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_ROWS_CAP = 1_000_000;

export const advertPath = (silverPath: string): string => `${silverPath}.endpoint.json`;

/** The advert of a running sink for this Silver file, or undefined (none, unreadable, or its process is gone). */
export function readAdvert(silverPath: string): EndpointAdvert | undefined {
  let advert: EndpointAdvert;
  try {
    advert = JSON.parse(readFileSync(advertPath(silverPath), 'utf8')) as EndpointAdvert;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(advert.pid) || !Number.isInteger(advert.port) || typeof advert.token !== 'string') return undefined;
  return processAlive(advert.pid) ? advert : undefined;
}

export interface QueryEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

export async function serveQueries(instance: DuckDBInstance, silverPath: string, status: StatusProvider, logger: Logger): Promise<QueryEndpoint> {
  const token = randomBytes(24).toString('hex');
  const conn = await instance.connect();
  let queue: Promise<unknown> = Promise.resolve();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => refuse(res, 500, err instanceof PmaError ? err : new QueryError((err as Error).message, {}, { cause: err })));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.authorization !== `Bearer ${token}`) return refuse(res, 401, new QueryError('missing or wrong token'));
    if (req.method === 'GET' && req.url === '/status') return reply(res, 200, status());
    if (req.method !== 'POST' || req.url !== '/query') return refuse(res, 404, new QueryError('POST /query or GET /status'));
    const body = await readBody(req);
    let parsed: { sql?: unknown; maxRows?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      return refuse(res, 400, new QueryError('body must be JSON: {"sql": "...", "maxRows": n}'));
    }
    if (typeof parsed.sql !== 'string') return refuse(res, 400, new QueryError('field "sql" must be a string'));
    const maxRows = Number.isInteger(parsed.maxRows) ? Math.min(Math.max(parsed.maxRows as number, 0), MAX_ROWS_CAP) : 10_000;
    const sql = parsed.sql;
    // One query at a time on this connection: its transaction must not interleave with another's.
    const run = queue.then(() => runReadOnlyQuery(conn, sql, maxRows));
    queue = run.catch(() => undefined);
    try {
      reply(res, 200, await run);
    } catch (err) {
      refuse(res, 400, err instanceof PmaError ? err : new QueryError((err as Error).message, { sql }, { cause: err }));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const advert: EndpointAdvert = { pid: process.pid, port, token, path: silverPath, startedAt: Date.now() };
  const file = advertPath(silverPath);
  try {
    writeFileSync(`${file}.tmp`, JSON.stringify(advert), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  } catch (err) {
    // A listening server left behind would keep the failed sink's process alive.
    server.close();
    conn.closeSync();
    throw sinkWriteError(err, 'cannot advertise the Silver query endpoint in', file);
  }
  logger.debug('Silver query endpoint listening', { port, advert: file });
  return {
    port,
    async close() {
      rmSync(file, { force: true });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue;
      conn.closeSync();
    },
  };
}

/** An error body the query client rebuilds as the error's class: `{ error: SerializedError }`. */
function refuse(res: ServerResponse, status: number, err: PmaError): void {
  reply(res, status, { error: serializeError(err) });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new QueryError(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
