/**
 * Avro bodies of one `dt` of one partition, packed end to end in one growable buffer, with where
 * each ends and which source offset it came from. This is what the main thread buffers; the
 * writer thread turns it into Arrow columns and Parquet (so building columns does not compete
 * with consuming for the main thread).
 */

export interface PackedBodies {
  /** The bodies, end to end; only the first `ends[rows - 1]` bytes are used. */
  bytes: Uint8Array;
  ends: Int32Array;
  offsets: Float64Array;
  rows: number;
}

export class BodyBuffer {
  #bytes = Buffer.allocUnsafe(64 * 1024);
  #ends = new Int32Array(1024);
  #offsets = new Float64Array(1024);
  #rows = 0;
  #size = 0;

  get rows(): number {
    return this.#rows;
  }

  get size(): number {
    return this.#size;
  }

  /** Copies `buf[start, end)` in as one row from source offset `offset`. */
  append(buf: Buffer, start: number, end: number, offset: number): void {
    const len = end - start;
    if (this.#size + len > this.#bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#size + len, this.#bytes.length * 2));
      this.#bytes.copy(grown, 0, 0, this.#size);
      this.#bytes = grown;
    }
    buf.copy(this.#bytes, this.#size, start, end);
    this.#size += len;
    if (this.#rows === this.#ends.length) {
      const ends = new Int32Array(this.#rows * 2);
      ends.set(this.#ends);
      this.#ends = ends;
      const offsets = new Float64Array(this.#rows * 2);
      offsets.set(this.#offsets);
      this.#offsets = offsets;
    }
    this.#ends[this.#rows] = this.#size;
    this.#offsets[this.#rows] = offset;
    this.#rows++;
  }

  /** The packed rows, in buffers of their own (ready to transfer to another thread); the buffer starts afresh. */
  take(): PackedBodies {
    // Buffers of 4 KiB and more own their ArrayBuffer, so it can be handed over without a copy.
    const own = this.#bytes.byteOffset === 0 && this.#bytes.buffer.byteLength === this.#bytes.length;
    const bytes = own ? new Uint8Array(this.#bytes.buffer, 0, this.#size) : Uint8Array.from(this.#bytes.subarray(0, this.#size));
    const out = { bytes, ends: this.#ends.slice(0, this.#rows), offsets: this.#offsets.slice(0, this.#rows), rows: this.#rows };
    this.#bytes = Buffer.allocUnsafe(64 * 1024);
    this.#ends = new Int32Array(1024);
    this.#offsets = new Float64Array(1024);
    this.#rows = 0;
    this.#size = 0;
    return out;
  }
}
