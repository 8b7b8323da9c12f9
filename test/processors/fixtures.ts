/**
 * Test helpers: the captured API samples mapped into raw records by the raw mapping producers use,
 * then round-tripped through the raw Avro type so tests see exactly what a consumer decodes.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { type RawSchemaName, rawMapper } from '../../schemas/raw/index.ts';
// The simulator's copies are the one set of samples the repository carries, so a clone runs alone.
import { FIXTURE_DIR } from '../../simulator/world/fixtures.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SCHEMAS = join(here, '..', '..', 'schemas');

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, name), 'utf8')) as T;
}

const schemas = new Map<string, avro.Schema>();
const types = new Map<string, avro.Type>();

export function schemaJson(name: string): avro.Schema {
  let s = schemas.get(name);
  if (!s) {
    s = JSON.parse(readFileSync(join(SCHEMAS, `${name}.avsc`), 'utf8')) as avro.Schema;
    schemas.set(name, s);
  }
  return s;
}

export function avroType(name: string): avro.Type {
  let t = types.get(name);
  if (!t) {
    t = avro.Type.forSchema(schemaJson(name));
    types.set(name, t);
  }
  return t;
}

/**
 * Maps one API object onto a raw schema with the project's raw mapping (keys that the schema
 * marks as request context are passed as context) and returns what decoding the encoded record
 * yields.
 */
export function toRaw(schemaName: string, json: Record<string, unknown>): Record<string, unknown> {
  const mapper = rawMapper(schemaName as RawSchemaName);
  const contextNames = new Set(mapper.contextFields());
  const api: Record<string, unknown> = {};
  const context: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) (contextNames.has(k) ? context : api)[k] = v;
  const type = avroType(schemaName);
  return type.fromBuffer(type.toBuffer(mapper.toRaw(api, context))) as Record<string, unknown>;
}
