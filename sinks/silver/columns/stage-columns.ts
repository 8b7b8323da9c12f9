/**
 * The staged columns of one topic, filled straight from Avro bodies (read with the Bronze
 * AvroReader): `_seq` (arrival order), then the fields Silver stages under their staged names
 * (staging.ts); other fields are read past. Types follow the schema: string and enum to UTF-8
 * text, int to INT32, long (timestamps too, as epoch ms) to INT64, double, boolean, ["null", T]
 * to an optional T, an array of those to a list.
 */
import { SinkError } from '../../../runtime/errors.ts';
import { loadSchema } from '../../../schemas/index.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { AvroReader } from '../../bronze/arrow/record-columns.ts';
import { type SilverTopicKey, STAGE_COLUMNS } from '../staging.ts';
import { type LeafColumn, leafColumn, Physical } from './parquet-file.ts';

type AvroType = string | AvroType[] | { type: string; [k: string]: unknown };
type Step = (r: AvroReader) => void;

export class StageColumns {
  readonly columns: LeafColumn[];
  readonly #seq: LeafColumn;
  readonly #steps: Step[];
  readonly #reader = new AvroReader();
  rows = 0;

  constructor(topic: SilverTopicKey) {
    const schema = loadSchema(TOPICS[topic].schema);
    const named = new Map<string, AvroType>();
    const staged = new Map(STAGE_COLUMNS[topic].map((c) => [c.field, c.name]));
    this.#seq = leafColumn('_seq', Physical.INT64, false, 'required');
    const leaves = new Map<string, LeafColumn>();
    this.#steps = (schema.fields as Array<{ name: string; type: AvroType }>).map((f) => {
      const name = staged.get(f.name);
      if (name === undefined) return compile(f.type, named, f.name, undefined);
      const leaf = { name } as LeafColumn;
      leaves.set(name, leaf);
      return compile(f.type, named, f.name, leaf);
    });
    const missing = STAGE_COLUMNS[topic].filter((c) => !leaves.has(c.name));
    if (missing.length > 0) throw new SinkError(`schema of ${topic} has no field ${missing[0]!.field}`, { topic, field: missing[0]!.field });
    this.columns = [this.#seq, ...STAGE_COLUMNS[topic].map((c) => leaves.get(c.name)!)];
  }

  /** Appends the body `buf[start, end)` (already checked on the main thread) as row `seq`. */
  append(buf: Buffer, start: number, end: number, seq: number): void {
    const r = this.#reader;
    r.reset(buf, start, end);
    for (const step of this.#steps) step(r);
    if (r.pos !== end) throw new SinkError(`Avro body of ${end - start} bytes has ${end - r.pos} bytes left over after the record`);
    this.#seq.values.int64(seq);
    this.rows++;
  }
}

/**
 * The step that reads a value of `type`; with a `leaf`, it also writes the value there (the leaf
 * object is filled in with its physical type and shape here).
 */
function compile(type: AvroType, named: Map<string, AvroType>, path: string, leaf: LeafColumn | undefined): Step {
  if (Array.isArray(type)) {
    const nullIndex = type.indexOf('null');
    if (leaf && (type.length !== 2 || nullIndex < 0)) throw new SinkError(`${path}: only ["null", T] unions can be staged`, { field: path });
    const branches = type.map((t) => (t === 'null' ? () => undefined : compile(t, named, path, leaf)));
    if (leaf) {
      if (leaf.shape === 'list') throw new SinkError(`${path}: a nullable list cannot be staged`, { field: path });
      leaf.shape = 'optional';
    }
    return (r) => {
      const branch = r.long();
      const step = branches[branch];
      if (!step) throw new SinkError(`union branch ${branch} at ${path}`);
      leaf?.defs.push(branch !== nullIndex);
      step(r);
    };
  }
  if (typeof type === 'string') {
    const ref = named.get(type);
    if (ref) return compile(ref, named, path, leaf);
    return primitive(type, path, leaf);
  }
  switch (type.type) {
    case 'enum': {
      named.set(type.name as string, type);
      const symbols = (type.symbols as string[]).map((s) => Buffer.from(s, 'utf8'));
      if (leaf) fill(leaf, Physical.BYTE_ARRAY, true);
      return (r) => {
        const i = r.long();
        const symbol = symbols[i];
        if (!symbol) throw new SinkError(`enum index ${i} at ${path}`);
        leaf?.values.utf8(symbol, 0, symbol.length);
      };
    }
    case 'array': {
      const item = compile(type.items as AvroType, named, `${path}[]`, leaf);
      if (leaf) {
        if (leaf.shape !== 'required') throw new SinkError(`${path}: only lists of non-null values can be staged`, { field: path });
        leaf.shape = 'list';
      }
      return (r) => {
        let first = true;
        r.arrayItems(() => {
          leaf?.reps.push(!first);
          leaf?.defs.push(true);
          first = false;
          item(r);
        });
        if (first) {
          leaf?.reps.push(false);
          leaf?.defs.push(false);
        }
      };
    }
    case 'record':
      if (leaf) throw new SinkError(`${path}: a record cannot be staged`, { field: path });
      named.set(type.name as string, type);
      return compileRecord(type, named, path);
    default:
      return primitive(type.type, path, leaf);
  }
}

function compileRecord(type: { [k: string]: unknown }, named: Map<string, AvroType>, path: string): Step {
  const steps = (type.fields as Array<{ name: string; type: AvroType }>).map((f) => compile(f.type, named, `${path}.${f.name}`, undefined));
  return (r) => {
    for (const s of steps) s(r);
  };
}

/** Gives a leaf its type and buffers once the Avro type under any union or array is known. */
function fill(leaf: LeafColumn, physical: Physical, utf8: boolean): void {
  Object.assign(leaf, leafColumn(leaf.name, physical, utf8, leaf.shape ?? 'required'));
}

function primitive(name: string, path: string, leaf: LeafColumn | undefined): Step {
  switch (name) {
    case 'null':
      return () => undefined;
    case 'string':
      if (!leaf) return (r) => void r.bytes();
      fill(leaf, Physical.BYTE_ARRAY, true);
      return (r) => {
        const [start, end] = r.bytes();
        leaf.values.utf8(r.buf, start, end);
      };
    case 'bytes':
      if (leaf) break;
      return (r) => void r.bytes();
    case 'long':
      if (!leaf) return (r) => void r.long();
      fill(leaf, Physical.INT64, false);
      return (r) => leaf.values.int64(r.long());
    case 'int':
      if (leaf) fill(leaf, Physical.INT32, false);
      return (r) => {
        const v = r.long();
        if (v < -2147483648 || v > 2147483647) throw new SinkError(`int out of range at ${path}`);
        leaf?.values.int32(v);
      };
    case 'double':
      if (!leaf) return (r) => void r.double();
      fill(leaf, Physical.DOUBLE, false);
      return (r) => leaf.values.double(r.double());
    case 'boolean':
      if (!leaf) return (r) => void r.boolean();
      fill(leaf, Physical.BOOLEAN, false);
      return (r) => leaf.bits.push(r.boolean());
  }
  throw new SinkError(`${path}: Avro type ${name} cannot be staged`, { field: path });
}
