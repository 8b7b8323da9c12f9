/**
 * A minimal Parquet writer for Silver's staging files: flat columns and lists of flat items,
 * PLAIN encoding, no compression, one data page per column per row group. The files are scratch
 * that DuckDB reads once, so the writer does only what that read needs: values are laid out as
 * Parquet stores them while the Avro body is read (a string is its 4-byte length and its UTF-8
 * bytes, as Avro has them), and the footer is a few Thrift structs. Going through Arrow and
 * parquet-wasm instead cost about three times as much per row.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, writeSync } from 'node:fs';

/** Parquet physical types (parquet.thrift `Type`). */
export const Physical = { BOOLEAN: 0, INT32: 1, INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
export type Physical = (typeof Physical)[keyof typeof Physical];

/** A growable byte buffer with the little-endian writes PLAIN encoding needs. */
export class Bytes {
  buf: Buffer;
  length = 0;

  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.length + extra, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }

  int32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }

  /** A safe integer as a little-endian int64. */
  int64(v: number): void {
    this.ensure(8);
    const lo = v % 4294967296;
    const hi = Math.floor(v / 4294967296);
    this.buf.writeUInt32LE(lo < 0 ? lo + 4294967296 : lo, this.length);
    this.buf.writeInt32LE(hi, this.length + 4);
    this.length += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.length);
    this.length += 8;
  }

  /**
   * A UTF-8 BYTE_ARRAY value: its length, then `source[start, end)`. Bytes that are not UTF-8 are
   * written as Node decodes them (U+FFFD for each bad sequence), as the Avro decoder would.
   */
  utf8(source: Buffer, start: number, end: number): void {
    const len = end - start;
    this.ensure(4 + len);
    const buf = this.buf;
    let at = this.buf.writeInt32LE(len, this.length);
    // A byte loop copies ids of this size faster than a native call, and finds non-ASCII bytes on the way.
    let any = 0;
    for (let i = start; i < end; i++) any |= buf[at++] = source[i]!;
    const ascii = any < 0x80;
    if (!ascii && !isUtf8(source.subarray(start, end))) {
      const repaired = Buffer.from(source.toString('utf8', start, end), 'utf8');
      this.utf8(repaired, 0, repaired.length);
      return;
    }
    this.length += 4 + len;
  }

  /** Bytes written since `from`, as a copy-free view. */
  view(from = 0): Buffer {
    return this.buf.subarray(from, this.length);
  }
}

/** A sequence of bits (booleans, or levels of bit width 1), LSB first as Parquet packs them. */
export class Bits {
  bytes = new Uint8Array(1024);
  length = 0;

  push(bit: boolean): void {
    const i = this.length >> 3;
    if (i >= this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    if ((this.length & 7) === 0) this.bytes[i] = 0;
    if (bit) this.bytes[i]! |= 1 << (this.length & 7);
    this.length++;
  }

  packed(): Uint8Array {
    return this.bytes.subarray(0, (this.length + 7) >> 3);
  }

  clear(): void {
    this.length = 0;
  }
}

/** One leaf column of a row group being filled. */
export interface LeafColumn {
  name: string;
  physical: Physical;
  /** UTF-8 text (BYTE_ARRAY only). */
  utf8: boolean;
  /** `optional`: may be null (definition levels, 0 = null). `list`: a list of required items (repetition and definition levels). */
  shape: 'required' | 'optional' | 'list';
  values: Bytes;
  /** Booleans are bit-packed. */
  bits: Bits;
  /** Definition levels (optional and list columns). */
  defs: Bits;
  /** Repetition levels (list columns). */
  reps: Bits;
}

export function leafColumn(name: string, physical: Physical, utf8: boolean, shape: LeafColumn['shape']): LeafColumn {
  return { name, physical, utf8, shape, values: new Bytes(), bits: new Bits(), defs: new Bits(), reps: new Bits() };
}

/** The level and value count of a column's page: rows for flat columns, level entries for lists. */
const entries = (c: LeafColumn, rows: number) => (c.shape === 'list' ? c.reps.length : rows);

/**
 * Writes row groups to a new file as they fill; `close` writes the footer. Levels use the RLE /
 * bit-packing hybrid with one bit-packed run, which every reader accepts.
 */
export class ParquetFileWriter {
  readonly #fd: number;
  readonly #columns: LeafColumn[];
  readonly #rowGroups: Array<{ rows: number; bytes: number; chunks: Array<{ offset: number; size: number; values: number }> }> = [];
  #at = 0;

  constructor(path: string, columns: LeafColumn[]) {
    this.#columns = columns;
    this.#fd = openSync(path, 'wx');
    this.#write(Buffer.from('PAR1'));
  }

  /** Writes the columns' contents as a row group of `rows` rows and empties them. */
  writeRowGroup(rows: number): void {
    if (rows === 0) return;
    const chunks = [];
    let bytes = 0;
    for (const c of this.#columns) {
      const levelBytes = new Bytes(1024);
      if (c.shape === 'list') levels(levelBytes, c.reps);
      if (c.shape !== 'required') levels(levelBytes, c.defs);
      const data = c.physical === Physical.BOOLEAN ? c.bits.packed() : c.values.view();
      const pageSize = levelBytes.length + data.length;
      const values = entries(c, rows);
      const header = new Thrift();
      header.struct(() => {
        header.i32(1, 0); // DATA_PAGE
        header.i32(2, pageSize);
        header.i32(3, pageSize);
        header.structField(5, () => {
          header.i32(1, values);
          header.i32(2, 0); // PLAIN
          header.i32(3, 3); // RLE
          header.i32(4, 3);
        });
      });
      const offset = this.#at;
      this.#write(header.out.view());
      this.#write(levelBytes.view());
      this.#write(data);
      const size = this.#at - offset;
      chunks.push({ offset, size, values });
      bytes += size;
      c.values.length = 0;
      c.bits.clear();
      c.defs.clear();
      c.reps.clear();
    }
    this.#rowGroups.push({ rows, bytes, chunks });
  }

  close(): void {
    try {
      const t = new Thrift();
      const rows = this.#rowGroups.reduce((n, g) => n + g.rows, 0);
      t.struct(() => {
        t.i32(1, 1);
        t.list(2, Thrift.STRUCT, this.#schemaElements(t));
        t.i64(3, rows);
        t.list(
          4,
          Thrift.STRUCT,
          this.#rowGroups.map((g) => () => {
            t.list(
              1,
              Thrift.STRUCT,
              g.chunks.map((chunk, i) => () => {
                const c = this.#columns[i]!;
                t.i64(2, chunk.offset);
                t.structField(3, () => {
                  t.i32(1, c.physical);
                  t.list(2, Thrift.I32, [() => t.raw(0), () => t.raw(3)]);
                  t.list(
                    3,
                    Thrift.BINARY,
                    (c.shape === 'list' ? [c.name, 'list', 'element'] : [c.name]).map((p) => () => t.rawString(p)),
                  );
                  t.i32(4, 0); // UNCOMPRESSED
                  t.i64(5, chunk.values);
                  t.i64(6, chunk.size);
                  t.i64(7, chunk.size);
                  t.i64(9, chunk.offset);
                });
              }),
            );
            t.i64(2, g.bytes);
            t.i64(3, g.rows);
          }),
        );
        t.binary(6, 'pma silver staging');
      });
      const footer = t.out.view();
      const tail = Buffer.alloc(8);
      tail.writeInt32LE(footer.length, 0);
      tail.write('PAR1', 4);
      this.#write(footer);
      this.#write(tail);
    } finally {
      closeSync(this.#fd);
    }
  }

  /** The schema as Parquet lists it: the root, then each column (a list as its three levels). */
  #schemaElements(t: Thrift): Array<() => void> {
    const out: Array<() => void> = [
      () => {
        t.binary(4, 'schema');
        t.i32(5, this.#columns.length);
      },
    ];
    const leaf = (name: string, c: LeafColumn, repetition: number) => () => {
      t.i32(1, c.physical);
      t.i32(3, repetition);
      t.binary(4, name);
      if (c.utf8) t.i32(6, 0); // UTF8
    };
    for (const c of this.#columns) {
      if (c.shape !== 'list') {
        out.push(leaf(c.name, c, c.shape === 'optional' ? 1 : 0));
        continue;
      }
      out.push(() => {
        t.i32(3, 0); // REQUIRED
        t.binary(4, c.name);
        t.i32(5, 1);
        t.i32(6, 3); // LIST
      });
      out.push(() => {
        t.i32(3, 2); // REPEATED
        t.binary(4, 'list');
        t.i32(5, 1);
      });
      out.push(leaf('element', c, 0));
    }
    return out;
  }

  /** Closes the file without a footer (after a failure; the caller removes it). */
  abandon(): void {
    closeSync(this.#fd);
  }

  #write(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(this.#fd, bytes, done, bytes.length - done);
    this.#at += bytes.length;
  }
}

/** Levels of bit width 1 as a 4-byte length, then one bit-packed run of the RLE hybrid. */
function levels(out: Bytes, bits: Bits): void {
  const packed = bits.packed();
  const groups = (bits.length + 7) >> 3;
  const header = varint((groups << 1) | 1);
  out.int32(header.length + groups);
  out.ensure(header.length + groups);
  out.buf.set(header, out.length);
  out.length += header.length;
  out.buf.set(packed, out.length);
  out.length += groups;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** Thrift's compact protocol, the few parts a Parquet footer and page header use. */
class Thrift {
  static readonly I32 = 5;
  static readonly BINARY = 8;
  static readonly STRUCT = 12;
  readonly out = new Bytes(1024);
  #last: number[] = [0];

  struct(body: () => void): void {
    this.#last.push(0);
    body();
    this.#byte(0);
    this.#last.pop();
  }

  structField(id: number, body: () => void): void {
    this.#field(id, Thrift.STRUCT);
    this.struct(body);
  }

  i32(id: number, v: number): void {
    this.#field(id, 5);
    this.raw(v);
  }

  i64(id: number, v: number): void {
    this.#field(id, 6);
    this.raw(v);
  }

  binary(id: number, s: string): void {
    this.#field(id, 8);
    this.rawString(s);
  }

  /** A list field; each item writes itself (a struct item's fields, or one raw value). */
  list(id: number, type: number, items: Array<() => void>): void {
    this.#field(id, 9);
    if (items.length < 15) this.#byte((items.length << 4) | type);
    else {
      this.#byte(0xf0 | type);
      this.#varint(items.length);
    }
    for (const item of items) {
      if (type === Thrift.STRUCT) this.struct(item);
      else item();
    }
  }

  /** A zig-zag varint (i32 or i64 value, or list item). */
  raw(v: number): void {
    this.#varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  rawString(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.#varint(bytes.length);
    this.out.ensure(bytes.length);
    bytes.copy(this.out.buf, this.out.length);
    this.out.length += bytes.length;
  }

  #field(id: number, type: number): void {
    const last = this.#last[this.#last.length - 1]!;
    const delta = id - last;
    if (delta > 0 && delta <= 15) this.#byte((delta << 4) | type);
    else {
      this.#byte(type);
      this.raw(id);
    }
    this.#last[this.#last.length - 1] = id;
  }

  #varint(n: number): void {
    for (const b of varint(n)) this.#byte(b);
  }

  #byte(b: number): void {
    this.out.ensure(1);
    this.out.buf[this.out.length++] = b;
  }
}
