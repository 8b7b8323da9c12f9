/**
 * What `pma verify` reports: one finding per piece of damage, from whichever layer found it. Each
 * layer's checks live beside that layer (transport/embedded/verify.ts, sinks/bronze/verify.ts,
 * sinks/silver/verify.ts) and return these, so the command only composes and prints them.
 */
import type { ConsumedRecord } from '../transport/types.ts';

export type VerifyLayer = 'log' | 'bronze' | 'silver' | 'snapshot' | 'temp';

export interface Finding {
  layer: VerifyLayer;
  /** crc, missing, duplicate, behind, ahead, stale, leftover, unreadable, lost. */
  kind: string;
  topic?: string;
  partition?: number;
  /** First and last offset concerned, where the finding is about offsets. */
  from?: number;
  to?: number;
  detail: string;
  /** Set by --repair: whether the damage is gone. */
  repaired?: boolean;
  /** Set by --repair: repaired, quarantined, rebuilt, or "cannot repair: <why>". */
  action?: string;
  /** Records that are gone for good (a quarantined batch). */
  lost?: number;
}

/** Sorted offsets as runs of consecutive ones: [first, last] pairs. */
export function offsetRuns(sorted: readonly number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const o of sorted) {
    const last = runs[runs.length - 1];
    if (last && o === last[1] + 1) last[1] = o;
    else runs.push([o, o]);
  }
  return runs;
}

/** Marks a finding as handled by a repair. */
export function settle(finding: Finding, repaired: boolean, action: string): Finding {
  finding.repaired = repaired;
  finding.action = action;
  return finding;
}

/** Bounds of one partition of a topic in the log: first offset still there, and the next to be written. */
export interface LogPartitionBounds {
  partition: number;
  low: number;
  high: number;
}

/** The records a check reads from the log, whichever transport holds it. */
export interface LogRecordSource {
  /** Partitions of the topic; empty when it does not exist. */
  bounds(topic: string): Promise<LogPartitionBounds[]>;
  /** Committed offsets of a consumer group on a topic (next offset to read), by partition. */
  committed(groupId: string, topic: string): Promise<Map<number, number>>;
  /**
   * Calls `each` with the records of offsets from..to (inclusive) still in the log, in offset
   * order. Batches that cannot be read are passed over (the log's own checks report them).
   */
  read(topic: string, partition: number, from: number, to: number, each: (records: readonly ConsumedRecord[]) => Promise<void> | void): Promise<void>;
}
