/**
 * Arrow columns for one Avro record schema, filled either from decoded JS records or straight
 * from Avro binary bodies (no JS string is made for a string field: its UTF-8 bytes are copied).
 * Two columns follow the schema's fields: `_partition` and `_offset`, where each row came from.
 *
 * Type mapping: string and enum to Utf8; int to Int32; long to Int64 (timestamp-millis to
 * Timestamp(ms, UTC)); double to Float64; boolean to Bool; ["null", T] to a nullable T; array to
 * List; record to Struct. Other Avro types are refused when the columns are compiled.
 */
import { type Data, Field, makeData, RecordBatch, Schema, Struct, Table } from 'apache-arrow';
import { DecodeError, SinkError } from '../../../runtime/errors.ts';
import { BoolBuilder, type ColumnBuilder, Float64Builder, Int32Builder, Int64Builder, ListBuilder, StructBuilder, Utf8Builder } from './builders.ts';

type AvroType = string | AvroType[] | { type: string; [k: string]: unknown };

interface AvroField {
  name: string;
  type: AvroType;
}

/** Reads Avro binary into builders; `pos` is the read cursor, advanced past what was read. */
export class AvroReader {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;

  reset(buf: Buffer, pos: number, end = buf.length): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** A zig-zag varint as a JS number; exact for safe integers (|v| <= 2^53 - 1), refused beyond. */
  long(): number {
    const start = this.pos;
    let n = 0;
    let shift = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) throw truncated();
      const b = this.buf[this.pos++]!;
      n += (b & 0x7f) * shift;
      if ((b & 0x80) === 0) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
      shift *= 128;
    }
    this.pos = start;
    return this.#bigLong();
  }

  /**
   * Calls `item` once per element of an Avro array (or map) at the cursor, across its blocks; a
   * negative block count is followed by the block's size in bytes, which is not needed here.
   */
  arrayItems(item: () => void): void {
    for (;;) {
      let count = this.long();
      if (count === 0) return;
      if (count < 0) {
        count = -count;
        this.long();
      }
      for (let i = 0; i < count; i++) item();
    }
  }

  /** Varints of 8 bytes or more (|v| >= 2^48): exact arithmetic. */
  #bigLong(): number {
    let n = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw truncated();
      const b = this.buf[this.pos++]!;
      n |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw bad('varint longer than 10 bytes');
    }
    const v = n & 1n ? -((n + 1n) >> 1n) : n >> 1n;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) throw bad('long beyond 2^53');
    return Number(v);
  }

  double(): number {
    if (this.pos + 8 > this.end) throw truncated();
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  boolean(): boolean {
    if (this.pos >= this.end) throw truncated();
    const b = this.buf[this.pos++]!;
    if (b > 1) throw bad(`boolean byte ${b}`);
    return b === 1;
  }

  /** Start and end of a string's UTF-8 bytes; the cursor moves past them. */
  bytes(): [number, number] {
    const len = this.long();
    if (len < 0) throw bad(`negative length ${len}`);
    const start = this.pos;
    const stop = start + len;
    if (stop > this.end) throw truncated();
    this.pos = stop;
    return [start, stop];
  }
}

const truncated = () => new DecodeError('truncated', 'Avro body ends before the record does');
const bad = (what: string) => new DecodeError('undecodable-body', `Avro body is malformed: ${what}`);

interface Column {
  builder: ColumnBuilder;
  fromValue(v: unknown): void;
  fromAvro(r: AvroReader): void;
}

export interface CompiledColumns {
  readonly fieldNames: readonly string[];
  /** Appends one record given as a JS object (as avsc decodes it). */
  appendObject(record: Record<string, unknown>, partition: number, offset: number): void;
  /**
   * Appends one record from an Avro binary body from `pos` to `end` (default: the end of `buf`);
   * the record must fill it exactly. On a malformed body it throws DecodeError and appends nothing.
   */
  appendAvro(buf: Buffer, pos: number, partition: number, offset: number, end?: number): void;
  readonly length: number;
  byteSize(): number;
  /** The rows so far as an Arrow table; the columns are left empty for reuse. */
  finish(): Table;
}

/** Compiles the columns of an Avro record schema (JSON, as in the .avsc files). */
export function compileColumns(schema: Readonly<Record<string, unknown>>): CompiledColumns {
  const named = new Map<string, AvroType>();
  collectNamed(schema as AvroType, typeof schema.namespace === 'string' ? schema.namespace : '', named);
  const fields = (schema.fields as AvroField[]).map((f) => ({ name: f.name, ...compileType(f.type, named, f.name) }));
  return new RecordColumns(fields);
}

class RecordColumns implements CompiledColumns {
  readonly fieldNames: readonly string[];
  readonly #columns: Array<Column & { name: string; nullable: boolean }>;
  readonly #partition = new Int32Builder();
  readonly #offset = new Int64Builder(false);
  readonly #reader = new AvroReader();

  constructor(columns: Array<Column & { name: string; nullable: boolean }>) {
    this.#columns = columns;
    this.fieldNames = columns.map((c) => c.name);
  }

  get length(): number {
    return this.#partition.length;
  }

  appendObject(record: Record<string, unknown>, partition: number, offset: number): void {
    const before = this.length;
    try {
      for (const c of this.#columns) c.fromValue(record[c.name]);
    } catch (err) {
      this.#rollback(before);
      throw err;
    }
    this.#partition.append(partition);
    this.#offset.append(offset);
  }

  appendAvro(buf: Buffer, pos: number, partition: number, offset: number, end = buf.length): void {
    const before = this.length;
    const r = this.#reader;
    r.reset(buf, pos, end);
    try {
      for (const c of this.#columns) c.fromAvro(r);
      if (r.pos !== end) throw bad(`${end - r.pos} bytes left over after the record`);
    } catch (err) {
      this.#rollback(before);
      throw err;
    }
    this.#partition.append(partition);
    this.#offset.append(offset);
  }

  byteSize(): number {
    let n = 12 * this.length;
    for (const c of this.#columns) n += c.builder.byteSize();
    return n;
  }

  finish(): Table {
    const length = this.length;
    const fields: Field[] = [];
    const children: Data[] = [];
    const add = (name: string, nullable: boolean, data: Data) => {
      fields.push(new Field(name, data.type, nullable));
      children.push(data);
    };
    for (const c of this.#columns) add(c.name, c.nullable, c.builder.finish());
    add('_partition', false, this.#partition.finish());
    add('_offset', false, this.#offset.finish());
    const schema = new Schema(fields);
    const data = makeData({ type: new Struct(fields), length, nullCount: 0, children });
    return new Table([new RecordBatch(schema, data)]);
  }

  #rollback(length: number): void {
    for (const c of this.#columns) c.builder.truncate(length);
  }
}

function collectNamed(type: AvroType, namespace: string, named: Map<string, AvroType>): void {
  if (Array.isArray(type)) {
    for (const t of type) collectNamed(t, namespace, named);
    return;
  }
  if (typeof type !== 'object') return;
  const name = type.name as string | undefined;
  const ns = (type.namespace as string | undefined) ?? namespace;
  if (name && (type.type === 'record' || type.type === 'enum' || type.type === 'fixed')) {
    named.set(name, type);
    named.set(name.includes('.') ? name : `${ns}.${name}`, type);
  }
  if (type.type === 'record') for (const f of type.fields as AvroField[]) collectNamed(f.type, ns, named);
  if (type.type === 'array') collectNamed(type.items as AvroType, ns, named);
  if (type.type === 'map') collectNamed(type.values as AvroType, ns, named);
}

function compileType(type: AvroType, named: Map<string, AvroType>, path: string): Column & { nullable: boolean } {
  if (Array.isArray(type)) {
    const nullIndex = type.indexOf('null');
    if (type.length !== 2 || nullIndex < 0) throw new SinkError(`${path}: only ["null", T] unions map to Parquet columns`, { field: path });
    const inner = compileType(type[1 - nullIndex]!, named, path);
    const b = inner.builder;
    return {
      nullable: true,
      builder: b,
      fromValue: (v) => (v === null || v === undefined ? b.appendNull() : inner.fromValue(v)),
      fromAvro: (r) => {
        const branch = r.long();
        if (branch === nullIndex) b.appendNull();
        else if (branch === 1 - nullIndex) inner.fromAvro(r);
        else throw bad(`union branch ${branch} at ${path}`);
      },
    };
  }
  if (typeof type === 'string') {
    const ref = named.get(type);
    if (ref) return compileType(ref, named, path);
    return { nullable: false, ...primitive(type, undefined, path) };
  }
  switch (type.type) {
    case 'record': {
      const children = (type.fields as AvroField[]).map((f) => ({ name: f.name, ...compileType(f.type, named, `${path}.${f.name}`) }));
      const b = new StructBuilder(children.map((c) => ({ name: c.name, builder: c.builder, nullable: c.nullable })));
      return {
        nullable: false,
        builder: b,
        fromValue: (v) => {
          const o = v as Record<string, unknown>;
          for (const c of children) c.fromValue(o[c.name]);
          b.close();
        },
        fromAvro: (r) => {
          for (const c of children) c.fromAvro(r);
          b.close();
        },
      };
    }
    case 'array': {
      const item = compileType(type.items as AvroType, named, `${path}[]`);
      const b = new ListBuilder(item.builder);
      return {
        nullable: false,
        builder: b,
        fromValue: (v) => {
          if (!Array.isArray(v)) throw new TypeError(`${path}: expected an array`);
          for (const x of v) item.fromValue(x);
          b.close();
        },
        fromAvro: (r) => {
          r.arrayItems(() => item.fromAvro(r));
          b.close();
        },
      };
    }
    case 'enum': {
      const symbols = type.symbols as string[];
      const bytes = symbols.map((s) => Buffer.from(s, 'utf8'));
      const b = new Utf8Builder();
      return {
        nullable: false,
        builder: b,
        fromValue: (v) => b.appendString(v as string),
        fromAvro: (r) => {
          const i = r.long();
          const sym = bytes[i];
          if (!sym) throw bad(`enum index ${i} at ${path}`);
          b.appendBytes(sym, 0, sym.length);
        },
      };
    }
    default:
      return { nullable: false, ...primitive(type.type, type.logicalType as string | undefined, path) };
  }
}

function primitive(name: string, logicalType: string | undefined, path: string): Column {
  switch (name) {
    case 'string': {
      const b = new Utf8Builder();
      return {
        builder: b,
        fromValue: (v) => b.appendString(v as string),
        fromAvro: (r) => {
          const [start, end] = r.bytes();
          b.appendBytes(r.buf, start, end);
        },
      };
    }
    case 'long': {
      const b = new Int64Builder(logicalType === 'timestamp-millis');
      return {
        builder: b,
        fromValue: (v) => b.append(v instanceof Date ? v.getTime() : (v as number)),
        fromAvro: (r) => b.append(r.long()),
      };
    }
    case 'int': {
      const b = new Int32Builder();
      return {
        builder: b,
        fromValue: (v) => b.append(v as number),
        fromAvro: (r) => {
          const v = r.long();
          if (v < -2147483648 || v > 2147483647) throw bad(`int out of range at ${path}`);
          b.append(v);
        },
      };
    }
    case 'double': {
      const b = new Float64Builder();
      return { builder: b, fromValue: (v) => b.append(v as number), fromAvro: (r) => b.append(r.double()) };
    }
    case 'boolean': {
      const b = new BoolBuilder();
      return { builder: b, fromValue: (v) => b.append(v as boolean), fromAvro: (r) => b.append(r.boolean()) };
    }
    default:
      throw new SinkError(`${path}: Avro type ${name} has no Parquet column mapping here`, { field: path });
  }
}
