/**
 * The one error catalogue of the project. Every error we raise is a PmaError with a stable
 * machine code (`PMA_ERR_…`) and structured context, so logs, dead-letter headers and tests
 * can match on the code and read the context without parsing messages.
 */

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

export class PmaError extends Error {
  readonly code: string;
  readonly context: ErrorContext;

  constructor(code: string, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.context = context;
    this.name = new.target.name;
  }

  /** A JSON-safe view for structured logs and dead-letter headers. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, context: safeContext(this.context) };
  }
}

function safeContext(context: ErrorContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(context)) {
    out[k] = typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? `<${v.length} bytes>` : v;
  }
  return out;
}

/** A flag, environment variable or config-file value is missing or invalid. CLI exit code 2. */
export class ConfigError extends PmaError {
  constructor(message: string, context: ErrorContext = {}) {
    super('PMA_ERR_CONFIG', message, context);
  }
}

/** A transport operation failed (produce, fetch, commit, admin). */
export class TransportError extends PmaError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('PMA_ERR_TRANSPORT', message, context, options);
  }
}

/** A topic was used that does not exist, or exists with another shape. */
export class TopicError extends PmaError {
  constructor(message: string, context: ErrorContext = {}) {
    super('PMA_ERR_TOPIC', message, context);
  }
}

/** A consumer was used in a way its state does not allow (closed, not subscribed, partition not assigned). */
export class ConsumerStateError extends PmaError {
  constructor(message: string, context: ErrorContext = {}) {
    super('PMA_ERR_CONSUMER_STATE', message, context);
  }
}

/** A value does not match its Avro schema; `context.field` is the dotted path, `context.value` the offending value. */
export class SchemaValidationError extends PmaError {
  constructor(message: string, context: ErrorContext = {}) {
    super('PMA_ERR_SCHEMA_VALIDATION', message, context);
  }
}

/** A schema change was refused by the compatibility rules of its subject. */
export class SchemaCompatibilityError extends PmaError {
  constructor(message: string, context: ErrorContext = {}) {
    super('PMA_ERR_SCHEMA_COMPATIBILITY', message, context);
  }
}

/** The registry has no such subject, version or schema id. */
export class SchemaNotFoundError extends PmaError {
  constructor(message: string, context: ErrorContext = {}) {
    super('PMA_ERR_SCHEMA_NOT_FOUND', message, context);
  }
}

/** A schema registry request failed (network, HTTP status, malformed body). */
export class RegistryError extends PmaError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('PMA_ERR_REGISTRY', message, context, options);
  }
}

/** A message could not be decoded: bad magic byte, unknown schema id, or undecodable body. */
export type DecodeFailure = 'bad-magic-byte' | 'unknown-schema-id' | 'undecodable-body' | 'truncated';

export class DecodeError extends PmaError {
  readonly reason: DecodeFailure;

  constructor(reason: DecodeFailure, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('PMA_ERR_DECODE', message, context, options);
    this.reason = reason;
  }
}

/** An HTTP request to an upstream API failed after its retries, or answered with something unusable. */
export class HttpError extends PmaError {
  constructor(message: string, context: ErrorContext & { status?: number } = {}, options?: { cause?: unknown }) {
    super('PMA_ERR_HTTP', message, context, options);
  }
}

/** An upstream API body did not have the shape its endpoint promises. */
export class ResponseShapeError extends PmaError {
  constructor(message: string, context: ErrorContext = {}) {
    super('PMA_ERR_RESPONSE_SHAPE', message, context);
  }
}

/** A record could not be normalised by a processor. */
export class NormaliseError extends PmaError {
  constructor(message: string, context: ErrorContext = {}) {
    super('PMA_ERR_NORMALISE', message, context);
  }
}

/** A sink could not write or recover its output. */
export class SinkError extends PmaError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('PMA_ERR_SINK', message, context, options);
  }
}

/**
 * A language-model call failed. `reason` says what to do about it: `unavailable` (server not
 * answering: wait for it), `timeout` and `http-status` (retry a bounded number of times),
 * `model-not-found`, `bad-response` (not the API's shape) and `invalid-answer` (the model's
 * content broke the output schema: retry, then record as an error vote, never trust it).
 */
export type LlmFailure = 'unavailable' | 'timeout' | 'http-status' | 'model-not-found' | 'bad-response' | 'invalid-answer';

export class LlmError extends PmaError {
  readonly reason: LlmFailure;

  constructor(reason: LlmFailure, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('PMA_ERR_LLM', message, context, options);
    this.reason = reason;
  }
}

/** A query against Silver or Gold was refused (not read-only, unparsable) or failed; `context.sql` holds it. */
export class QueryError extends PmaError {
  constructor(message: string, context: ErrorContext = {}) {
    super('PMA_ERR_QUERY', message, context);
  }
}

/** An operation was aborted through its AbortSignal (shutdown, timeout). */
export class AbortedError extends PmaError {
  constructor(message = 'operation aborted', context: ErrorContext = {}) {
    super('PMA_ERR_ABORTED', message, context);
  }
}

/** Renders any thrown value as one line for logs and dead-letter headers. */
export function describeError(err: unknown): string {
  if (err instanceof PmaError) {
    const ctx = Object.entries(err.context)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return ctx ? `${err.code}: ${err.message} (${ctx})` : `${err.code}: ${err.message}`;
  }
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
