/**
 * One class per catalogue code. Every constructor ends with an options object carrying the
 * `cause` and, for the classes with typed fields, those fields: callers branch on the fields,
 * never on context keys, and the fields travel with the error through serializeError.
 */
import { type ErrorContext, type ErrorOptions, PmaError } from './base.ts';

/** A flag, environment variable or config-file value is missing or invalid. CLI exit code 2. */
export class ConfigError extends PmaError {
  constructor(message: string, context: ErrorContext = {}, options?: ErrorOptions) {
    super('PMA_ERR_CONFIG', message, context, options);
  }
}

/** A transport operation failed (produce, fetch, commit, admin). */
export class TransportError extends PmaError {
  constructor(message: string, context: ErrorContext = {}, options?: ErrorOptions) {
    super('PMA_ERR_TRANSPORT', message, context, options);
  }
}

/** A topic was used that does not exist, or exists with another shape. */
export class TopicError extends PmaError {
  constructor(message: string, context: ErrorContext = {}, options?: ErrorOptions) {
    super('PMA_ERR_TOPIC', message, context, options);
  }
}

/**
 * The embedded log's topic id a producer resolved no longer exists (the topic was deleted, maybe
 * created again): the producer re-reads the topics and retries once.
 */
export class StaleTopicError extends PmaError {
  constructor(topicId: number, options?: ErrorOptions) {
    super('PMA_ERR_STALE_TOPIC', `topic id ${topicId} no longer exists`, { topicId }, options);
  }
}

/** A consumer was used in a way its state does not allow (closed, not subscribed, partition not assigned). */
export class ConsumerStateError extends PmaError {
  constructor(message: string, context: ErrorContext = {}, options?: ErrorOptions) {
    super('PMA_ERR_CONSUMER_STATE', message, context, options);
  }
}

/** The options of the errors a schema registry raises. */
export interface RegistryErrorOptions extends ErrorOptions {
  /** Confluent's error code (40401 subject not found, 42201 invalid schema…); the REST server answers with it. */
  errorCode?: number;
}

/** A value does not match its Avro schema, or a schema, subject, version or level is invalid. `context.field` is the dotted path. */
export class SchemaValidationError extends PmaError {
  readonly errorCode?: number;

  constructor(message: string, context: ErrorContext = {}, options: RegistryErrorOptions = {}) {
    super('PMA_ERR_SCHEMA_VALIDATION', message, context, options);
    this.errorCode = options.errorCode;
  }
}

/** A schema change was refused by the compatibility rules of its subject. */
export class SchemaCompatibilityError extends PmaError {
  readonly errorCode?: number;

  constructor(message: string, context: ErrorContext = {}, options: RegistryErrorOptions = {}) {
    super('PMA_ERR_SCHEMA_COMPATIBILITY', message, context, options);
    this.errorCode = options.errorCode;
  }
}

/** The registry has no such subject, version or schema id. */
export class SchemaNotFoundError extends PmaError {
  readonly errorCode?: number;

  constructor(message: string, context: ErrorContext = {}, options: RegistryErrorOptions = {}) {
    super('PMA_ERR_SCHEMA_NOT_FOUND', message, context, options);
    this.errorCode = options.errorCode;
  }
}

/** A schema registry request failed (network, HTTP status, malformed body). */
export class RegistryError extends PmaError {
  readonly errorCode?: number;

  constructor(message: string, context: ErrorContext = {}, options: RegistryErrorOptions = {}) {
    super('PMA_ERR_REGISTRY', message, context, options);
    this.errorCode = options.errorCode;
  }
}

/** Why a message could not be decoded. */
export type DecodeFailure = 'bad-magic-byte' | 'unknown-schema-id' | 'undecodable-body' | 'truncated';

/** A message could not be decoded: bad magic byte, unknown schema id, or undecodable body. */
export class DecodeError extends PmaError {
  readonly reason: DecodeFailure;

  constructor(reason: DecodeFailure, message: string, context: ErrorContext = {}, options?: ErrorOptions) {
    super('PMA_ERR_DECODE', message, context, options);
    this.reason = reason;
  }
}

/** Why a request never got an HTTP answer. */
export type HttpFailure = 'timeout' | 'network';

export interface HttpErrorOptions extends ErrorOptions {
  /** The HTTP status of the answer; absent when none came (network failure, timeout). */
  status?: number;
  /** Whether trying again may help (429, 5xx, timeouts, resets), as opposed to a refusal. */
  retryable: boolean;
  /** The retries were used up: the failure goes to the failures topic, not to the fetcher. */
  exhausted?: boolean;
  reason?: HttpFailure;
}

/** An HTTP request to an upstream API failed after its retries, or answered with something unusable. */
export class HttpError extends PmaError {
  readonly status?: number;
  readonly retryable: boolean;
  readonly exhausted: boolean;
  readonly reason?: HttpFailure;

  constructor(message: string, context: ErrorContext, options: HttpErrorOptions) {
    super('PMA_ERR_HTTP', message, context, options);
    this.status = options.status;
    this.retryable = options.retryable;
    this.exhausted = options.exhausted ?? false;
    this.reason = options.reason;
  }
}

/** Why an upstream body is unusable. */
export type ShapeFailure = 'not-json' | 'bad-shape';

export interface ResponseShapeErrorOptions extends ErrorOptions {
  /** The (successful) HTTP status the body came with: the server did answer. */
  status?: number;
}

/** An upstream API body did not have the shape its endpoint promises; the caller dead-letters it and retries. */
export class ResponseShapeError extends PmaError {
  readonly reason: ShapeFailure;
  readonly status?: number;

  constructor(reason: ShapeFailure, message: string, context: ErrorContext = {}, options: ResponseShapeErrorOptions = {}) {
    super('PMA_ERR_RESPONSE_SHAPE', message, context, options);
    this.reason = reason;
    this.status = options.status;
  }
}

/** A record could not be normalised by a processor. */
export class NormaliseError extends PmaError {
  constructor(message: string, context: ErrorContext = {}, options?: ErrorOptions) {
    super('PMA_ERR_NORMALISE', message, context, options);
  }
}

/** A sink could not write or recover its output, or cannot map a schema to it. */
export class SinkError extends PmaError {
  constructor(message: string, context: ErrorContext = {}, options?: ErrorOptions) {
    super('PMA_ERR_SINK', message, context, options);
  }
}

/**
 * What to do about a failed language-model call: `unavailable` (server not answering: wait for
 * it), `timeout` and `http-status` (retry a bounded number of times), `model-not-found`,
 * `bad-response` (not the API's shape) and `invalid-answer` (the model's content broke the
 * output schema: retry, then record as an error vote, never trust it), `circuit-open` (the model
 * failed too often in a row: no request was sent, the vote fails until a probe succeeds).
 */
export type LlmFailure = 'unavailable' | 'timeout' | 'http-status' | 'model-not-found' | 'bad-response' | 'invalid-answer' | 'circuit-open';

export interface LlmErrorOptions extends ErrorOptions {
  /** The HTTP status the model server answered with, when it answered. */
  status?: number;
}

/** A language-model call failed; `reason` says what to do about it. */
export class LlmError extends PmaError {
  readonly reason: LlmFailure;
  readonly status?: number;

  constructor(reason: LlmFailure, message: string, context: ErrorContext = {}, options: LlmErrorOptions = {}) {
    super('PMA_ERR_LLM', message, context, options);
    this.reason = reason;
    this.status = options.status;
  }
}

/** A query against Silver or Gold was refused (not read-only, unparsable) or failed; `context.sql` holds it. */
export class QueryError extends PmaError {
  constructor(message: string, context: ErrorContext = {}, options?: ErrorOptions) {
    super('PMA_ERR_QUERY', message, context, options);
  }
}

/** An operation was aborted through its AbortSignal (shutdown, timeout). */
export class AbortedError extends PmaError {
  constructor(message = 'operation aborted', context: ErrorContext = {}, options?: ErrorOptions) {
    super('PMA_ERR_ABORTED', message, context, options);
  }
}

/** A benchmark could not measure what it set out to (a server did not start, the run ended early, output was wrong). */
export class BenchError extends PmaError {
  constructor(message: string, context: ErrorContext = {}, options?: ErrorOptions) {
    super('PMA_ERR_BENCH', message, context, options);
  }
}

export interface TaggerInputErrorOptions extends ErrorOptions {
  /** The HTTP status the page answers with. Default 400. */
  status?: 400 | 404 | 409;
}

/** A tagger request the user can fix (bad name, unknown tag, a decision changed meanwhile): shown on the page. */
export class TaggerInputError extends PmaError {
  readonly status: 400 | 404 | 409;

  constructor(message: string, context: ErrorContext = {}, options: TaggerInputErrorOptions = {}) {
    super('PMA_ERR_TAGGER_INPUT', message, context, options);
    this.status = options.status ?? 400;
  }
}
