/**
 * fast-check arbitraries of clean records, driven by the .avsc files: every field gets values of
 * its Avro type, strings from the whole of Unicode (emoji, accents, empty), longs and timestamps
 * across the range a JS number holds exactly, doubles including the awkward ones.
 */
import fc from 'fast-check';
import type { CleanRecordByTopic, CleanTopicKey } from '../../schemas/clean-records.ts';
import { loadSchema } from '../../schemas/index.ts';
import { TOPICS } from '../../schemas/topics.ts';

type AvroType = string | AvroType[] | { type: string; [k: string]: unknown };

/** Milliseconds between 1990 and 2100: Bronze dates stay four-digit years. */
const MS = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) });

export function cleanRecord<K extends CleanTopicKey>(topic: K): fc.Arbitrary<CleanRecordByTopic[K]> {
  const schema = loadSchema(TOPICS[topic].schema) as unknown as AvroType;
  const named = new Map<string, AvroType>();
  return arbitrary(schema, named, '') as fc.Arbitrary<CleanRecordByTopic[K]>;
}

function arbitrary(type: AvroType, named: Map<string, AvroType>, field: string): fc.Arbitrary<unknown> {
  if (Array.isArray(type)) return fc.oneof(...type.map((t) => arbitrary(t, named, field)));
  if (typeof type === 'string') {
    const ref = named.get(type);
    if (ref) return arbitrary(ref, named, field);
    return primitive(type, undefined);
  }
  switch (type.type) {
    case 'record': {
      named.set(type.name as string, type);
      const fields = type.fields as Array<{ name: string; type: AvroType }>;
      return fc.record(Object.fromEntries(fields.map((f) => [f.name, arbitrary(f.type, named, f.name)])));
    }
    case 'enum':
      named.set(type.name as string, type);
      return fc.constantFrom(...(type.symbols as string[]));
    case 'array':
      return fc.array(arbitrary(type.items as AvroType, named, field), { maxLength: 4 });
    default:
      return primitive(type.type, type.logicalType as string | undefined);
  }
}

function primitive(name: string, logicalType: string | undefined): fc.Arbitrary<unknown> {
  switch (name) {
    case 'null':
      return fc.constant(null);
    case 'string':
      return fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom('', '0x6c5e8789', 'Yes', 'No', '😀 ünï'));
    case 'long':
      // avsc encodes longs through JS numbers, so zig-zag values past 2^53 (|v| > 2^52) lose bits.
      return logicalType === 'timestamp-millis' ? MS : fc.integer({ min: -(2 ** 52), max: 2 ** 52 });
    case 'int':
      return fc.integer();
    case 'double':
      return fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(0.999000000999, 0.1, -0, 1e-9));
    case 'boolean':
      return fc.boolean();
    default:
      throw new Error(`no arbitrary for Avro type ${name}`);
  }
}
