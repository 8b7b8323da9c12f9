/**
 * Maps API objects to raw Avro records and back, driven by the raw .avsc files themselves, so a
 * schema and its mapping cannot drift apart:
 * - a key the schema names is type-checked against the field (a wrong JSON type is refused with
 *   a SchemaValidationError naming the field and the value) and stored as is;
 * - a field with the attribute `"pma.json": "array" | "object" | "any"` holds the JSON text of a
 *   nested value (the value's JSON type is checked first);
 * - a field with `"pma.context": true` is not from the API object but from the request that
 *   fetched it (token id, window, board); an API key of the same name goes to `extra`;
 * - every other key goes to the `extra` map as its JSON text, so nothing the API sends is lost;
 * - a key that is absent or JSON null becomes null (raw schemas make such fields nullable).
 * `fromRaw` turns a record back into the API's JSON: named fields, nested JSON parsed back, and
 * the `extra` keys; null fields are omitted (the API omits empty keys), unless asked to keep them.
 */
import { SchemaValidationError } from '../../runtime/errors.ts';
import type { AvroSchemaJson } from '../index.ts';

type JsonShape = 'array' | 'object' | 'any';

type Kind =
  | { kind: 'string' | 'boolean' | 'double' | 'float' | 'long' | 'int' }
  | { kind: 'json'; shape: JsonShape }
  | { kind: 'enum'; symbols: ReadonlySet<string> }
  | { kind: 'array'; items: Kind }
  | { kind: 'map'; values: Kind }
  | { kind: 'record'; mapper: RecordMapper };

interface Field {
  name: string;
  kind: Kind;
  nullable: boolean;
  context: boolean;
  /** Value used when the key is absent; undefined when the field is required. */
  fallback: unknown;
}

const EXTRA = 'extra';
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** A compiled mapping for one record schema (and, through it, its nested record types). */
export class RecordMapper {
  readonly name: string;
  #fields: Field[] = [];
  #byName = new Map<string, Field>();
  #hasExtra = false;

  constructor(name: string) {
    this.name = name;
  }

  /** @internal Used while compiling; a record's fields are set once its nested types exist. */
  setFields(fields: Field[], hasExtra: boolean): void {
    this.#fields = fields;
    this.#hasExtra = hasExtra;
    for (const f of fields) this.#byName.set(f.name, f);
  }

  /** Names of the fields filled from the request context rather than the API object. */
  contextFields(): string[] {
    return this.#fields.filter((f) => f.context).map((f) => f.name);
  }

  /**
   * Maps one API object to a record of this schema. `context` fills the fields marked
   * `pma.context`; `path` prefixes field names in error messages.
   */
  toRaw(apiObject: unknown, context: Record<string, unknown> = {}, path = ''): Record<string, unknown> {
    if (!isPlainObject(apiObject)) {
      throw invalid(path || this.name, apiObject, `expected a JSON object for ${this.name}`, this.name);
    }
    const out: Record<string, unknown> = {};
    let named = 0;
    for (const field of this.#fields) {
      const name = field.name;
      if (field.context) {
        const value = context[name];
        out[name] = value === undefined ? missing(field, join(path, name), this.name) : convert(field, value, join(path, name), this.name);
        continue;
      }
      const value = Object.hasOwn(apiObject, name) ? apiObject[name] : undefined;
      if (value === undefined) {
        out[name] = missing(field, join(path, name), this.name);
      } else {
        out[name] = convert(field, value, join(path, name), this.name);
        named++;
      }
    }
    // Most objects carry only named fields: count the defined keys, and walk them only when some are not.
    let defined = 0;
    for (const key in apiObject) if (apiObject[key] !== undefined) defined++;
    const extra: Record<string, string> = {};
    if (defined > named) {
      for (const key of Object.keys(apiObject)) {
        const value = apiObject[key];
        if (value === undefined) continue;
        const field = this.#byName.get(key);
        if (field && !field.context) continue;
        if (!this.#hasExtra) throw invalid(join(path, key), value, 'is not a field of this schema', this.name);
        setOwn(extra, key, JSON.stringify(value));
      }
    }
    if (this.#hasExtra) out[EXTRA] = extra;
    return out;
  }

  /** The API JSON of a record of this schema (context fields left out). */
  fromRaw(record: Record<string, unknown>, options: { keepNulls?: boolean } = {}): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of this.#fields) {
      if (field.context || field.name === EXTRA) continue;
      const value = record[field.name];
      if (value === null || value === undefined) {
        if (options.keepNulls) out[field.name] = null;
        continue;
      }
      out[field.name] = back(field.kind, value, field.name, options);
    }
    if (this.#hasExtra) {
      const extra = (record[EXTRA] ?? {}) as Record<string, string>;
      for (const [key, text] of Object.entries(extra)) setOwn(out, key, parseJsonText(text, `${EXTRA}.${key}`, this.name));
    }
    return out;
  }
}

/** Compiles the mapping of a raw record schema. Throws SchemaValidationError for shapes it does not map. */
export function compileRecordMapper(schema: AvroSchemaJson): RecordMapper {
  return compileRecord(schema, new Map(), typeof schema.namespace === 'string' ? schema.namespace : '');
}

function compileRecord(schema: AvroSchemaJson, named: Map<string, RecordMapper>, namespace: string): RecordMapper {
  if (schema.type !== 'record' || typeof schema.name !== 'string' || !Array.isArray(schema.fields)) {
    throw new SchemaValidationError('raw mapping needs a record schema with a name and fields', { value: schema.name });
  }
  const ns = typeof schema.namespace === 'string' ? schema.namespace : namespace;
  const mapper = new RecordMapper(schema.name);
  named.set(schema.name, mapper);
  if (ns) named.set(`${ns}.${schema.name}`, mapper);
  const fields: Field[] = [];
  let hasExtra = false;
  for (const raw of schema.fields as AvroSchemaJson[]) {
    const name = String(raw.name);
    if (name === EXTRA) {
      hasExtra = true;
      continue;
    }
    const { kind, nullable } = compileFieldType(raw.type, raw, named, ns);
    const hasDefault = Object.hasOwn(raw, 'default');
    fields.push({
      name,
      kind,
      nullable,
      context: raw['pma.context'] === true,
      fallback: hasDefault ? raw.default : nullable ? null : undefined,
    });
  }
  mapper.setFields(fields, hasExtra);
  return mapper;
}

function compileFieldType(type: unknown, field: AvroSchemaJson, named: Map<string, RecordMapper>, ns: string): { kind: Kind; nullable: boolean } {
  if (Array.isArray(type)) {
    const branches = type.filter((t) => t !== 'null');
    if (branches.length !== 1 || branches.length === type.length) {
      throw new SchemaValidationError(`field ${String(field.name)}: raw mapping supports only ["null", T] unions`, { field: String(field.name) });
    }
    return { kind: compileFieldType(branches[0], field, named, ns).kind, nullable: true };
  }
  const shape = field['pma.json'];
  if (shape !== undefined) {
    if (type !== 'string' || (shape !== 'array' && shape !== 'object' && shape !== 'any')) {
      throw new SchemaValidationError(`field ${String(field.name)}: pma.json must be "array", "object" or "any" on a string`, { field: String(field.name) });
    }
    return { kind: { kind: 'json', shape }, nullable: false };
  }
  return { kind: compileType(type, named, ns), nullable: false };
}

function compileType(type: unknown, named: Map<string, RecordMapper>, ns: string): Kind {
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
      case 'boolean':
      case 'double':
      case 'float':
      case 'long':
      case 'int':
        return { kind: type };
      default: {
        const mapper = named.get(type) ?? named.get(`${ns}.${type}`);
        if (!mapper) throw new SchemaValidationError(`raw mapping does not support type "${type}"`, { value: type });
        return { kind: 'record', mapper };
      }
    }
  }
  if (isPlainObject(type)) {
    if (type.type === 'array') return { kind: 'array', items: compileType(type.items, named, ns) };
    if (type.type === 'map') return { kind: 'map', values: compileType(type.values, named, ns) };
    if (type.type === 'record') return { kind: 'record', mapper: compileRecord(type, named, ns) };
    if (type.type === 'enum' && Array.isArray(type.symbols)) return { kind: 'enum', symbols: new Set(type.symbols.map(String)) };
    if (typeof type.type === 'string' && !type.logicalType) return compileType(type.type, named, ns);
  }
  throw new SchemaValidationError(`raw mapping does not support type ${JSON.stringify(type)}`, { value: type });
}

function missing(field: Field, path: string, record: string): unknown {
  if (field.fallback === undefined) throw invalid(path, undefined, 'is required but missing', record);
  return copyOf(field.fallback);
}

/** A schema default for one record: objects are copied so records never share them; scalars (the usual null) are not. */
function copyOf(fallback: unknown): unknown {
  return fallback !== null && typeof fallback === 'object' ? structuredClone(fallback) : fallback;
}

function convert(field: Field, value: unknown, path: string, record: string): unknown {
  if (value === null || value === undefined) {
    if (field.nullable) return null;
    if (field.fallback !== undefined && value === undefined) return copyOf(field.fallback);
    throw invalid(path, value, 'is required but null', record);
  }
  return convertKind(field.kind, value, path, record);
}

function convertKind(kind: Kind, value: unknown, path: string, record: string): unknown {
  switch (kind.kind) {
    case 'string':
      if (typeof value === 'string') return value;
      throw invalid(path, value, 'expected a string', record);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      throw invalid(path, value, 'expected a boolean', record);
    case 'double':
    case 'float':
      if (typeof value === 'number') return value;
      throw invalid(path, value, 'expected a number', record);
    case 'long':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      throw invalid(path, value, 'expected an integer', record);
    case 'int':
      if (typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) return value;
      throw invalid(path, value, 'expected a 32-bit integer', record);
    case 'enum':
      if (typeof value === 'string' && kind.symbols.has(value)) return value;
      throw invalid(path, value, `expected one of ${[...kind.symbols].join(', ')}`, record);
    case 'json':
      if (kind.shape === 'array' && !Array.isArray(value)) throw invalid(path, value, 'expected a JSON array', record);
      if (kind.shape === 'object' && !isPlainObject(value)) throw invalid(path, value, 'expected a JSON object', record);
      return JSON.stringify(value);
    case 'array':
      if (!Array.isArray(value)) throw invalid(path, value, 'expected an array', record);
      return value.map((v, i) => {
        if (v === null || v === undefined) throw invalid(`${path}[${i}]`, v, 'array items cannot be null', record);
        return convertKind(kind.items, v, `${path}[${i}]`, record);
      });
    case 'map': {
      if (!isPlainObject(value)) throw invalid(path, value, 'expected a JSON object', record);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) setOwn(out, k, convertKind(kind.values, v, `${path}.${k}`, record));
      return out;
    }
    case 'record':
      return kind.mapper.toRaw(value, {}, path);
  }
}

function back(kind: Kind, value: unknown, path: string, options: { keepNulls?: boolean }): unknown {
  switch (kind.kind) {
    case 'json':
      return parseJsonText(value as string, path, '');
    case 'array':
      return (value as unknown[]).map((v) => back(kind.items, v, path, options));
    case 'map':
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, back(kind.values, v, path, options)]));
    case 'record':
      return kind.mapper.fromRaw(value as Record<string, unknown>, options);
    default:
      return value;
  }
}

function parseJsonText(text: string, path: string, record: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(path, text, 'holds text that is not JSON', record);
  }
}

function invalid(path: string, value: unknown, why: string, record: string): SchemaValidationError {
  return new SchemaValidationError(`field \`${path}\` ${why}, got ${describeValue(value)}`, {
    field: path,
    value: shortValue(value),
    ...(record ? { schema: record } : {}),
  });
}

/** The value as a short JSON snippet with its JSON type, for messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  const text = JSON.stringify(value) ?? String(value);
  return `${type} ${text.length > 80 ? `${text.slice(0, 77)}...` : text}`;
}

function shortValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : value;
}

/** Sets an own property even for the key "__proto__", which JSON.parse can produce from hostile input. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
