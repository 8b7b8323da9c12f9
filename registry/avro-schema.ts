/**
 * One Avro schema as the registry handles it: validated by avsc, stored as compact JSON, and
 * deduplicated by a canonical form (object keys sorted, no whitespace) so the same schema
 * written with other spacing or key order gets the same global id.
 */
import avro from 'avsc';
import { SchemaValidationError } from '../runtime/errors.ts';

export interface ParsedSchema {
  /** The schema as stored and served: compact JSON, keys in the order given. */
  text: string;
  /** Equal for schemas that differ only in whitespace or object key order. */
  canonical: string;
  type: avro.Type;
}

/** Parses and validates an Avro schema given as JSON text (or as JSON). Throws SchemaValidationError. */
export function parseSchema(schema: string | object): ParsedSchema {
  let json: unknown;
  if (typeof schema === 'string') {
    try {
      json = JSON.parse(schema);
    } catch (err) {
      throw new SchemaValidationError(`invalid Avro schema: not JSON (${(err as Error).message})`, { value: preview(schema) });
    }
  } else {
    json = schema;
  }
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(json as avro.Schema);
  } catch (err) {
    throw new SchemaValidationError(`invalid Avro schema: ${(err as Error).message}`, { value: preview(JSON.stringify(json)) });
  }
  return { text: JSON.stringify(json), canonical: canonicalJson(json), type };
}

/** JSON with object keys sorted at every level; arrays keep their order (field order matters). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function preview(text: string): string {
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
