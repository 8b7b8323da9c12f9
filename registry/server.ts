/**
 * A registry exposed over the Confluent Schema Registry REST API (v1), enough for standard
 * clients (@kafkajs/confluent-schema-registry, confluent-kafka's SchemaRegistryClient, the Java
 * serializers): register and look up under a subject, schemas by id, subjects and versions,
 * global and subject config (404 / 40408 where a subject has none), compatibility checks, and
 * soft/permanent deletes. Answers use `application/vnd.schemaregistry.v1+json` and Confluent's
 * error bodies `{"error_code": N, "message": "..."}`. Request bodies are bounded; malformed JSON
 * is a 400, a well-formed body of the wrong shape a 422.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryError, SchemaCompatibilityError, SchemaNotFoundError, SchemaValidationError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import { COMPATIBILITY_LEVELS, type CompatibilityLevel, isCompatibilityLevel, type SchemaRegistry } from './types.ts';

export const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** Largest request body accepted (schemas are JSON text; Gamma's market schema is ~30 KB). */
export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;
const MAX_VERSION = 2 ** 31 - 1;

export interface RegistryServerOptions {
  registry: SchemaRegistry;
  logger: Logger;
  maxBodyBytes?: number;
}

/** An error answered as is: HTTP status and Confluent error code. */
class HttpProblem extends Error {
  readonly status: number;
  readonly errorCode: number;
  constructor(status: number, errorCode: number, message: string) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
  }
}

type Handler = (req: RequestInfo) => Promise<unknown>;

interface RequestInfo {
  params: string[];
  query: URLSearchParams;
  body: () => Promise<unknown>;
}

interface Route {
  method: string;
  /** Path segments; ":" marks a parameter. */
  pattern: string[];
  handler: Handler;
}

/** Builds the HTTP server (not listening yet). */
export function createRegistryServer(options: RegistryServerOptions): Server {
  const { registry, logger } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const routes = buildRoutes(registry);
  const server = createServer((req, res) => {
    void handle(req, res, routes, maxBodyBytes, logger);
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  return server;
}

/** Starts serving on host:port (port 0 picks a free one); resolves with the base URL. */
export async function startRegistryServer(options: RegistryServerOptions & { host: string; port: number }): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createRegistryServer(options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function buildRoutes(registry: SchemaRegistry): Route[] {
  const route = (method: string, path: string, handler: Handler): Route => ({ method, pattern: path.split('/').filter(Boolean), handler });
  const schemaBody = async (req: RequestInfo): Promise<string> => {
    const body = await req.body();
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpProblem(422, 42201, 'request body must be a JSON object with a "schema" string');
    const { schema, schemaType, references } = body as { schema?: unknown; schemaType?: unknown; references?: unknown };
    if (schemaType !== undefined && schemaType !== null && String(schemaType).toUpperCase() !== 'AVRO') {
      throw new HttpProblem(422, 42201, `schema type ${JSON.stringify(schemaType)} is not supported: this registry holds Avro schemas only`);
    }
    if (Array.isArray(references) && references.length > 0) throw new HttpProblem(422, 42201, 'schema references are not supported by this registry');
    if (typeof schema !== 'string' || schema.trim() === '') throw new HttpProblem(422, 42201, 'Empty schema');
    return schema;
  };
  const compatibilityBody = async (req: RequestInfo): Promise<CompatibilityLevel> => {
    const body = await req.body();
    const value = typeof body === 'object' && body !== null ? (body as { compatibility?: unknown }).compatibility : undefined;
    const upper = typeof value === 'string' ? value.toUpperCase() : value;
    if (!isCompatibilityLevel(upper)) {
      throw new HttpProblem(422, 42203, `Invalid compatibility level. Valid values are ${COMPATIBILITY_LEVELS.map((l) => l.toLowerCase()).join(', ')}`);
    }
    return upper;
  };
  const id = (raw: string): number => {
    if (!/^\d{1,10}$/.test(raw) || Number(raw) > MAX_VERSION) throw new HttpProblem(404, 40403, `Schema ${raw} not found`);
    return Number(raw);
  };
  const permanent = (req: RequestInfo) => flag(req.query, 'permanent');

  return [
    route('GET', '/', async () => ({})),
    route('GET', '/schemas/types', async () => ['AVRO']),
    route('GET', '/mode', async () => ({ mode: 'READWRITE' })),
    route('GET', '/schemas/ids/:id', async (r) => ({ schema: await registry.getSchemaById(id(r.params[0]!)) })),
    route('GET', '/schemas/ids/:id/schema', async (r) => rawSchema(await registry.getSchemaById(id(r.params[0]!)))),
    route('GET', '/schemas/ids/:id/versions', async (r) => registry.getVersionsById(id(r.params[0]!))),
    route('GET', '/schemas/ids/:id/subjects', async (r) => [...new Set((await registry.getVersionsById(id(r.params[0]!))).map((v) => v.subject))]),
    route('GET', '/subjects', async () => registry.listSubjects()),
    route('POST', '/subjects/:subject/versions', async (r) => ({ id: await registry.register(r.params[0]!, await schemaBody(r)) })),
    route('POST', '/subjects/:subject', async (r) => registry.lookup(r.params[0]!, await schemaBody(r))),
    route('GET', '/subjects/:subject/versions', async (r) => registry.listVersions(r.params[0]!)),
    route('GET', '/subjects/:subject/versions/:version', async (r) => versionOf(registry, r.params[0]!, r.params[1]!)),
    route('GET', '/subjects/:subject/versions/:version/schema', async (r) => rawSchema((await versionOf(registry, r.params[0]!, r.params[1]!)).schema)),
    route('GET', '/subjects/:subject/versions/:version/referencedby', async (r) => {
      await versionOf(registry, r.params[0]!, r.params[1]!);
      return [];
    }),
    route('DELETE', '/subjects/:subject', async (r) => registry.deleteSubject(r.params[0]!, { permanent: permanent(r) })),
    route('DELETE', '/subjects/:subject/versions/:version', async (r) => {
      const v = parseVersion(r.params[1]!);
      return registry.deleteVersion(r.params[0]!, v, { permanent: permanent(r) });
    }),
    route('GET', '/config', async () => ({ compatibilityLevel: await registry.getGlobalCompatibility() })),
    route('PUT', '/config', async (r) => {
      const level = await compatibilityBody(r);
      await registry.setGlobalCompatibility(level);
      return { compatibility: level };
    }),
    route('GET', '/config/:subject', async (r) => {
      const subject = r.params[0]!;
      const own = await registry.getSubjectCompatibility(subject);
      if (own) return { compatibilityLevel: own };
      if (flag(r.query, 'defaultToGlobal')) return { compatibilityLevel: await registry.getGlobalCompatibility() };
      throw new HttpProblem(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
    }),
    route('PUT', '/config/:subject', async (r) => {
      const level = await compatibilityBody(r);
      await registry.setSubjectCompatibility(r.params[0]!, level);
      return { compatibility: level };
    }),
    route('DELETE', '/config/:subject', async (r) => {
      const subject = r.params[0]!;
      const old = await registry.deleteSubjectCompatibility(subject);
      if (!old) throw new HttpProblem(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
      return { compatibilityLevel: old };
    }),
    route('POST', '/compatibility/subjects/:subject/versions/:version', async (r) => {
      const version = parseVersion(r.params[1]!);
      const result = await registry.checkCompatibility(r.params[0]!, await schemaBody(r), version);
      return compatibilityAnswer(result, r);
    }),
    route('POST', '/compatibility/subjects/:subject/versions', async (r) => {
      const result = await registry.checkCompatibility(r.params[0]!, await schemaBody(r));
      return compatibilityAnswer(result, r);
    }),
  ];
}

function compatibilityAnswer(result: { compatible: boolean; messages: string[] }, req: RequestInfo): unknown {
  return flag(req.query, 'verbose') ? { is_compatible: result.compatible, messages: result.messages } : { is_compatible: result.compatible };
}

/** A boolean query parameter; clients send true, True or 1. */
function flag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name)?.toLowerCase();
  return v === 'true' || v === '1';
}

async function versionOf(registry: SchemaRegistry, subject: string, raw: string) {
  const version = parseVersion(raw);
  return version === 'latest' ? registry.getLatest(subject) : registry.getVersion(subject, version);
}

/** "latest", "-1" (Confluent's alias for latest) or 1..2^31-1. */
function parseVersion(raw: string): number | 'latest' {
  if (raw === 'latest' || raw === '-1') return 'latest';
  if (/^\d{1,10}$/.test(raw)) {
    const n = Number(raw);
    if (n >= 1 && n <= MAX_VERSION) return n;
  }
  throw new HttpProblem(422, 42202, `The specified version '${raw}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
}

/** The `/schema` routes answer with the schema itself as the JSON body. */
function rawSchema(text: string): RawJson {
  return new RawJson(text);
}

class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: Route[], maxBodyBytes: number, logger: Logger): Promise<void> {
  const started = Date.now();
  let status = 200;
  try {
    const url = new URL(req.url ?? '/', 'http://registry.invalid');
    const segments = url.pathname.split('/').filter(Boolean);
    const matched = match(routes, req.method ?? 'GET', segments);
    if (matched === 'method-not-allowed') throw new HttpProblem(405, 405, `HTTP 405 Method Not Allowed: ${req.method} ${url.pathname}`);
    if (!matched) throw new HttpProblem(404, 404, `HTTP 404 Not Found: ${url.pathname}`);
    const result = await matched.route.handler({ params: matched.params, query: url.searchParams, body: () => readJsonBody(req, maxBodyBytes) });
    send(res, 200, result instanceof RawJson ? result.text : JSON.stringify(result));
  } catch (err) {
    const problem = toProblem(err);
    status = problem.status;
    if (status >= 500) logger.error('registry request failed', { method: req.method, url: req.url, err });
    send(res, problem.status, JSON.stringify({ error_code: problem.errorCode, message: problem.message }));
  } finally {
    logger.debug('registry request', { method: req.method, url: req.url, status, ms: Date.now() - started });
  }
}

function match(routes: Route[], method: string, segments: string[]): { route: Route; params: string[] } | 'method-not-allowed' | undefined {
  let pathMatched = false;
  for (const route of routes) {
    if (route.pattern.length !== segments.length) continue;
    const params: string[] = [];
    let ok = true;
    for (let i = 0; i < segments.length; i++) {
      const want = route.pattern[i]!;
      const got = segments[i]!;
      if (want.startsWith(':')) {
        let decoded: string;
        try {
          decoded = decodeURIComponent(got);
        } catch {
          ok = false;
          break;
        }
        params.push(decoded);
      } else if (want !== got) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  return pathMatched ? 'method-not-allowed' : undefined;
}

function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      reject(new HttpProblem(413, 413, `request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        req.resume();
        reject(new HttpProblem(413, 413, `request body exceeds the limit of ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => {
      if (!done) {
        done = true;
        reject(err);
      }
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(new HttpProblem(400, 400, `request body is not valid JSON: ${(err as Error).message}`));
      }
    });
  });
}

function toProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (err instanceof SchemaNotFoundError || err instanceof SchemaCompatibilityError || err instanceof SchemaValidationError || err instanceof RegistryError) {
    const code = err.errorCode;
    if (code !== undefined) return new HttpProblem(code >= 1000 ? Math.floor(code / 100) : code, code, err.message);
  }
  if (err instanceof SchemaNotFoundError) return new HttpProblem(404, 40403, err.message);
  if (err instanceof SchemaCompatibilityError) return new HttpProblem(409, 409, err.message);
  if (err instanceof SchemaValidationError) return new HttpProblem(422, 42201, err.message);
  return new HttpProblem(500, 50001, `Error in the backend data store: ${(err as Error)?.message ?? String(err)}`);
}

function send(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
