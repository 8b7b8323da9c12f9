/**
 * Loads the Avro schemas kept beside this module (`schemas/<name>.avsc`) by name or by topic.
 * Parsed schemas are cached and deeply frozen: every caller shares one copy and none can change
 * it under the others (avsc and the registry only read them).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { SchemaNotFoundError, SchemaValidationError, TopicError } from '../runtime/errors.ts';
import type { TopicDef } from './topics.ts';

/** An Avro schema as JSON (what `JSON.parse` of an .avsc gives). */
export type AvroSchemaJson = Readonly<Record<string, unknown>>;

const SCHEMA_DIR = new URL('./', import.meta.url);
const NAME = /^[a-z0-9][a-z0-9-]*$/;
const cache = new Map<string, AvroSchemaJson>();

/** The parsed `schemas/<name>.avsc`. Throws SchemaNotFoundError when there is no such file. */
export function loadSchema(name: string): AvroSchemaJson {
  const hit = cache.get(name);
  if (hit) return hit;
  if (!NAME.test(name)) throw new SchemaNotFoundError(`"${name}" is not a schema name (lower-case letters, digits, dashes)`, { value: name });
  const url = new URL(`${name}.avsc`, SCHEMA_DIR);
  let text: string;
  try {
    text = readFileSync(url, 'utf8');
  } catch {
    throw new SchemaNotFoundError(`no schema named "${name}" in schemas/ (known: ${listSchemas().join(', ')})`, { value: name });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SchemaValidationError(`schemas/${name}.avsc is not valid JSON: ${(err as Error).message}`, { path: url.pathname });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SchemaValidationError(`schemas/${name}.avsc must hold a JSON object`, { path: url.pathname });
  }
  const schema = deepFreeze(parsed as Record<string, unknown>);
  cache.set(name, schema);
  return schema;
}

/** The value schema of a topic from the catalogue. Throws TopicError for topics whose values are opaque bytes. */
export function schemaForTopic(topic: Pick<TopicDef, 'name' | 'schema'>): AvroSchemaJson {
  if (topic.schema === null) throw new TopicError(`topic ${topic.name} has no value schema (its values are opaque bytes)`, { topic: topic.name });
  return loadSchema(topic.schema);
}

/** Names of every .avsc in schemas/, sorted. */
export function listSchemas(): string[] {
  return readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.avsc'))
    .map((f) => f.slice(0, -'.avsc'.length))
    .sort();
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
