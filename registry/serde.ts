/**
 * Avro serde in the Confluent wire format: byte 0 = magic 0, bytes 1-4 = schema id (big-endian),
 * then the Avro binary body. Schemas are registered under `<topic>-value` (TopicNameStrategy).
 *
 * Encoding is synchronous and allocation-light: each codec writes into one scratch buffer that
 * already holds the header and copies out exactly the bytes written. Decoding reads the writer
 * schema by the id in the message (fetched once from the registry, then cached) and resolves it
 * into the codec's reader schema, so data written with an older or newer compatible schema reads
 * fine. `decodeSync` is the fast path once the writer schema is cached.
 */
import type avro from 'avsc';
import { DecodeError, type ErrorContext, SchemaNotFoundError, SchemaValidationError } from '../runtime/errors.ts';
import { type AvroSchemaJson, loadSchema } from '../schemas/index.ts';
import type { TopicDef } from '../schemas/topics.ts';
import { type ParsedSchema, parseSchema } from './avro-schema.ts';
import { describeType, explainUnreadable } from './compatibility.ts';
import type { SchemaRegistry } from './types.ts';

export const MAGIC_BYTE = 0;
export const HEADER_BYTES = 5;
/** A record that encodes to more than this is refused rather than growing the scratch buffer without bound. */
export const MAX_ENCODED_BYTES = 64 * 1024 * 1024;
const INITIAL_SCRATCH_BYTES = 64 * 1024;
/** How long an id the registry does not know stays known-unknown before it is asked again. */
const UNKNOWN_ID_TTL_MS = 10_000;

/** Where a message came from, for error messages and dead-letter headers. */
export interface MessagePosition {
  partition: number;
  offset: number;
}

export interface TopicCodec<T> {
  readonly topic: string;
  /** `<topic>-value`. */
  readonly subject: string;
  /** The id this codec writes with. */
  readonly schemaId: number;
  /** The reader (and writer) schema of this codec. */
  readonly type: avro.Type;
  /** Encodes a value; throws SchemaValidationError naming the topic, field path and value if it does not match. */
  encode(value: T): Buffer;
  /** Decodes a message written with any schema id the registry knows and this schema can read. Throws DecodeError. */
  decode(buf: Buffer, where?: MessagePosition): Promise<T>;
  /**
   * Decodes a message whose writer schema is already cached (always true for messages this codec
   * wrote, or after one `decode` of that id). Throws DecodeError, or SchemaNotFoundError with
   * `context.cached === false` when the writer schema was never loaded.
   */
  decodeSync(buf: Buffer, where?: MessagePosition): T;
  /** Whether `decodeSync` can decode messages written with this schema id. */
  hasWriter(schemaId: number): boolean;
  /** Fetches and caches the writer schema of an id. Throws DecodeError('unknown-schema-id') or RegistryError. */
  loadWriter(schemaId: number, where?: MessagePosition): Promise<void>;
}

/** The schema id of a wire-format message. Throws DecodeError for a short message or a bad magic byte. */
export function readSchemaId(buf: Buffer, context: ErrorContext = {}): number {
  if (buf.length < HEADER_BYTES) {
    throw new DecodeError('truncated', `message of ${buf.length} bytes is shorter than the ${HEADER_BYTES}-byte wire header`, context);
  }
  if (buf[0] !== MAGIC_BYTE) {
    throw new DecodeError('bad-magic-byte', `message starts with byte ${buf[0]}, not the magic byte ${MAGIC_BYTE}`, context);
  }
  return buf.readInt32BE(1);
}

export class Serde {
  readonly #registry: SchemaRegistry;
  readonly #writers = new Map<number, Promise<ParsedSchema>>();
  readonly #unknownIds = new Map<number, number>();
  readonly #codecs = new Map<string, Promise<TopicCodec<unknown>>>();

  constructor(registry: SchemaRegistry) {
    this.#registry = registry;
  }

  /** Registers `schema` under `<topic>-value` (once per topic and schema) and returns its codec. */
  codec<T>(topic: string, schema: AvroSchemaJson | string): Promise<TopicCodec<T>> {
    const parsed = parseSchema(schema);
    const key = `${topic}\u0000${parsed.canonical}`;
    let codec = this.#codecs.get(key);
    if (!codec) {
      codec = this.#createCodec(topic, parsed);
      this.#codecs.set(key, codec);
      codec.catch(() => this.#codecs.delete(key));
    }
    return codec as Promise<TopicCodec<T>>;
  }

  /** The codec of a catalogue topic, with its schema from schemas/. */
  codecFor<T>(topic: Pick<TopicDef, 'name' | 'schema'>): Promise<TopicCodec<T>> {
    if (topic.schema === null) throw new SchemaNotFoundError(`topic ${topic.name} has no value schema`, { topic: topic.name });
    return this.codec<T>(topic.name, loadSchema(topic.schema));
  }

  /** The writer schema of an id, fetched once. Throws DecodeError('unknown-schema-id') when the registry does not know it. */
  async writerSchema(schemaId: number, context: ErrorContext): Promise<ParsedSchema> {
    const unknownSince = this.#unknownIds.get(schemaId);
    if (unknownSince !== undefined && Date.now() - unknownSince < UNKNOWN_ID_TTL_MS) throw unknownId(schemaId, context);
    let pending = this.#writers.get(schemaId);
    if (!pending) {
      pending = this.#registry.getSchemaById(schemaId).then(parseSchema);
      this.#writers.set(schemaId, pending);
      pending.catch(() => this.#writers.delete(schemaId));
    }
    try {
      return await pending;
    } catch (err) {
      if (err instanceof SchemaNotFoundError) {
        this.#unknownIds.set(schemaId, Date.now());
        throw unknownId(schemaId, context, err);
      }
      throw err;
    }
  }

  async #createCodec(topic: string, parsed: ParsedSchema): Promise<TopicCodec<unknown>> {
    const subject = `${topic}-value`;
    const schemaId = await this.#registry.register(subject, parsed.text);
    return new AvroTopicCodec(this, topic, subject, schemaId, parsed);
  }
}

interface WriterReader {
  resolver: avro.Resolver | undefined;
  /** Set when the writer schema cannot be read as this codec's schema. */
  error?: DecodeError;
}

class AvroTopicCodec<T> implements TopicCodec<T> {
  readonly topic: string;
  readonly subject: string;
  readonly schemaId: number;
  readonly type: avro.Type;
  readonly #serde: Serde;
  readonly #canonical: string;
  readonly #readers = new Map<number, WriterReader>();
  #scratch: Buffer;
  #lastId: number;
  #lastReader: WriterReader;

  constructor(serde: Serde, topic: string, subject: string, schemaId: number, parsed: ParsedSchema) {
    this.#serde = serde;
    this.topic = topic;
    this.subject = subject;
    this.schemaId = schemaId;
    this.type = parsed.type;
    this.#canonical = parsed.canonical;
    this.#lastId = schemaId;
    this.#lastReader = { resolver: undefined };
    this.#readers.set(schemaId, this.#lastReader);
    this.#scratch = this.#newScratch(INITIAL_SCRATCH_BYTES);
  }

  encode(value: T): Buffer {
    let end: number;
    try {
      end = this.type.encode(value, this.#scratch, HEADER_BYTES);
      while (end < 0) {
        const needed = this.#scratch.length - end;
        if (needed > MAX_ENCODED_BYTES) {
          throw new SchemaValidationError(`topic ${this.topic}: record encodes to more than ${MAX_ENCODED_BYTES} bytes`, { topic: this.topic, bytes: needed });
        }
        this.#scratch = this.#newScratch(Math.max(needed, this.#scratch.length * 2));
        end = this.type.encode(value, this.#scratch, HEADER_BYTES);
      }
    } catch (err) {
      if (err instanceof SchemaValidationError) throw err;
      throw this.#invalid(value, err);
    }
    const out = Buffer.allocUnsafe(end);
    this.#scratch.copy(out, 0, 0, end);
    return out;
  }

  decodeSync(buf: Buffer, where?: MessagePosition): T {
    // The header is checked inline: the error context is only built when something is wrong.
    const id = buf.length >= HEADER_BYTES && buf[0] === MAGIC_BYTE ? buf.readInt32BE(1) : readSchemaId(buf, this.#context(where));
    let reader: WriterReader | undefined;
    if (id === this.#lastId) {
      reader = this.#lastReader;
    } else {
      reader = this.#readers.get(id);
      if (!reader) {
        throw new SchemaNotFoundError(`writer schema id ${id} is not cached yet: decode() fetches it`, { ...this.#context(where), schemaId: id, cached: false });
      }
      this.#lastId = id;
      this.#lastReader = reader;
    }
    if (reader.error) throw reader.error;
    let result: { value: unknown; offset: number };
    try {
      result = this.type.decode(buf, HEADER_BYTES, reader.resolver);
    } catch (err) {
      throw new DecodeError('undecodable-body', `body does not decode with schema id ${id}: ${(err as Error).message}`, { ...this.#context(where), schemaId: id }, { cause: err });
    }
    if (result.offset < 0) {
      throw new DecodeError('truncated', `body ends before the record does (schema id ${id}, ${buf.length} bytes)`, { ...this.#context(where), schemaId: id });
    }
    if (result.offset !== buf.length) {
      throw new DecodeError('undecodable-body', `${buf.length - result.offset} bytes left over after the record (schema id ${id})`, {
        ...this.#context(where),
        schemaId: id,
      });
    }
    return result.value as T;
  }

  async decode(buf: Buffer, where?: MessagePosition): Promise<T> {
    if (buf.length >= HEADER_BYTES && buf[0] === MAGIC_BYTE) {
      const id = buf.readInt32BE(1);
      if (!this.#readers.has(id)) await this.loadWriter(id, where);
    }
    return this.decodeSync(buf, where);
  }

  hasWriter(schemaId: number): boolean {
    return this.#readers.has(schemaId);
  }

  async loadWriter(schemaId: number, where?: MessagePosition): Promise<void> {
    if (this.#readers.has(schemaId)) return;
    const context = { ...this.#context(where), schemaId };
    const writer = await this.#serde.writerSchema(schemaId, context);
    if (writer.canonical === this.#canonical) {
      this.#readers.set(schemaId, { resolver: undefined });
      return;
    }
    try {
      this.#readers.set(schemaId, { resolver: this.type.createResolver(writer.type) });
    } catch {
      const why = explainUnreadable(this.type, writer.type, 'new-reads-old') ?? 'incompatible';
      this.#readers.set(schemaId, {
        resolver: undefined,
        error: new DecodeError('undecodable-body', `schema id ${schemaId} cannot be read as ${this.subject} (id ${this.schemaId}): ${why}`, context),
      });
    }
  }

  #newScratch(size: number): Buffer {
    const buf = Buffer.allocUnsafe(size);
    buf[0] = MAGIC_BYTE;
    buf.writeInt32BE(this.schemaId, 1);
    return buf;
  }

  #context(where?: MessagePosition): ErrorContext {
    return where ? { topic: this.topic, partition: where.partition, offset: where.offset } : { topic: this.topic };
  }

  #invalid(value: unknown, cause: unknown): SchemaValidationError {
    let found: { path: string; value: unknown; type: string } | undefined;
    this.type.isValid(value, {
      errorHook: (path: string[], v: unknown, type: avro.Type) => {
        found ??= { path: path.join('.'), value: v, type: describeType(type) };
      },
    });
    if (!found) {
      return new SchemaValidationError(`topic ${this.topic}: value does not encode with ${this.subject}: ${(cause as Error).message}`, { topic: this.topic });
    }
    const shown = found.value === undefined ? 'nothing' : (JSON.stringify(found.value) ?? String(found.value));
    return new SchemaValidationError(`topic ${this.topic}: field \`${found.path || '(record)'}\` does not match ${found.type}: got ${shown.length > 120 ? `${shown.slice(0, 117)}...` : shown}`, {
      topic: this.topic,
      field: found.path,
      value: found.value,
    });
  }
}

function unknownId(schemaId: number, context: ErrorContext, cause?: unknown): DecodeError {
  return new DecodeError('unknown-schema-id', `schema id ${schemaId} is not in the registry`, { ...context, schemaId }, { cause });
}
