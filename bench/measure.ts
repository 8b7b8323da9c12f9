/**
 * Shared pieces of the benchmarks: timing with a collected heap, peak RSS, the raw ceilings of
 * this machine (sequential file write with fdatasync per batch, sequential read back, Avro
 * encode/decode with the 5-byte Confluent header), and the result table every bench prints.
 */
import { closeSync, fdatasyncSync, openSync, readSync, writeSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { crc32 } from 'node:zlib';
import type avro from 'avsc';
import { BenchError } from '../runtime/errors.ts';

let gc: (() => void) | undefined;

/** Collects garbage before a phase, so it does not pay for the previous one (no --expose-gc needed). */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

export interface Timing {
  seconds: number;
  /** CPU time of the whole process (all threads, user + system) over the same span. */
  cpuSeconds: number;
}

/**
 * Runs `fn` after a garbage collection and returns how long it took, in wall-clock and in CPU
 * time (on a busy shared machine the CPU time says more about the code than the wall clock).
 */
export async function timed<T>(fn: () => Promise<T> | T): Promise<Timing & { result: T }> {
  collectGarbage();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, result };
}

/** Samples RSS every few ms; `peak()` is the highest seen since `start`. */
export function rssSampler(everyMs = 50): { peak(): number; stop(): void } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  timer.unref();
  return {
    peak: () => Math.max(peak, process.memoryUsage.rss()),
    stop: () => clearInterval(timer),
  };
}

/** The Confluent wire header for a schema id: magic byte 0 and the id as a big-endian int32. */
export function wireHeader(schemaId: number): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1);
  return header;
}

/**
 * Raw Avro encode with a hand-written 5-byte header, the way the fastest serde would do it: one
 * scratch buffer holding the header, `type.encode` after it, a copy of exactly the bytes written.
 */
export function rawEncoder(type: avro.Type, schemaId: number): (value: unknown) => Buffer {
  let scratch = Buffer.alloc(64 * 1024);
  wireHeader(schemaId).copy(scratch);
  return (value) => {
    let end = type.encode(value, scratch, 5);
    if (end < 0) {
      const bigger = Buffer.alloc(scratch.length - end);
      scratch.copy(bigger, 0, 0, 5);
      scratch = bigger;
      end = type.encode(value, scratch, 5);
    }
    const out = Buffer.allocUnsafe(end);
    scratch.copy(out, 0, 0, end);
    return out;
  };
}

/** Raw Avro decode of a wire-format message: header check, then `type.decode` after it. */
export function rawDecoder(type: avro.Type, schemaId: number): (message: Buffer) => unknown {
  return (message) => {
    if (message[0] !== 0 || message.readInt32BE(1) !== schemaId) throw new BenchError('bad wire header', { schemaId });
    const { value, offset } = type.decode(message, 5);
    if (offset !== message.length) throw new BenchError('trailing bytes after the Avro body', { schemaId, bytes: message.length - offset });
    return value;
  };
}

/** A batch of records as the raw ceiling writes them. */
export type RawBatch = Array<{ key: Buffer | null; value: Buffer }>;

/**
 * The disk ceiling: appends batches to a fresh file as framed batches (`u32 length, u32 crc32,
 * u32 count`, then `u32 length + bytes` per key and per value), one write and one fdatasync per
 * batch, as a log that acknowledges each batch durably must at least do. `batchAt(i)` makes
 * batch i (not timed); returns the time spent framing, writing and syncing.
 */
export function rawWrite(path: string, batches: number, batchAt: (i: number) => RawBatch): Timing {
  const fd = openSync(path, 'w');
  let ns = 0n;
  let cpuMicros = 0;
  try {
    for (let b = 0; b < batches; b++) {
      const batch = batchAt(b);
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      let size = 12;
      for (const r of batch) size += 8 + (r.key?.length ?? 0) + r.value.length;
      const buf = Buffer.allocUnsafe(size);
      let pos = 12;
      for (const r of batch) {
        pos = buf.writeUInt32LE(r.key?.length ?? 0, pos);
        if (r.key) pos += r.key.copy(buf, pos);
        pos = buf.writeUInt32LE(r.value.length, pos);
        pos += r.value.copy(buf, pos);
      }
      buf.writeUInt32LE(size, 0);
      buf.writeUInt32LE(batch.length, 8);
      buf.writeUInt32LE(crc32(buf.subarray(12)), 4);
      writeSync(fd, buf);
      fdatasyncSync(fd);
      ns += process.hrtime.bigint() - start;
      const used = process.cpuUsage(cpu);
      cpuMicros += used.user + used.system;
    }
  } finally {
    closeSync(fd);
  }
  return { seconds: Number(ns) / 1e9, cpuSeconds: cpuMicros / 1e6 };
}

/** The read ceiling: reads a `rawWrite` file back in 4 MiB chunks, checking each batch's CRC, calling `onValue` per value. */
export function rawRead(path: string, onValue: (value: Buffer) => void): number {
  const fd = openSync(path, 'r');
  let count = 0;
  try {
    let chunk = Buffer.allocUnsafe(4 * 1024 * 1024);
    let have = 0;
    let position = 0;
    for (;;) {
      const n = readSync(fd, chunk, have, chunk.length - have, position);
      position += n;
      have += n;
      let at = 0;
      while (have - at >= 12) {
        const size = chunk.readUInt32LE(at);
        if (have - at < size) break;
        const batch = chunk.subarray(at, at + size);
        if (crc32(batch.subarray(12)) !== batch.readUInt32LE(4)) throw new BenchError(`bad crc at ${position}`, { path });
        const records = batch.readUInt32LE(8);
        let pos = 12;
        for (let i = 0; i < records; i++) {
          pos += 4 + batch.readUInt32LE(pos);
          const len = batch.readUInt32LE(pos);
          onValue(batch.subarray(pos + 4, pos + 4 + len));
          pos += 4 + len;
        }
        count += records;
        at += size;
      }
      if (n === 0) break;
      const rest = chunk.subarray(at, have);
      if (rest.length > chunk.length / 2) {
        const bigger = Buffer.allocUnsafe(chunk.length * 2);
        rest.copy(bigger);
        chunk = bigger;
      } else rest.copy(chunk);
      have = rest.length;
    }
  } finally {
    closeSync(fd);
  }
  return count;
}

/** Records per second and MB per second of one measured phase. */
export interface Rate {
  records: number;
  bytes: number;
  seconds: number;
  cpuSeconds?: number;
}

export const perSecond = (r: Rate) => r.records / r.seconds;
export const mbPerSecond = (r: Rate) => r.bytes / r.seconds / 1e6;

/** The ceiling of a pipeline of serial steps over the same records: their times add up. */
export function serial(...steps: Rate[]): Rate {
  const rate: Rate = { records: steps[0]!.records, bytes: steps[0]!.bytes, seconds: steps.reduce((s, r) => s + r.seconds, 0) };
  if (steps.every((r) => r.cpuSeconds !== undefined)) rate.cpuSeconds = steps.reduce((s, r) => s + r.cpuSeconds!, 0);
  return rate;
}

/** One line of a bench's result table: a measured phase beside its ceiling. */
export interface ResultRow {
  phase: string;
  measured: Rate;
  ceiling: Rate;
  /** Absolute goal in records/s, if the phase has one. */
  goal?: number;
  /** Share of the ceiling the phase must reach. */
  goalRatio?: number;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** Renders result rows as an aligned text table, with a verdict per goal. */
export function formatTable(rows: ResultRow[]): string {
  const header = ['phase', 'records/s', 'MB/s', 'ceiling rec/s', 'ceiling MB/s', 'of ceiling', 'goal'];
  const lines = rows.map((r) => {
    const ratio = perSecond(r.measured) / perSecond(r.ceiling);
    const goals: string[] = [];
    if (r.goal !== undefined) goals.push(`>= ${int(r.goal)}/s ${perSecond(r.measured) >= r.goal ? 'met' : 'MISSED'}`);
    if (r.goalRatio !== undefined) goals.push(`>= ${Math.round(r.goalRatio * 100)}% ${ratio >= r.goalRatio ? 'met' : 'MISSED'}`);
    return [r.phase, int(perSecond(r.measured)), mbPerSecond(r.measured).toFixed(1), int(perSecond(r.ceiling)), mbPerSecond(r.ceiling).toFixed(1), `${(ratio * 100).toFixed(0)}%`, goals.join(', ')];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...lines.map(fmt)].join('\n');
}

/** True when every goal of every row was met. */
export function goalsMet(rows: ResultRow[]): boolean {
  return rows.every((r) => (r.goal === undefined || perSecond(r.measured) >= r.goal) && (r.goalRatio === undefined || perSecond(r.measured) / perSecond(r.ceiling) >= r.goalRatio));
}

export function formatRate(r: Rate): string {
  const cpu = r.cpuSeconds === undefined ? '' : `, cpu ${r.cpuSeconds.toFixed(2)} s`;
  return `${int(perSecond(r))} rec/s, ${mbPerSecond(r).toFixed(1)} MB/s (${r.seconds.toFixed(2)} s${cpu})`;
}
