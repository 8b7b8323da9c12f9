/**
 * The base of the error catalogue: every error we raise is a PmaError with a stable machine code
 * (`PMA_ERR_…`), structured context and, where callers branch on something, typed fields. Logs,
 * dead-letter headers and tests match on the code and read fields without parsing messages.
 */
import { redactSetting } from '../secrets.ts';

/** Every code of the catalogue; catalogue.ts maps each to its one class. */
export type PmaErrorCode =
  | 'PMA_ERR_CONFIG'
  | 'PMA_ERR_TRANSPORT'
  | 'PMA_ERR_TOPIC'
  | 'PMA_ERR_STALE_TOPIC'
  | 'PMA_ERR_CONSUMER_STATE'
  | 'PMA_ERR_SCHEMA_VALIDATION'
  | 'PMA_ERR_SCHEMA_COMPATIBILITY'
  | 'PMA_ERR_SCHEMA_NOT_FOUND'
  | 'PMA_ERR_REGISTRY'
  | 'PMA_ERR_DECODE'
  | 'PMA_ERR_HTTP'
  | 'PMA_ERR_RESPONSE_SHAPE'
  | 'PMA_ERR_NORMALISE'
  | 'PMA_ERR_SINK'
  | 'PMA_ERR_LLM'
  | 'PMA_ERR_QUERY'
  | 'PMA_ERR_ABORTED'
  | 'PMA_ERR_BENCH'
  | 'PMA_ERR_TAGGER_INPUT';

/** Where an error happened. Every field is optional; set what is known. */
export interface ErrorContext {
  topic?: string;
  partition?: number;
  offset?: number;
  endpoint?: string;
  field?: string;
  value?: unknown;
  subject?: string;
  schemaId?: number;
  path?: string;
  flag?: string;
  [key: string]: unknown;
}

/** The last constructor argument of every catalogue class. */
export interface ErrorOptions {
  cause?: unknown;
}

/**
 * An error as plain JSON: what crosses a worker thread or an HTTP answer, and what logs show.
 * Typed fields of the class (HttpError's `status`, DecodeError's `reason`…) sit beside `code`.
 */
export interface SerializedError {
  name: string;
  message: string;
  /** The catalogue code; for a foreign error, its own code (`ENOENT`, `ERR_SQLITE_ERROR`) if it had one. */
  code?: string;
  context?: Record<string, unknown>;
  cause?: SerializedError;
  stack?: string;
  [field: string]: unknown;
}

/** Properties every PmaError has; anything else an instance owns is a typed field of its class. */
const BASE_KEYS = new Set(['name', 'code', 'context']);

export abstract class PmaError extends Error {
  readonly code: PmaErrorCode;
  readonly context: ErrorContext;

  constructor(code: PmaErrorCode, message: string, context: ErrorContext = {}, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.context = context;
    this.name = new.target.name;
  }

  /** The typed fields this class adds (own enumerable properties beyond code, context and name). */
  fields(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) if (!BASE_KEYS.has(k) && v !== undefined) out[k] = jsonSafe(v);
    return out;
  }

  toJSON(): SerializedError {
    return serializeError(this);
  }
}

// A cause chain is short; the bound only stops a cycle or a pathological chain.
const MAX_CAUSE_DEPTH = 16;

/** Any thrown value as JSON, with its cause chain and stack. */
export function serializeError(err: unknown): SerializedError {
  return serialize(err, new Set(), 0);
}

function serialize(err: unknown, seen: Set<unknown>, depth: number): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  seen.add(err);
  const out: SerializedError =
    err instanceof PmaError
      ? { name: err.name, code: err.code, message: err.message, ...err.fields(), context: safeContext(err.context) }
      : { name: err.name, message: err.message, ...foreignCode(err) };
  if (err.stack !== undefined) out.stack = err.stack;
  if (err.cause !== undefined && !seen.has(err.cause) && depth < MAX_CAUSE_DEPTH) out.cause = serialize(err.cause, seen, depth + 1);
  return out;
}

function foreignCode(err: Error): { code?: string } {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {};
}

function safeContext(context: ErrorContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(context)) out[k] = jsonSafe(redactSetting(k, v));
  return out;
}

function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return `<${v.length} bytes>`;
  return v;
}

/** Renders any thrown value as one line for logs and dead-letter headers: code, message, typed fields and context. */
export function describeError(err: unknown): string {
  if (err instanceof PmaError) {
    const ctx = [...Object.entries(err.fields()), ...Object.entries(err.context)]
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, redactSetting(k, v)])
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return ctx ? `${err.code}: ${err.message} (${ctx})` : `${err.code}: ${err.message}`;
  }
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
