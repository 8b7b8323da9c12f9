/**
 * The binary framing of one stored record batch (the `payload` of a `log_batches` row).
 *
 *   u8  format (1) | u32 crc32 of everything after it | u32 record count | records…
 *   record: u32 offset delta | f64 timestamp ms | i32 key length (-1 = null) | key
 *           | i32 value length (-1 = null) | value | u32 header count
 *           | per header: u32 name length | name (UTF-8) | u32 value length | value (UTF-8)
 *
 * Little-endian throughout. Offset deltas are relative to the row's base offset; they are
 * consecutive for produced batches and may have gaps after compaction.
 */
import { crc32 } from 'node:zlib';
import { TransportError } from '../../runtime/errors.ts';
import type { ConsumedRecord, Headers, ProduceRecord } from '../types.ts';

const FORMAT = 1;
const HEADER_BYTES = 9;
const FIXED_RECORD_BYTES = 4 + 8 + 4 + 4 + 4;

export interface EncodedBatch {
  payload: Buffer;
  count: number;
  /** Offset delta of the last record (count - 1 unless there are gaps). */
  lastDelta: number;
  firstTimestamp: number;
  maxTimestamp: number;
  /** Bytes of keys and values (what retention and fetch limits count). */
  dataBytes: number;
}

/** A record as the encoder sees it: produced records get consecutive deltas, rewrites keep theirs. */
interface Encodable {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers?: Headers | undefined;
}

/** A record's header block as stored: u32 count, then each name and value with its u32 length. */
function headerBlock(headers: Headers): Buffer {
  const names = Object.keys(headers);
  let size = 4;
  for (const name of names) {
    const value = headers[name];
    if (typeof value !== 'string') {
      throw new TransportError(`header "${name}" must be a string, got ${typeof value}`, { field: `headers.${name}` });
    }
    size += 8 + Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  const block = Buffer.allocUnsafe(size);
  let pos = block.writeUInt32LE(names.length, 0);
  for (const name of names) {
    pos = writeString(block, pos, name);
    pos = writeString(block, pos, headers[name]!);
  }
  return block;
}

/** Sizes of a run of records, with the header blocks they use (records usually share a few header objects). */
export interface Measured {
  size: number;
  dataBytes: number;
  blocks: Map<Headers, Buffer>;
}

/** Exact encoded size of `items[start..end)`, checking every key, value and header on the way. */
export function measure(items: readonly Encodable[], start: number, end: number): Measured {
  let size = HEADER_BYTES;
  let dataBytes = 0;
  const blocks = new Map<Headers, Buffer>();
  for (let i = start; i < end; i++) {
    const r = items[i]!;
    const k = byteLength(r.key, 'key', i);
    const v = byteLength(r.value, 'value', i);
    dataBytes += k + v;
    let headers = 4;
    if (r.headers !== undefined) {
      let block = blocks.get(r.headers);
      if (!block) {
        block = headerBlock(r.headers);
        blocks.set(r.headers, block);
      }
      headers = block.length;
    }
    size += FIXED_RECORD_BYTES - 4 + k + v + headers;
  }
  return { size, dataBytes, blocks };
}

/** Writes `items[start..end)` into `buf` (at least `measure(...).size` bytes long) from byte 0. */
function write(buf: Buffer, items: readonly Encodable[], start: number, end: number, delta: (i: number) => number, timestamp: (i: number) => number, measured: Measured): EncodedBatch {
  buf[0] = FORMAT;
  buf.writeUInt32LE(end - start, 5);
  let pos = HEADER_BYTES;
  let first = 0;
  let max = 0;
  for (let i = start; i < end; i++) {
    const r = items[i]!;
    const ts = timestamp(i);
    if (i === start) {
      first = ts;
      max = ts;
    } else if (ts > max) max = ts;
    pos = buf.writeUInt32LE(delta(i), pos);
    pos = buf.writeDoubleLE(ts, pos);
    pos = writeBytes(buf, pos, r.key);
    pos = writeBytes(buf, pos, r.value);
    if (r.headers === undefined) {
      pos = buf.writeUInt32LE(0, pos);
      continue;
    }
    const block = measured.blocks.get(r.headers)!;
    buf.set(block, pos);
    pos += block.length;
  }
  const payload = buf.subarray(0, measured.size);
  payload.writeUInt32LE(crc32(payload.subarray(5)), 1);
  return { payload, count: end - start, lastDelta: delta(end - 1), firstTimestamp: first, maxTimestamp: max, dataBytes: measured.dataBytes };
}

/** Length of a key or value, checking it is bytes (or null/absent, stored as null). */
function byteLength(bytes: Uint8Array | null | undefined, field: 'key' | 'value', index: number): number {
  if (bytes == null) return 0;
  if (!(bytes instanceof Uint8Array)) {
    throw new TransportError(`record ${index}: ${field} must be a Buffer or null, got ${typeof bytes}`, { field });
  }
  return bytes.length;
}

function writeBytes(buf: Buffer, pos: number, bytes: Uint8Array | null | undefined): number {
  if (bytes == null) return buf.writeInt32LE(-1, pos);
  pos = buf.writeInt32LE(bytes.length, pos);
  buf.set(bytes, pos);
  return pos + bytes.length;
}

function writeString(buf: Buffer, pos: number, s: string): number {
  const n = buf.write(s, pos + 4, 'utf8');
  buf.writeUInt32LE(n, pos);
  return pos + 4 + n;
}

/**
 * Encodes `records[start..end)` as a freshly produced batch (consecutive offsets, timestamps
 * defaulting to `now`) into `target` if it is large enough, else into a new buffer. The payload
 * is a view of that buffer, valid until the buffer is reused.
 */
export function encodeProduced(records: readonly ProduceRecord[], start: number, end: number, now: number, target?: Buffer, measured = measure(records, start, end)): EncodedBatch {
  const buf = target && target.length >= measured.size ? target : Buffer.allocUnsafe(measured.size);
  return write(
    buf,
    records,
    start,
    end,
    (i) => i - start,
    (i) => records[i]!.timestamp ?? now,
    measured,
  );
}

/** Encodes already-stored records again (compaction), keeping their offsets and timestamps. */
export function encodeStored(records: readonly ConsumedRecord[], baseOffset: number): EncodedBatch {
  const measured = measure(records, 0, records.length);
  return write(
    Buffer.allocUnsafe(measured.size),
    records,
    0,
    records.length,
    (i) => records[i]!.offset - baseOffset,
    (i) => records[i]!.timestamp,
    measured,
  );
}

/** Where a batch row lives, for error messages. */
export interface BatchLocation {
  topic: string;
  partition: number;
  baseOffset: number;
  /** The batch's last offset as its row says, named in errors when known. */
  lastOffset?: number;
  /** The log file, named in errors when known. */
  path?: string;
}

/** Limits of one poll, shared by the decode calls that fill it. */
export interface DecodeBudget {
  records: number;
  bytes: number;
  /** Records taken so far in this poll. */
  taken: number;
}

/**
 * Appends the records of one stored batch with offset >= `fromOffset` to `out`, while the
 * budget lasts. The first record of a poll is taken whatever its size, so an oversized record
 * still flows. Returns the offset of the last record taken, or -1 if none was.
 */
export function decodeBatch(payload: Uint8Array, where: BatchLocation, fromOffset: number, out: ConsumedRecord[], budget: DecodeBudget): number {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (buf.length < HEADER_BYTES || buf[0] !== FORMAT) throw corrupt(where, `unknown batch format ${buf[0]}`);
  if (crc32(buf.subarray(5)) !== buf.readUInt32LE(1)) throw corrupt(where, 'checksum mismatch');
  const count = buf.readUInt32LE(5);
  const end = buf.length;
  const { topic, partition, baseOffset } = where;
  let pos = HEADER_BYTES;
  let last = -1;
  for (let n = 0; n < count; n++) {
    if (pos + FIXED_RECORD_BYTES > end) throw corrupt(where, 'truncated record');
    const offset = baseOffset + buf.readUInt32LE(pos);
    const keyLen = buf.readInt32LE(pos + 12);
    const keyAt = pos + 16;
    const valueLenAt = keyAt + Math.max(keyLen, 0);
    if (valueLenAt + 8 > end) throw corrupt(where, 'record overruns its batch');
    const valueLen = buf.readInt32LE(valueLenAt);
    const valueAt = valueLenAt + 4;
    const headersAt = valueAt + Math.max(valueLen, 0);
    if (headersAt + 4 > end) throw corrupt(where, 'record overruns its batch');
    const headerCount = buf.readUInt32LE(headersAt);
    let next = headersAt + 4;
    if (offset < fromOffset) {
      for (let h = 0; h < headerCount * 2; h++) next += 4 + buf.readUInt32LE(next);
      pos = next;
      continue;
    }
    const size = Math.max(keyLen, 0) + Math.max(valueLen, 0);
    if (budget.taken > 0 && (budget.records <= 0 || budget.bytes < size)) break;
    const headers: Headers = {};
    for (let h = 0; h < headerCount; h++) {
      const nameLen = buf.readUInt32LE(next);
      const name = buf.toString('utf8', next + 4, next + 4 + nameLen);
      next += 4 + nameLen;
      const valueLength = buf.readUInt32LE(next);
      setHeader(headers, name, buf.toString('utf8', next + 4, next + 4 + valueLength));
      next += 4 + valueLength;
    }
    if (next > end) throw corrupt(where, 'record overruns its batch');
    out.push({
      topic,
      partition,
      offset,
      timestamp: buf.readDoubleLE(pos + 4),
      key: keyLen < 0 ? null : buf.subarray(keyAt, keyAt + keyLen),
      value: valueLen < 0 ? null : buf.subarray(valueAt, valueAt + valueLen),
      headers,
    });
    budget.records--;
    budget.bytes -= size;
    budget.taken++;
    last = offset;
    pos = next;
  }
  return last;
}

/** Header names come from producers: "__proto__" must become a plain key, not a prototype. */
function setHeader(headers: Headers, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  else headers[name] = value;
}

function corrupt(where: BatchLocation, why: string): TransportError {
  return new TransportError(`corrupt record batch in the embedded log: ${why}`, {
    path: where.path,
    topic: where.topic,
    partition: where.partition,
    offset: where.baseOffset,
    lastOffset: where.lastOffset,
  });
}
