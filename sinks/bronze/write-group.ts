/**
 * Publishes one write group (one partition's flush: a file per `dt`, all named for the same
 * offset range) so that a kill at any moment leaves either the whole group or none of it:
 *
 *   1. every file is written under its temporary name and fsynced (on the writer thread);
 *   2. only then is each renamed to its final name, and each directory fsynced.
 *
 * Recovery (recovery.ts) rolls a group forward when step 2 was under way and deletes its
 * temporaries when it was not. Step 2 of a partition's groups runs in offset order.
 */
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../common/fs-durable.ts';
import type { PackedBodies } from './body-buffer.ts';
import { ensureDtDir } from './dt-dirs.ts';
import { type FileRange, fileName, tempName } from './layout.ts';
import type { ParquetWriterPool } from './parquet/pool.ts';

export interface GroupResult {
  files: number;
  bytes: number;
}

export interface PreparedGroup {
  range: FileRange;
  /** Resolves once every temporary file is durable. */
  written: Promise<Array<{ dir: string; name: string; bytes: number }>>;
  rows: number;
}

/** Step 1: starts writing every `dt`'s rows of the group to its temporary file. */
export function writeTemporaries(typeDir: string, schema: string, range: FileRange, parts: Array<[string, PackedBodies]>, pool: ParquetWriterPool, knownDirs: Set<string>): PreparedGroup {
  const name = fileName(range);
  let rows = 0;
  const written = parts.map(async ([dt, bodies]) => {
    rows += bodies.rows;
    const dir = await ensureDtDir(typeDir, dt, knownDirs);
    const { bytes } = await pool.write(schema, range.partition, bodies, join(dir, tempName(name)));
    return { dir, name, bytes };
  });
  return { range, written: Promise.all(written), rows };
}

/** Step 2: renames the group's files into place. Call only after `written` resolved. */
export async function publish(parts: Array<{ dir: string; name: string; bytes: number }>): Promise<GroupResult> {
  let bytes = 0;
  for (const p of parts) {
    await rename(join(p.dir, tempName(p.name)), join(p.dir, p.name));
    bytes += p.bytes;
  }
  for (const dir of new Set(parts.map((p) => p.dir))) await fsyncDir(dir);
  return { files: parts.length, bytes };
}
