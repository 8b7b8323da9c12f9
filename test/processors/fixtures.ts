/**
 * Test helpers: shared API fixtures mapped into raw records the way the raw schemas hold them
 * (named fields as sent, `pma.json` fields as JSON text, every other key as JSON text in `extra`),
 * then round-tripped through the raw Avro type so tests see exactly what a consumer decodes.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, '..', '..', '..', 'shared', 'fixtures', 'polymarket');
const SCHEMAS = join(here, '..', '..', 'schemas');

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
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

interface FieldDef {
  name: string;
  type: unknown;
  'pma.json'?: string;
}

/** Maps one API object onto a raw schema and returns what decoding the encoded record yields. */
export function toRaw(schemaName: string, json: Record<string, unknown>): Record<string, unknown> {
  const schema = schemaJson(schemaName) as unknown as { fields: FieldDef[] };
  const type = avroType(schemaName);
  const value = mapRecord(schema.fields, json, collectNamed(schema));
  return type.fromBuffer(type.toBuffer(value)) as Record<string, unknown>;
}

function collectNamed(schema: unknown, out = new Map<string, FieldDef[]>()): Map<string, FieldDef[]> {
  if (Array.isArray(schema)) for (const s of schema) collectNamed(s, out);
  else if (schema && typeof schema === 'object') {
    const s = schema as { type?: unknown; name?: string; fields?: FieldDef[]; items?: unknown };
    if (s.type === 'record' && s.name && s.fields) {
      out.set(s.name, s.fields);
      for (const f of s.fields) collectNamed(f.type, out);
    }
    if (s.type === 'array') collectNamed(s.items, out);
  }
  return out;
}

function mapRecord(fields: FieldDef[], json: Record<string, unknown>, named: Map<string, FieldDef[]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const extra: Record<string, string> = {};
  const known = new Set(fields.map((f) => f.name));
  for (const f of fields) {
    if (f.name === 'extra') continue;
    const v = json[f.name];
    if (v === undefined || v === null) out[f.name] = null;
    else if (f['pma.json']) out[f.name] = JSON.stringify(v);
    else out[f.name] = mapValue(f.type, v, named);
  }
  for (const [k, v] of Object.entries(json)) if (!known.has(k) || k === 'extra') extra[k] = JSON.stringify(v);
  out.extra = extra;
  return out;
}

function mapValue(type: unknown, v: unknown, named: Map<string, FieldDef[]>): unknown {
  const branch = Array.isArray(type) ? type.find((t) => t !== 'null') : type;
  if (branch && typeof branch === 'object' && (branch as { type?: string }).type === 'array' && Array.isArray(v)) {
    const items = (branch as { items: unknown }).items;
    return v.map((item) => mapValue(items, item, named));
  }
  const recordFields =
    typeof branch === 'string' ? named.get(branch) : (branch as { type?: string; fields?: FieldDef[] })?.type === 'record' ? (branch as { fields: FieldDef[] }).fields : undefined;
  if (recordFields && v && typeof v === 'object') return mapRecord(recordFields, v as Record<string, unknown>, named);
  return v;
}
