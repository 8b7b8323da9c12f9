/**
 * How far Silver and its snapshot got in each partition: from the running sink (its status
 * endpoint) when there is one, else from the offsets stored in the Silver file; the snapshot's
 * own stored offsets tell how far behind readers of the snapshot are.
 */
import { existsSync, statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { partitionKey } from '../../transport/partition-key.ts';
import { readAdvert } from './endpoint.ts';
import { OFFSETS_TABLE } from './schema.ts';
import type { PartitionOffset } from './writer.ts';

export interface SilverProgress {
  /** Where Silver's offsets came from; `missing` when there is no Silver file yet. */
  source: 'live' | 'file' | 'busy' | 'missing';
  pid?: number;
  offsets: PartitionOffset[];
  /** Epoch ms of the last commit (live sink only). */
  committedAt?: number;
  snapshot?: { path: string; publishedAt: number; offsets: PartitionOffset[] };
}

export async function readSilverProgress(silverPath: string, snapshotPath: string): Promise<SilverProgress> {
  const progress = await ofSilver(silverPath);
  if (existsSync(snapshotPath)) {
    const offsets = await storedOffsets(snapshotPath);
    if (offsets) progress.snapshot = { path: snapshotPath, publishedAt: statSync(snapshotPath).mtimeMs, offsets };
  }
  return progress;
}

async function ofSilver(silverPath: string): Promise<SilverProgress> {
  const advert = readAdvert(silverPath);
  if (advert) {
    try {
      const res = await fetch(`http://127.0.0.1:${advert.port}/status`, { headers: { authorization: `Bearer ${advert.token}` } });
      if (res.ok) {
        const body = (await res.json()) as { offsets: PartitionOffset[]; committedAt: number };
        return { source: 'live', pid: advert.pid, offsets: body.offsets, committedAt: body.committedAt || undefined };
      }
    } catch {
      // The sink stopped between reading its advert and asking it: read the file instead.
    }
  }
  if (!existsSync(silverPath)) return { source: 'missing', offsets: [] };
  const offsets = await storedOffsets(silverPath);
  return offsets ? { source: 'file', offsets } : { source: 'busy', offsets: [] };
}

/** The offsets stored in a Silver file, or undefined when another process holds it. */
async function storedOffsets(path: string): Promise<PartitionOffset[] | undefined> {
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  } catch {
    return undefined;
  }
  const conn = await instance.connect();
  try {
    const r = await conn.runAndReadAll(`SELECT topic, "partition", next_offset FROM ${OFFSETS_TABLE} ORDER BY ALL`);
    return r.getRows().map(([topic, partition, offset]) => ({ topic: String(topic), partition: Number(partition), offset: Number(offset) }));
  } catch {
    return [];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Records in the log that `offsets` have not reached, per topic, given each partition's start and end. */
export function recordsBehind(offsets: readonly PartitionOffset[], ends: ReadonlyArray<{ topic: string; partition: number; low: number; high: number }>): Map<string, number> {
  const at = new Map(offsets.map((o) => [partitionKey(o.topic, o.partition), o.offset]));
  const out = new Map<string, number>();
  for (const e of ends) {
    const next = Math.max(at.get(partitionKey(e.topic, e.partition)) ?? e.low, e.low);
    out.set(e.topic, (out.get(e.topic) ?? 0) + Math.max(0, e.high - next));
  }
  return out;
}
