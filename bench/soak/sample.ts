/**
 * One soak sample of a running `pma run`: what its own metrics endpoint says (RSS, heap, lag,
 * freshness), what the kernel says (open file descriptors), and what the disk says (the embedded
 * log and its WAL). Read from outside the process, so that sampling costs the run nothing but
 * one scrape.
 */
import { readdirSync, statSync } from 'node:fs';
import { heldBytes } from './log-usage.ts';

export interface SoakSample {
  /** Seconds since the run started. */
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
  openFds: number;
  /** The embedded log file plus its WAL. */
  logBytes: number;
  /** Bytes of records the raw topics hold (what retention removes), and the other topics. */
  rawHeldBytes: number;
  otherHeldBytes: number;
  /** Records between the log's end and the committed offsets of the stages that commit as they go (processors, Silver), all topics together. */
  lag: number;
  /** The same for Bronze, which commits when it publishes a file: bounded by its roll window, not by how far behind it is. */
  bronzeLag: number;
  /** Seconds since the newest trade Silver has written was made (NaN before the first). */
  silverTradeAgeSeconds: number;
}

/** The value of one series (labels matched as a substring of the label set), or the sum of all that match. */
export function metricValue(text: string, name: string, labels = '', sum = false): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    if (labels && !line.includes(labels)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!sum) return value;
    total += value;
    found = true;
  }
  return found ? total : Number.NaN;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Open descriptors of a process (Linux /proc; NaN where it cannot be read). */
export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

export async function takeSample(o: { pid: number; metricsUrl: string; dataDir: string; logPath: string; startedAt: number }): Promise<SoakSample> {
  const text = await (await fetch(o.metricsUrl, { signal: AbortSignal.timeout(10_000) })).text();
  const held = heldBytes(o.dataDir);
  const bronzeLag = metricValue(text, 'pma_consumer_lag', 'stage="bronze"', true) || 0;
  return {
    at: (Date.now() - o.startedAt) / 1000,
    rssBytes: metricValue(text, 'pma_process_resident_memory_bytes'),
    heapUsedBytes: metricValue(text, 'pma_nodejs_heap_size_used_bytes'),
    openFds: openFds(o.pid),
    logBytes: sizeOf(o.logPath) + sizeOf(`${o.logPath}-wal`),
    rawHeldBytes: held.raw,
    otherHeldBytes: held.other,
    lag: metricValue(text, 'pma_consumer_lag', '', true) - bronzeLag,
    bronzeLag,
    silverTradeAgeSeconds: metricValue(text, 'pma_newest_event_age_seconds', 'stage="silver",topic="pma.trades"'),
  };
}
