/**
 * Publishes one write group (one partition's flush: a file per `dt`, all named for the same
 * offset range) so that a kill at any moment leaves either the whole group or none of it:
 *
 *   1. every file is written under its temporary name in `.tmp/` and fsynced (on the writer thread);
 *   2. only then is each renamed into its `dt=` directory, and each directory fsynced.
 *
 * Recovery (recovery.ts) rolls a group forward when step 2 was under way and deletes its
 * temporaries when it was not. Step 2 of a partition's groups runs in offset order, and each
 * rename holds its dt directory's lock, so that a compaction by another sink never swaps the
 * directory between the rename and the moment it takes the file into its new generation.
 */
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../common/fs-durable.ts';
import { sinkWriteError } from '../common/write-error.ts';
import type { PackedBodies } from './body-buffer.ts';
import { ensureDir, ensureDtDir } from './dt-dirs.ts';
import { type FileRange, fileName, tempDir, tempName, typeDir } from './layout.ts';
import type { DtLocker } from './locks.ts';
import type { ParquetWriterPool } from './parquet/pool.ts';

export interface GroupResult {
  files: number;
  bytes: number;
}

export interface GroupFile {
  type: string;
  dt: string;
  /** The temporary, under `.tmp/`. */
  temp: string;
  name: string;
  bytes: number;
}

export interface PreparedGroup {
  range: FileRange;
  /** Resolves once every temporary file is durable. */
  written: Promise<GroupFile[]>;
  rows: number;
}

/** Step 1: starts writing every `dt`'s rows of the group to its temporary file. */
export function writeTemporaries(root: string, type: string, schema: string, range: FileRange, parts: Array<[string, PackedBodies]>, pool: ParquetWriterPool, knownDirs: Set<string>): PreparedGroup {
  const name = fileName(range);
  let rows = 0;
  const written = parts.map(async ([dt, bodies]) => {
    rows += bodies.rows;
    const dir = tempDir(root, type, dt);
    if (!knownDirs.has(dir)) {
      await ensureDir(dir).catch((err: unknown) => {
        throw sinkWriteError(err, 'cannot create the directory', dir);
      });
      knownDirs.add(dir);
    }
    const temp = join(dir, tempName(name));
    const { bytes } = await pool.write(schema, range.partition, bodies, temp);
    return { type, dt, temp, name, bytes };
  });
  return { range, written: Promise.all(written), rows };
}

/** Step 2: renames the group's files into place. Call only after `written` resolved. */
export async function publish(root: string, parts: GroupFile[], withDt: DtLocker, knownDirs: Set<string>): Promise<GroupResult> {
  let bytes = 0;
  for (const p of parts) {
    await withDt(p.type, p.dt, async () => {
      const into = join(typeDir(root, p.type), `dt=${p.dt}`, p.name);
      try {
        const dir = await ensureDtDir(typeDir(root, p.type), p.dt, knownDirs);
        await rename(p.temp, join(dir, p.name));
        await fsyncDir(dir);
      } catch (err) {
        throw sinkWriteError(err, 'cannot publish', into);
      }
    });
    bytes += p.bytes;
  }
  return { files: parts.length, bytes };
}
