/**
 * Avro bodies of one `dt` of one partition, packed end to end in chunks of 256 KiB (a body larger
 * than that gets a chunk of its own), with where each ends and which source offset it came from.
 * This is what the main thread buffers; the writer thread turns it into Arrow columns and Parquet,
 * so building columns does not compete with consuming. Chunks never grow or move: memory is the
 * bytes held plus at most one partly filled chunk.
 */

const CHUNK_BYTES = 256 * 1024;

export interface BodyChunk {
  bytes: Uint8Array;
  /** End of each body in `bytes` (the first starts at 0). */
  ends: Int32Array;
  offsets: Float64Array;
}

export interface PackedBodies {
  chunks: BodyChunk[];
  rows: number;
}

export class BodyBuffer {
  #chunks: BodyChunk[] = [];
  #bytes: Buffer | undefined;
  #ends: number[] = [];
  #offsets: number[] = [];
  #used = 0;
  #rows = 0;

  get rows(): number {
    return this.#rows;
  }

  /** Copies `buf[start, end)` in as one row from source offset `offset`. */
  append(buf: Buffer, start: number, end: number, offset: number): void {
    const len = end - start;
    if (!this.#bytes || this.#used + len > this.#bytes.length) {
      this.#seal();
      this.#bytes = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, len));
    }
    buf.copy(this.#bytes, this.#used, start, end);
    this.#used += len;
    this.#ends.push(this.#used);
    this.#offsets.push(offset);
    this.#rows++;
  }

  /** The packed rows, in buffers of their own (ready to transfer to another thread); the buffer starts afresh. */
  take(): PackedBodies {
    this.#seal();
    const out = { chunks: this.#chunks, rows: this.#rows };
    this.#chunks = [];
    this.#rows = 0;
    return out;
  }

  #seal(): void {
    if (!this.#bytes || this.#ends.length === 0) return;
    this.#chunks.push({ bytes: new Uint8Array(this.#bytes.buffer, 0, this.#used), ends: Int32Array.from(this.#ends), offsets: Float64Array.from(this.#offsets) });
    this.#bytes = undefined;
    this.#ends = [];
    this.#offsets = [];
    this.#used = 0;
  }
}

/** Calls `each` with every body of `chunks` in order: its bytes as `buf[start, end)` and its source offset. */
export function forEachBody(chunks: readonly BodyChunk[], each: (buf: Buffer, start: number, end: number, offset: number) => void): void {
  for (const chunk of chunks) {
    const buf = Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
    let start = 0;
    for (let i = 0; i < chunk.ends.length; i++) {
      const end = chunk.ends[i]!;
      each(buf, start, end, chunk.offsets[i]!);
      start = end;
    }
  }
}
