/**
 * A standby Silver sink: DuckDB lets one process write the file, so a second sink started on it
 * waits until the file is free (its writer stopped, or was killed: the kernel drops a dead
 * process's lock) and then takes over, resuming from the offsets stored in the file. The wait
 * ends with the stage's signal; nothing is read or written meanwhile.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from '../../runtime/logger.ts';
import { openSilverDatabase, type SilverDatabaseOptions } from './writer.ts';

/** How often a standby tries the file again: a takeover comes within this of the writer's death. */
const RETRY_MS = 250;

/** DuckDB's refusal when another process holds the write lock, with that process's id. */
const HELD = /Could not set lock on file.*?\(PID (\d+)\)/s;

/** The file opened for writing once free, or undefined if `signal` ended the wait first. */
export async function openWhenFree(path: string, options: SilverDatabaseOptions, signal: AbortSignal, logger: Logger): Promise<DuckDBInstance | undefined> {
  let waitingFor: string | undefined;
  while (!signal.aborted) {
    try {
      const instance = await openSilverDatabase(path, options);
      if (waitingFor) logger.info('the Silver file is free: taking over as its writer', { path, previous: waitingFor });
      return instance;
    } catch (err) {
      const held = HELD.exec(String((err as Error).message));
      if (!held) throw err;
      if (waitingFor !== held[1]) logger.info('another process writes the Silver file: waiting as a standby', { path, pid: held[1] });
      waitingFor = held[1];
    }
    await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
  }
  return undefined;
}
