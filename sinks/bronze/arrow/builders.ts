/**
 * Growable Arrow column builders that write values straight into the buffers Arrow's columnar
 * format uses (validity bitmaps, offsets, UTF-8 bytes, typed arrays). They exist because
 * apache-arrow's own builders cost about seven times more for strings (shared/recipes/node-stack.md
 * §c): here a string costs one UTF-8 write, or one byte copy when it comes straight from an Avro
 * buffer. Every builder can be truncated back to an earlier length, so a row that fails half-way
 * leaves no trace.
 */
import { isUtf8 } from 'node:buffer';
import { Bool, type Data, type DataType, Field, Float64, Int32, Int64, List, makeData, Struct, TimestampMillisecond, Utf8 } from 'apache-arrow';

export interface ColumnBuilder {
  readonly length: number;
  appendNull(): void;
  /** Cuts the column back to `length` rows (length <= current). */
  truncate(length: number): void;
  /** The Arrow data built so far; the builder is left empty and reusable. */
  finish(): Data;
  /** Bytes held, for roll-by-size decisions. */
  byteSize(): number;
  readonly type: DataType;
}

/** A validity bitmap that stays absent until the first null. */
class Validity {
  bits: Uint8Array | null = null;
  nulls = 0;

  set(index: number, valid: boolean, length: number): void {
    if (valid) {
      if (this.bits) this.#ensure(index + 1)[index >> 3]! |= 1 << (index & 7);
      return;
    }
    if (!this.bits) {
      this.bits = new Uint8Array(Math.max(64, ((length + 8) >> 3) * 2));
      for (let i = 0; i < index; i++) this.bits[i >> 3]! |= 1 << (i & 7);
    }
    this.#ensure(index + 1)[index >> 3]! &= ~(1 << (index & 7));
    this.nulls++;
  }

  truncate(length: number, oldLength: number): void {
    if (!this.bits) return;
    for (let i = length; i < oldLength; i++) if ((this.bits[i >> 3]! & (1 << (i & 7))) === 0) this.nulls--;
  }

  take(length: number): { nullCount: number; nullBitmap?: Uint8Array } {
    const out = this.nulls > 0 && this.bits ? { nullCount: this.nulls, nullBitmap: this.bits.subarray(0, (length + 7) >> 3) } : { nullCount: 0 };
    this.bits = null;
    this.nulls = 0;
    return out;
  }

  #ensure(n: number): Uint8Array {
    const need = (n + 7) >> 3;
    if (need > this.bits!.length) {
      const grown = new Uint8Array(Math.max(need, this.bits!.length * 2));
      grown.set(this.bits!);
      this.bits = grown;
    }
    return this.bits!;
  }
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(arr: T, need: number): T {
  if (need <= arr.length) return arr;
  const grown = new (arr.constructor as new (n: number) => T)(Math.max(need, arr.length * 2));
  grown.set(arr);
  return grown;
}

export class Utf8Builder implements ColumnBuilder {
  readonly type = new Utf8();
  #offsets = new Int32Array(256);
  #data = Buffer.allocUnsafe(4096);
  #length = 0;
  #validity = new Validity();

  get length(): number {
    return this.#length;
  }

  appendString(s: string): void {
    const start = this.#offsets[this.#length]!;
    const max = start + s.length * 3;
    if (max > this.#data.length) this.#growData(max);
    const end = start + this.#data.write(s, start, 'utf8');
    this.#push(end, true);
  }

  /** Appends UTF-8 bytes as they are (e.g. a string field of an Avro record, without decoding it). */
  appendBytes(source: Buffer, start: number, end: number): void {
    const at = this.#offsets[this.#length]!;
    const stop = at + (end - start);
    if (stop > this.#data.length) this.#growData(stop);
    const data = this.#data;
    // Short strings (most ids and enum symbols) copy faster in a loop than through a native call.
    if (end - start < 48) for (let i = start, j = at; i < end; i++, j++) data[j] = source[i]!;
    else source.copy(data, at, start, end);
    this.#push(stop, true);
  }

  appendNull(): void {
    this.#push(this.#offsets[this.#length]!, false);
  }

  truncate(length: number): void {
    this.#validity.truncate(length, this.#length);
    this.#length = length;
  }

  byteSize(): number {
    return this.#offsets[this.#length]! + this.#length * 4;
  }

  finish(): Data {
    const n = this.#length;
    if (!isUtf8(this.#data.subarray(0, this.#offsets[n]!))) this.#repairUtf8();
    const end = this.#offsets[n]!;
    const data = makeData({
      type: this.type,
      length: n,
      ...this.#validity.take(n),
      valueOffsets: this.#offsets.subarray(0, n + 1),
      data: new Uint8Array(this.#data.buffer, this.#data.byteOffset, end),
    });
    this.#length = 0;
    this.#offsets = new Int32Array(256);
    this.#data = Buffer.allocUnsafe(4096);
    return data;
  }

  #push(end: number, valid: boolean): void {
    const i = this.#length;
    this.#validity.set(i, valid, i);
    this.#offsets = grow(this.#offsets, i + 2);
    this.#offsets[i + 1] = end;
    this.#length = i + 1;
  }

  /**
   * Bytes copied from Avro bodies are checked once per column, not per value. Should a value not
   * be valid UTF-8, every value is re-encoded with invalid sequences replaced by U+FFFD, which is
   * what decoding the record with avsc would have given.
   */
  #repairUtf8(): void {
    const old = this.#data;
    const offsets = this.#offsets;
    const n = this.#length;
    const values: string[] = [];
    for (let i = 0; i < n; i++) values.push(old.toString('utf8', offsets[i]!, offsets[i + 1]!));
    let size = 0;
    const encoded = values.map((v) => Buffer.from(v, 'utf8'));
    this.#data = Buffer.allocUnsafe(
      Math.max(
        4096,
        encoded.reduce((s, b) => s + b.length, 0),
      ),
    );
    for (let i = 0; i < n; i++) {
      size += encoded[i]!.copy(this.#data, size);
      offsets[i + 1] = size;
    }
  }

  #growData(need: number): void {
    const grown = Buffer.allocUnsafe(Math.max(need, this.#data.length * 2));
    this.#data.copy(grown, 0, 0, this.#offsets[this.#length]!);
    this.#data = grown;
  }
}

abstract class FixedBuilder<A extends Float64Array | Int32Array> implements ColumnBuilder {
  abstract readonly type: DataType;
  protected values: A;
  protected count = 0;
  #validity = new Validity();
  readonly #width: number;

  constructor(values: A, width: number) {
    this.values = values;
    this.#width = width;
  }

  get length(): number {
    return this.count;
  }

  abstract finish(): Data;

  protected slot(valid: boolean): number {
    const i = this.count;
    this.#validity.set(i, valid, i);
    this.values = grow(this.values, (i + 1) * this.#width);
    this.count = i + 1;
    return i;
  }

  appendNull(): void {
    const i = this.slot(false);
    for (let k = 0; k < this.#width; k++) this.values[i * this.#width + k] = 0;
  }

  truncate(length: number): void {
    this.#validity.truncate(length, this.count);
    this.count = length;
  }

  byteSize(): number {
    return this.count * this.#width * this.values.BYTES_PER_ELEMENT;
  }

  protected takeValidity(): { nullCount: number; nullBitmap?: Uint8Array } {
    return this.#validity.take(this.count);
  }
}

export class Float64Builder extends FixedBuilder<Float64Array> {
  readonly type = new Float64();
  constructor() {
    super(new Float64Array(256), 1);
  }
  append(v: number): void {
    const i = this.slot(true);
    this.values[i] = v;
  }
  finish(): Data {
    const data = makeData({ type: this.type, length: this.count, ...this.takeValidity(), data: this.values.subarray(0, this.count) });
    this.count = 0;
    this.values = new Float64Array(256);
    return data;
  }
}

export class Int32Builder extends FixedBuilder<Int32Array> {
  readonly type = new Int32();
  constructor() {
    super(new Int32Array(256), 1);
  }
  append(v: number): void {
    const i = this.slot(true);
    this.values[i] = v;
  }
  finish(): Data {
    const data = makeData({ type: this.type, length: this.count, ...this.takeValidity(), data: this.values.subarray(0, this.count) });
    this.count = 0;
    this.values = new Int32Array(256);
    return data;
  }
}

/**
 * 64-bit integers (Avro long; timestamps in UTC epoch ms when `timestamp` is set), held as
 * little-endian pairs of 32-bit words so no BigInt is made per value.
 */
export class Int64Builder extends FixedBuilder<Int32Array> {
  readonly type: DataType;
  constructor(timestamp: boolean) {
    super(new Int32Array(512), 2);
    this.type = timestamp ? new TimestampMillisecond('UTC') : new Int64();
  }
  /** A safe integer (|v| < 2^53). */
  append(v: number): void {
    const i = this.slot(true) * 2;
    const lo = v % 4294967296;
    const hi = (v - lo) / 4294967296;
    this.values[i] = lo | 0;
    this.values[i + 1] = hi | 0;
    if (lo < 0) {
      this.values[i] = (lo + 4294967296) | 0;
      this.values[i + 1] = (hi - 1) | 0;
    }
  }
  /** Two words as Avro's zig-zag varint decoder produces them. */
  appendWords(lo: number, hi: number): void {
    const i = this.slot(true) * 2;
    this.values[i] = lo;
    this.values[i + 1] = hi;
  }
  finish(): Data {
    const data = makeData({
      type: this.type as Int64,
      length: this.count,
      ...this.takeValidity(),
      data: new BigInt64Array(this.values.buffer, this.values.byteOffset, this.count),
    });
    this.count = 0;
    this.values = new Int32Array(512);
    return data;
  }
}

export class BoolBuilder implements ColumnBuilder {
  readonly type = new Bool();
  #bits = new Uint8Array(64);
  #length = 0;
  #validity = new Validity();

  get length(): number {
    return this.#length;
  }
  append(v: boolean): void {
    const i = this.#push(true);
    if (v) this.#bits[i >> 3]! |= 1 << (i & 7);
    else this.#bits[i >> 3]! &= ~(1 << (i & 7));
  }
  appendNull(): void {
    const i = this.#push(false);
    this.#bits[i >> 3]! &= ~(1 << (i & 7));
  }
  truncate(length: number): void {
    this.#validity.truncate(length, this.#length);
    this.#length = length;
  }
  byteSize(): number {
    return this.#length >> 3;
  }
  finish(): Data {
    const n = this.#length;
    const data = makeData({ type: this.type, length: n, ...this.#validity.take(n), data: this.#bits.subarray(0, (n + 7) >> 3) });
    this.#length = 0;
    this.#bits = new Uint8Array(64);
    return data;
  }
  #push(valid: boolean): number {
    const i = this.#length;
    this.#validity.set(i, valid, i);
    this.#bits = grow(this.#bits, (i >> 3) + 1);
    this.#length = i + 1;
    return i;
  }
}

/** A list column: offsets into one child column. */
export class ListBuilder implements ColumnBuilder {
  readonly type: DataType;
  readonly child: ColumnBuilder;
  #offsets = new Int32Array(256);
  #length = 0;
  #validity = new Validity();

  constructor(child: ColumnBuilder) {
    this.child = child;
    this.type = new List(new Field('item', child.type, false));
  }
  get length(): number {
    return this.#length;
  }
  /** Call after appending the list's items to `child`. */
  close(): void {
    this.#push(true);
  }
  appendNull(): void {
    this.#push(false);
  }
  truncate(length: number): void {
    this.#validity.truncate(length, this.#length);
    this.#length = length;
    this.child.truncate(this.#offsets[length]!);
  }
  byteSize(): number {
    return this.#length * 4 + this.child.byteSize();
  }
  finish(): Data {
    const n = this.#length;
    const data = makeData({
      type: this.type as List,
      length: n,
      ...this.#validity.take(n),
      valueOffsets: this.#offsets.subarray(0, n + 1),
      child: this.child.finish(),
    });
    this.#length = 0;
    this.#offsets = new Int32Array(256);
    return data;
  }
  #push(valid: boolean): void {
    const i = this.#length;
    this.#validity.set(i, valid, i);
    this.#offsets = grow(this.#offsets, i + 2);
    this.#offsets[i + 1] = this.child.length;
    this.#length = i + 1;
  }
}

/** A struct column: one child column per field. Nulls are not used by the clean schemas. */
export class StructBuilder implements ColumnBuilder {
  readonly type: DataType;
  readonly children: ColumnBuilder[];
  #length = 0;

  constructor(fields: Array<{ name: string; builder: ColumnBuilder; nullable: boolean }>) {
    this.children = fields.map((f) => f.builder);
    this.type = new Struct(fields.map((f) => new Field(f.name, f.builder.type, f.nullable)));
  }
  get length(): number {
    return this.#length;
  }
  /** Call after appending one value to every child. */
  close(): void {
    this.#length++;
  }
  appendNull(): void {
    for (const c of this.children) c.appendNull();
    this.#length++;
  }
  truncate(length: number): void {
    for (const c of this.children) c.truncate(length);
    this.#length = length;
  }
  byteSize(): number {
    return this.children.reduce((n, c) => n + c.byteSize(), 0);
  }
  finish(): Data {
    const n = this.#length;
    const data = makeData({ type: this.type as Struct, length: n, nullCount: 0, children: this.children.map((c) => c.finish()) });
    this.#length = 0;
    return data;
  }
}
