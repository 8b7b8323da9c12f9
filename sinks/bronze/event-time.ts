/**
 * Reads one long field (a record's event time) out of an Avro body without decoding the record:
 * the fields before it are skipped by their encoded length. This picks a record's Bronze `dt`
 * before its values are copied into the columns of that date.
 */
import { DecodeError } from '../../runtime/errors.ts';
import { AvroReader } from './arrow/record-columns.ts';

type AvroType = string | AvroType[] | { type: string; [k: string]: unknown };
type Skip = (r: AvroReader) => void;

export type EventTimeReader = (buf: Buffer, pos: number) => number;

export function compileEventTimeReader(schema: Readonly<Record<string, unknown>>, fieldName: string): EventTimeReader {
  const named = new Map<string, AvroType>();
  const fields = schema.fields as Array<{ name: string; type: AvroType }>;
  const index = fields.findIndex((f) => f.name === fieldName);
  if (index < 0) throw new Error(`schema ${String(schema.name)} has no field ${fieldName}`);
  const target = fields[index]!.type;
  const isLong = target === 'long' || (typeof target === 'object' && !Array.isArray(target) && target.type === 'long');
  if (!isLong) throw new Error(`${fieldName} must be a non-null long`);
  const skips = fields.slice(0, index).map((f) => skipper(f.type, named));
  const reader = new AvroReader();
  return (buf, pos) => {
    reader.reset(buf, pos);
    for (const skip of skips) skip(reader);
    return reader.long();
  };
}

function skipper(type: AvroType, named: Map<string, AvroType>): Skip {
  if (Array.isArray(type)) {
    const branches = type.map((t) => skipper(t, named));
    return (r) => {
      const i = r.long();
      const skip = branches[i];
      if (!skip) throw new DecodeError('undecodable-body', `Avro body is malformed: union branch ${i}`);
      skip(r);
    };
  }
  if (typeof type === 'string') {
    const ref = named.get(type);
    if (ref) return skipper(ref, named);
    return primitiveSkipper(type);
  }
  switch (type.type) {
    case 'record': {
      named.set(type.name as string, type);
      const inner = (type.fields as Array<{ type: AvroType }>).map((f) => skipper(f.type, named));
      return (r) => {
        for (const s of inner) s(r);
      };
    }
    case 'enum':
      named.set(type.name as string, type);
      return (r) => void r.long();
    case 'array': {
      const item = skipper(type.items as AvroType, named);
      return (r) => {
        for (;;) {
          let count = r.long();
          if (count === 0) return;
          if (count < 0) {
            count = -count;
            r.long();
          }
          for (let i = 0; i < count; i++) item(r);
        }
      };
    }
    default:
      return primitiveSkipper(type.type);
  }
}

function primitiveSkipper(name: string): Skip {
  switch (name) {
    case 'null':
      return () => undefined;
    case 'string':
    case 'bytes':
      return (r) => void r.bytes();
    case 'long':
    case 'int':
      return (r) => void r.long();
    case 'double':
      return (r) => void r.double();
    case 'boolean':
      return (r) => void r.boolean();
    default:
      throw new Error(`cannot skip Avro type ${name}`);
  }
}
