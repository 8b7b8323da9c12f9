/**
 * The SchemaRegistry interface over a Confluent-compatible Schema Registry's REST API
 * (Confluent, Redpanda, Karapace, Apicurio's ccompat API, or `pma registry serve`).
 * Registration goes through @kafkajs/confluent-schema-registry; the calls that library does not
 * offer (versions, schema text by id, config, compatibility, deletes) go straight over HTTP.
 * Transient failures (network errors, 5xx) are retried a bounded number of times; HTTP errors
 * become typed errors: 404 SchemaNotFoundError, 409 SchemaCompatibilityError, 422
 * SchemaValidationError, anything else RegistryError; the `errorCode` field keeps Confluent's code.
 */
import { Agent as HttpsAgent } from 'node:https';
import { type COMPATIBILITY, SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Agent, fetch } from 'undici';
import { type ErrorContext, type PmaError, RegistryError, SchemaCompatibilityError, SchemaNotFoundError, SchemaValidationError } from '../runtime/errors.ts';
import { redactUrl } from '../runtime/secrets.ts';
import { parseSchema } from './avro-schema.ts';
import { type CompatibilityLevel, type CompatibilityResult, DEFAULT_COMPATIBILITY, isCompatibilityLevel, type SchemaRegistry, type SubjectVersion } from './types.ts';

export interface HttpRegistryOptions {
  /** Base URL, e.g. http://127.0.0.1:8081 (user:password@ in the URL becomes basic auth). */
  url: string;
  /** Basic auth, when not in the URL. */
  user?: string;
  password?: string;
  /** PEM CA certificates that an https registry's certificate must chain to, instead of the system's. */
  ca?: Buffer;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  /** Attempts for a request that fails with a network error or a 5xx. Default 4. */
  maxAttempts?: number;
  clientId?: string;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export class HttpRegistry implements SchemaRegistry {
  readonly #base: string;
  readonly #authorization: string | undefined;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #client: ConfluentClient;
  readonly #dispatcher: Agent | undefined;
  readonly #byId = new Map<number, string>();

  constructor(options: HttpRegistryOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      const shown = redactUrl(options.url);
      throw new RegistryError(`registry URL ${JSON.stringify(shown)} is not a URL`, { value: shown });
    }
    const auth = url.username
      ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
      : options.user !== undefined
        ? { username: options.user, password: options.password ?? '' }
        : undefined;
    url.username = '';
    url.password = '';
    this.#base = url.toString().replace(/\/+$/, '');
    this.#authorization = auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : undefined;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxAttempts = options.maxAttempts ?? 4;
    // Both HTTP stacks trust the CA: undici's for our own requests, node:https for the library's.
    this.#dispatcher = options.ca ? new Agent({ connect: { ca: options.ca } }) : undefined;
    this.#client = new ConfluentClient({
      host: this.#base,
      clientId: options.clientId ?? 'pma',
      ...(auth ? { auth } : {}),
      ...(options.ca ? { agent: new HttpsAgent({ ca: options.ca }) } : {}),
      retry: { retries: this.#maxAttempts - 1 },
    });
  }

  async register(subject: string, schema: string): Promise<number> {
    const parsed = parseSchema(schema);
    if (!parsed.type.name) {
      // The library registers named schemas only; a primitive or anonymous schema goes direct.
      const body = await this.#request<{ id: number }>('POST', ['subjects', subject, 'versions'], { schema: parsed.text }, { subject });
      return body.id;
    }
    // The library refuses to register when the subject's own level differs from the one it is
    // given, so it is given the subject's level (or the default when the subject has none).
    const level = (await this.getSubjectCompatibility(subject)) ?? DEFAULT_COMPATIBILITY;
    try {
      const { id } = await this.#client.register({ type: SchemaType.AVRO, schema: parsed.text }, { subject, compatibility: level as COMPATIBILITY, updateConfig: false });
      return id;
    } catch (err) {
      throw fromLibraryError(err, { subject });
    }
  }

  async getSchemaById(id: number): Promise<string> {
    const hit = this.#byId.get(id);
    if (hit !== undefined) return hit;
    const body = await this.#request<{ schema: string; schemaType?: string }>('GET', ['schemas', 'ids', String(id)], undefined, { schemaId: id });
    if (body.schemaType && body.schemaType !== 'AVRO') {
      throw new RegistryError(`schema id ${id} is a ${body.schemaType} schema; only Avro is supported`, { schemaId: id });
    }
    this.#byId.set(id, body.schema);
    return body.schema;
  }

  getVersionsById(id: number): Promise<Array<{ subject: string; version: number }>> {
    return this.#request('GET', ['schemas', 'ids', String(id), 'versions'], undefined, { schemaId: id });
  }

  async getLatest(subject: string): Promise<SubjectVersion> {
    return toSubjectVersion(await this.#request('GET', ['subjects', subject, 'versions', 'latest'], undefined, { subject }));
  }

  async getVersion(subject: string, version: number): Promise<SubjectVersion> {
    return toSubjectVersion(await this.#request('GET', ['subjects', subject, 'versions', String(version)], undefined, { subject, version }));
  }

  async listSubjects(): Promise<string[]> {
    return (await this.#request<string[]>('GET', ['subjects'])).sort();
  }

  listVersions(subject: string): Promise<number[]> {
    return this.#request('GET', ['subjects', subject, 'versions'], undefined, { subject });
  }

  async lookup(subject: string, schema: string): Promise<SubjectVersion> {
    const parsed = parseSchema(schema);
    return toSubjectVersion(await this.#request('POST', ['subjects', subject], { schema: parsed.text }, { subject }));
  }

  async checkCompatibility(subject: string, schema: string, version?: number | 'latest'): Promise<CompatibilityResult> {
    const parsed = parseSchema(schema);
    const path = ['compatibility', 'subjects', subject, 'versions', ...(version === undefined ? [] : [String(version)])];
    const body = await this.#request<{ is_compatible: boolean; messages?: string[] }>('POST', path, { schema: parsed.text }, { subject }, 'verbose=true');
    return { compatible: body.is_compatible, messages: body.is_compatible ? [] : (body.messages ?? []) };
  }

  async getGlobalCompatibility(): Promise<CompatibilityLevel> {
    return level((await this.#request<{ compatibilityLevel: string }>('GET', ['config'])).compatibilityLevel);
  }

  async setGlobalCompatibility(compatibility: CompatibilityLevel): Promise<void> {
    await this.#request('PUT', ['config'], { compatibility });
  }

  async getSubjectCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    return this.#subjectLevel('GET', subject);
  }

  async setSubjectCompatibility(subject: string, compatibility: CompatibilityLevel): Promise<void> {
    await this.#request('PUT', ['config', subject], { compatibility }, { subject });
  }

  async deleteSubjectCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    return this.#subjectLevel('DELETE', subject);
  }

  /** A subject's own compatibility level (read, or removed and returned); undefined when it has none. */
  async #subjectLevel(method: 'GET' | 'DELETE', subject: string): Promise<CompatibilityLevel | undefined> {
    try {
      return level((await this.#request<{ compatibilityLevel: string }>(method, ['config', subject], undefined, { subject })).compatibilityLevel);
    } catch (err) {
      if (err instanceof SchemaNotFoundError) return undefined;
      throw err;
    }
  }

  async effectiveCompatibility(subject: string): Promise<CompatibilityLevel> {
    return (await this.getSubjectCompatibility(subject)) ?? (await this.getGlobalCompatibility());
  }

  deleteSubject(subject: string, options: { permanent?: boolean } = {}): Promise<number[]> {
    return this.#request('DELETE', ['subjects', subject], undefined, { subject }, options.permanent ? 'permanent=true' : undefined);
  }

  deleteVersion(subject: string, version: number | 'latest', options: { permanent?: boolean } = {}): Promise<number> {
    return this.#request('DELETE', ['subjects', subject, 'versions', String(version)], undefined, { subject, version }, options.permanent ? 'permanent=true' : undefined);
  }

  async close(): Promise<void> {
    this.#byId.clear();
    await this.#dispatcher?.close();
  }

  /** One JSON request; path segments are URL-encoded here. Retries network errors and 5xx. */
  async #request<T>(method: string, segments: string[], body?: unknown, context: ErrorContext = {}, query?: string): Promise<T> {
    const url = `${this.#base}/${segments.map(encodeURIComponent).join('/')}${query ? `?${query}` : ''}`;
    const headers: Record<string, string> = { accept: `${CONTENT_TYPE}, application/json` };
    if (body !== undefined) headers['content-type'] = CONTENT_TYPE;
    if (this.#authorization) headers.authorization = this.#authorization;
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      let response: Awaited<ReturnType<typeof fetch>>;
      try {
        response = await fetch(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.#timeoutMs),
          ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
        });
      } catch (err) {
        lastError = err;
        if (attempt < this.#maxAttempts) {
          await backoff(attempt);
          continue;
        }
        break;
      }
      const text = await response.text();
      const json = parseJson(text);
      if (response.ok) {
        if (json === undefined) throw new RegistryError(`${method} ${url}: answer is not JSON: ${text.slice(0, 200)}`, { ...context, status: response.status });
        return json as T;
      }
      if (response.status >= 500 && attempt < this.#maxAttempts) {
        lastError = new RegistryError(`${method} ${url}: HTTP ${response.status}`, { ...context, status: response.status });
        await backoff(attempt);
        continue;
      }
      throw httpError(method, url, response.status, json, text, context);
    }
    throw new RegistryError(`${method} ${url} failed after ${this.#maxAttempts} attempts: ${networkMessage(lastError)}`, context, {
      cause: lastError,
    });
  }
}

function toSubjectVersion(body: unknown): SubjectVersion {
  const b = body as Partial<SubjectVersion>;
  if (typeof b.subject !== 'string' || typeof b.version !== 'number' || typeof b.id !== 'number' || typeof b.schema !== 'string') {
    throw new RegistryError(`registry answered with an unexpected subject version: ${JSON.stringify(body).slice(0, 200)}`);
  }
  return { subject: b.subject, version: b.version, id: b.id, schema: b.schema };
}

function level(value: string): CompatibilityLevel {
  const upper = String(value).toUpperCase();
  if (!isCompatibilityLevel(upper)) throw new RegistryError(`registry answered with an unknown compatibility level ${JSON.stringify(value)}`);
  return upper;
}

function httpError(method: string, url: string, status: number, json: unknown, text: string, context: ErrorContext): PmaError {
  const body = (json ?? {}) as { error_code?: number; message?: string };
  const message = body.message ?? (text.slice(0, 300) || `HTTP ${status}`);
  const ctx = { ...context, status };
  const options = { errorCode: typeof body.error_code === 'number' ? body.error_code : undefined };
  if (status === 404) return new SchemaNotFoundError(message, ctx, options);
  if (status === 409) return new SchemaCompatibilityError(message, ctx, options);
  if (status === 422) return new SchemaValidationError(message, ctx, options);
  return new RegistryError(`${method} ${url}: HTTP ${status}: ${message}`, ctx, options);
}

/** Errors of @kafkajs/confluent-schema-registry carry the HTTP status (or none for its own checks). */
function fromLibraryError(err: unknown, context: ErrorContext): PmaError {
  const status = (err as { status?: number }).status;
  const message = String((err as Error).message ?? err).replace(/^[^ ]* - /, '');
  if (status === 404) return new SchemaNotFoundError(message, { ...context, status });
  if (status === 409) return new SchemaCompatibilityError(message, { ...context, status }, { errorCode: 409 });
  if (status === 422) return new SchemaValidationError(message, { ...context, status });
  return new RegistryError(`registering under ${String(context.subject)} failed: ${message}`, { ...context, ...(status ? { status } : {}) }, { cause: err });
}

/** fetch says only "fetch failed"; its cause says why (refused, a certificate not trusted...). */
function networkMessage(err: unknown): string {
  const cause = (err as { cause?: { message?: string; code?: string } } | undefined)?.cause;
  if (cause?.message) return `${cause.message}${cause.code ? ` (${cause.code})` : ''}`;
  return (err as Error)?.message ?? String(err);
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(2_000, 100 * 2 ** (attempt - 1));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
