/**
 * The shape of golden/expected.json, shared by make-golden.ts (which writes it from its intent)
 * and golden.spec.ts (which holds the committed log and batch to it). Bytes are spelled as UTF-8
 * text or hex so the file stays readable and diffable; Avro values are spelled as the value and
 * the schema id, so the expectation does not depend on the serde under test.
 */

/** A key or value: null, UTF-8 text, or raw bytes as hex ("" is zero bytes, not null). */
export type JsonBytes = null | { utf8: string } | { hex: string };

/** A value in the Confluent wire format: magic 0, big-endian schema id, Avro binary body. */
export interface JsonAvroValue {
  avro: {
    schemaId: number;
    /** The value as written, with its writer schema. */
    value: Record<string, unknown>;
    /** The same value read with the subject's latest schema (schema resolution fills defaults). */
    asLatest: Record<string, unknown>;
  };
}

export interface GoldenRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: JsonBytes;
  value: JsonBytes | JsonAvroValue;
  headers: Record<string, string>;
}

export interface GoldenTopic {
  name: string;
  partitions: number;
  cleanupPolicy: 'delete' | 'compact';
  retentionMs?: number;
  retentionBytes?: number;
  offsets: Array<{ partition: number; low: number; high: number }>;
  /** Every record a consumer reads from the start, in partition then offset order. */
  records: GoldenRecord[];
  /** Offsets that were written and then removed by compaction: the gaps a reader must skip. */
  compactedAway?: Array<{ partition: number; offset: number }>;
}

export interface GoldenSubject {
  subject: string;
  /** Live versions, ascending. */
  versions: Array<{ version: number; id: number }>;
  /** Soft-deleted versions: hidden from the subject, their ids still resolve. */
  deletedVersions: Array<{ version: number; id: number }>;
  /** The subject's own compatibility level, or null when the global one applies. */
  compatibility: string | null;
}

export interface GoldenBatchRecord {
  key: JsonBytes;
  value: JsonBytes;
  /** Absent means "no headers" (the encoder's undefined), decoded as {}. */
  headers?: Record<string, string>;
  /** Absent means the encoder's `now`. */
  timestamp?: number;
}

export interface GoldenExpectation {
  about: string;
  log: {
    file: string;
    /** `log_meta.schema_version` as the file was written. */
    schemaVersion: number;
    topics: GoldenTopic[];
    groups: Array<{ groupId: string; offsets: Array<{ topic: string; partition: number; offset: number }> }>;
  };
  registry: {
    schemas: Array<{ id: number; schema: unknown }>;
    /** Subjects with at least one live version, sorted by name. */
    subjects: GoldenSubject[];
  };
  batch: {
    file: string;
    /** The format byte the batch starts with. */
    format: number;
    /** The `now` the encoder was given, and the base offset the batch is decoded at. */
    now: number;
    baseOffset: number;
    records: GoldenBatchRecord[];
  };
}

export function bytesOf(b: JsonBytes): Buffer | null {
  if (b === null) return null;
  return 'utf8' in b ? Buffer.from(b.utf8, 'utf8') : Buffer.from(b.hex, 'hex');
}

/** Confluent wire format around an Avro body. */
export function wireFormat(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

/**
 * Headers whose names JSON and object literals treat specially ("__proto__") made into plain
 * own properties, the way the batch decoder builds them.
 */
export function plainHeaders(entries: Array<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of entries) Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  return out;
}
