/**
 * The closed catalogue: every code with its class, what it means and when trying again helps.
 * README's error table is checked against it, and rebuildError uses it to give an error that
 * crossed a thread or HTTP its class back.
 */
import type { PmaError, PmaErrorCode, SerializedError } from './base.ts';
import {
  AbortedError,
  BenchError,
  ConfigError,
  ConsumerStateError,
  DecodeError,
  HttpError,
  LlmError,
  NormaliseError,
  QueryError,
  RegistryError,
  ResponseShapeError,
  SchemaCompatibilityError,
  SchemaNotFoundError,
  SchemaValidationError,
  SinkError,
  StaleTopicError,
  TaggerInputError,
  TopicError,
  TransportError,
} from './classes.ts';

export interface CatalogueEntry {
  readonly class: abstract new (...args: never[]) => PmaError;
  /** One line, as README shows it. */
  readonly meaning: string;
  /** When trying again helps, where that is a question callers face. */
  readonly retry?: string;
}

export const ERROR_CATALOGUE = {
  PMA_ERR_CONFIG: { class: ConfigError, meaning: 'A flag, environment variable or config-file value is missing or invalid (CLI exit code 2).' },
  PMA_ERR_TRANSPORT: { class: TransportError, meaning: 'A transport operation failed: produce, fetch, commit, admin.' },
  PMA_ERR_TOPIC: { class: TopicError, meaning: 'A topic does not exist, or exists with another shape.' },
  PMA_ERR_STALE_TOPIC: {
    class: StaleTopicError,
    meaning: 'An embedded-log topic was deleted (maybe created again) under a producer.',
    retry: 'once, by the producer, after re-reading the topics',
  },
  PMA_ERR_CONSUMER_STATE: { class: ConsumerStateError, meaning: 'A consumer was used in a state that does not allow it (closed, not subscribed, partition not assigned).' },
  PMA_ERR_SCHEMA_VALIDATION: {
    class: SchemaValidationError,
    meaning: 'A value does not match its Avro schema, or a schema, subject, version or level is invalid.',
  },
  PMA_ERR_SCHEMA_COMPATIBILITY: { class: SchemaCompatibilityError, meaning: 'A schema change was refused by the compatibility rules of its subject.' },
  PMA_ERR_SCHEMA_NOT_FOUND: { class: SchemaNotFoundError, meaning: 'The registry has no such subject, version or schema id.' },
  PMA_ERR_REGISTRY: { class: RegistryError, meaning: 'A schema registry request failed: network, HTTP status, malformed answer.', retry: '5xx and network failures, within the request' },
  PMA_ERR_DECODE: { class: DecodeError, meaning: 'A message could not be decoded (`reason`: bad magic byte, unknown schema id, undecodable, truncated).' },
  PMA_ERR_HTTP: {
    class: HttpError,
    meaning: 'An upstream API request failed, or was refused (`status`).',
    retry: 'when `retryable` (429, 5xx, timeouts, resets); `exhausted` once the tries are used up',
  },
  PMA_ERR_RESPONSE_SHAPE: {
    class: ResponseShapeError,
    meaning: 'An upstream API body is not JSON or not the shape its endpoint promises (`reason`).',
    retry: 'yes: the body is dead-lettered and the request tried again',
  },
  PMA_ERR_NORMALISE: { class: NormaliseError, meaning: 'A processor could not normalise a record (it is dead-lettered).' },
  PMA_ERR_SINK: { class: SinkError, meaning: 'A sink could not write or recover its output, or cannot map a schema to it.' },
  PMA_ERR_LLM: {
    class: LlmError,
    meaning: 'A language-model call failed (`reason`, `status`).',
    retry: 'by `reason`: `timeout`, `bad-response`, `invalid-answer`, `http-status` 429/5xx; wait out `unavailable`',
  },
  PMA_ERR_QUERY: { class: QueryError, meaning: 'A query against Silver or Gold was refused (not read-only, unparsable) or failed.' },
  PMA_ERR_ABORTED: { class: AbortedError, meaning: 'An operation was aborted through its AbortSignal (shutdown, timeout).', retry: 'no: it was asked to stop' },
  PMA_ERR_BENCH: { class: BenchError, meaning: 'A benchmark could not measure what it set out to.' },
  PMA_ERR_TAGGER_INPUT: { class: TaggerInputError, meaning: 'A tagger request the user can fix; the page answers with its `status`.' },
} as const satisfies { readonly [C in PmaErrorCode]: CatalogueEntry };

export function isErrorCode(code: unknown): code is PmaErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOGUE, code);
}

/** Keys a SerializedError carries for every error; the rest of a catalogue error's keys are its typed fields. */
const ENVELOPE = new Set(['name', 'code', 'message', 'context', 'cause', 'stack']);

/**
 * The error a SerializedError describes, as its catalogue class (a foreign error as a plain Error
 * keeping its name and code), with context, typed fields and cause chain. The stack is the
 * remote one followed by where it was rebuilt, so both sides show.
 */
export function rebuildError(json: unknown): Error {
  return rebuild(json, 0);
}

// Mirrors the bound serializeError puts on the chain, against a hostile body.
const MAX_CAUSE_DEPTH = 16;

function rebuild(json: unknown, depth: number): Error {
  if (typeof json !== 'object' || json === null) return new Error(String(json));
  const j = json as Partial<SerializedError>;
  const message = typeof j.message === 'string' ? j.message : String(j.message);
  const options = j.cause !== undefined && depth < MAX_CAUSE_DEPTH ? { cause: rebuild(j.cause, depth + 1) } : undefined;
  let err: Error;
  if (isErrorCode(j.code)) {
    // Built without running the class's constructor: the fields come from the JSON, not from
    // constructor arguments, and the constructors' shapes differ.
    err = Reflect.construct(Error, [message, options], ERROR_CATALOGUE[j.code].class) as Error;
    const context = typeof j.context === 'object' && j.context !== null ? j.context : {};
    const fields = Object.entries(j).filter(([k]) => !ENVELOPE.has(k));
    // Defined, not assigned: a key such as `__proto__` in a body becomes a plain field.
    for (const [k, v] of [['code', j.code], ['context', context], ['name', ERROR_CATALOGUE[j.code].class.name], ...fields] as const) {
      Object.defineProperty(err, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  } else {
    err = new Error(message, options);
    if (typeof j.name === 'string') err.name = j.name;
    if (typeof j.code === 'string') Object.assign(err, { code: j.code });
  }
  if (typeof j.stack === 'string') {
    // The frames from the caller of rebuildError on: where the error re-entered this side.
    Error.captureStackTrace(err, rebuildError);
    err.stack = `${j.stack}\n    --- rebuilt ---\n${(err.stack ?? '').split('\n').slice(1).join('\n')}`;
  }
  return err;
}
