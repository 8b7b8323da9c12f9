/**
 * Checks that an Avro body is one well-formed record of the schema and reads its event time, in
 * one pass that copies nothing: strings and bytes are skipped by their length, union branches and
 * enum indexes must exist, ints must fit 32 bits, and the record must end exactly where the body
 * does. The main thread runs this on every record (to pick its `dt` and dead-letter what is
 * malformed) before handing the bytes to the writer thread, which builds columns from them.
 */
import { DecodeError, SinkError } from '../../runtime/errors.ts';
import { AvroReader } from './arrow/record-columns.ts';

type AvroType = string | AvroType[] | { type: string; [k: string]: unknown };
type Step = (r: AvroReader) => void;

/** Returns the event time (epoch ms) of the body in `buf[pos, end)`; throws DecodeError if malformed. */
export type Inspector = (buf: Buffer, pos: number, end: number) => number;

export function compileInspector(schema: Readonly<Record<string, unknown>>, eventField: string): Inspector {
  const named = new Map<string, AvroType>();
  const fields = schema.fields as Array<{ name: string; type: AvroType }>;
  const index = fields.findIndex((f) => f.name === eventField);
  if (index < 0) throw new SinkError(`schema ${String(schema.name)} has no field ${eventField}`, { field: eventField });
  const target = fields[index]!.type;
  const isLong = target === 'long' || (typeof target === 'object' && !Array.isArray(target) && target.type === 'long');
  if (!isLong) throw new SinkError(`${eventField} must be a non-null long`, { field: eventField });
  const before = fields.slice(0, index).map((f) => step(f.type, named, f.name));
  const after = fields.slice(index + 1).map((f) => step(f.type, named, f.name));
  const reader = new AvroReader();
  return (buf, pos, end) => {
    reader.reset(buf, pos, end);
    for (const s of before) s(reader);
    const at = reader.long();
    for (const s of after) s(reader);
    if (reader.pos !== end) throw new DecodeError('undecodable-body', `Avro body is malformed: ${end - reader.pos} bytes left over after the record`);
    return at;
  };
}

const bad = (what: string) => new DecodeError('undecodable-body', `Avro body is malformed: ${what}`);

function step(type: AvroType, named: Map<string, AvroType>, path: string): Step {
  if (Array.isArray(type)) {
    const branches = type.map((t) => step(t, named, path));
    return (r) => {
      const i = r.long();
      const s = branches[i];
      if (!s) throw bad(`union branch ${i} at ${path}`);
      s(r);
    };
  }
  if (typeof type === 'string') {
    const ref = named.get(type);
    if (ref) return step(ref, named, path);
    return primitive(type, path);
  }
  switch (type.type) {
    case 'record': {
      named.set(type.name as string, type);
      const inner = (type.fields as Array<{ name: string; type: AvroType }>).map((f) => step(f.type, named, `${path}.${f.name}`));
      return (r) => {
        for (const s of inner) s(r);
      };
    }
    case 'enum': {
      named.set(type.name as string, type);
      const count = (type.symbols as string[]).length;
      return (r) => {
        const i = r.long();
        if (i < 0 || i >= count) throw bad(`enum index ${i} at ${path}`);
      };
    }
    case 'array': {
      const item = step(type.items as AvroType, named, `${path}[]`);
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
      return primitive(type.type, path);
  }
}

function primitive(name: string, path: string): Step {
  switch (name) {
    case 'null':
      return () => undefined;
    case 'string':
    case 'bytes':
      return (r) => void r.bytes();
    case 'long':
      return (r) => void r.long();
    case 'int':
      return (r) => {
        const v = r.long();
        if (v < -2147483648 || v > 2147483647) throw bad(`int out of range at ${path}`);
      };
    case 'double':
      return (r) => void r.double();
    case 'boolean':
      return (r) => void r.boolean();
    default:
      throw new SinkError(`${path}: cannot inspect Avro type ${name}`, { field: path });
  }
}
