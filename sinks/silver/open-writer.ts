/**
 * Opening the Silver file as its one writer. DuckDB lets one process write the file, and any
 * process holding it open (even read-only, like `pma status` or `pma query` reading a file no sink
 * serves) makes the open fail. A reader lets go within moments, so the sink tries again for a
 * while; another sink (the process the writer claim `<file>.writer` names) holds the file for good,
 * so the sink fails at once, unless it was started as a standby: then it waits until the file is free
 * (its writer stopped, or was killed: the kernel drops a dead process's lock) and takes over,
 * resuming from the offsets stored in the file. Waits end with the stage's signal; nothing is read
 * or written meanwhile.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DuckDBInstance } from '@duckdb/node-api';
import { SinkError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { processAlive } from '../common/dir-lock.ts';
import { sinkWriteError } from '../common/write-error.ts';
import { openSilverDatabase, type SilverDatabaseOptions } from './writer.ts';

/** How often a waiting sink tries the file again: a takeover comes within this of the writer's death. */
const RETRY_MS = 250;

/** How long a sink that is no standby waits for a process other than a sink to let the file go. */
export const READER_WAIT_MS = 30_000;

/** DuckDB's refusal when another process holds the file, with that process's id. */
const HELD = /Could not set lock on file.*?\(PID (\d+)\)/s;

export interface OpenWriterOptions extends SilverDatabaseOptions {
  /** Wait for another sink writing the file to stop, instead of failing at once. */
  standby?: boolean;
  /** How long to wait for a holder that is not a sink (default READER_WAIT_MS). */
  readerWaitMs?: number;
}

/** The file opened for writing, or undefined if `signal` ended a wait first. */
export async function openAsWriter(path: string, options: OpenWriterOptions, signal: AbortSignal, logger: Logger): Promise<DuckDBInstance | undefined> {
  const readerDeadline = Date.now() + (options.readerWaitMs ?? READER_WAIT_MS);
  let waitingFor: string | undefined;
  while (!signal.aborted) {
    try {
      const instance = await openSilverDatabase(path, options);
      try {
        claim(path);
      } catch (err) {
        instance.closeSync();
        throw sinkWriteError(err, 'cannot write the Silver writer claim', claimPath(path));
      }
      if (waitingFor) logger.info('the Silver file is free: taking over as its writer', { path, previous: waitingFor });
      return instance;
    } catch (err) {
      const held = HELD.exec(String((err as Error).message));
      if (!held) throw err;
      const pid = held[1]!;
      const bySink = claimant(path) === Number(pid);
      if (bySink && !options.standby) {
        throw new SinkError(
          `${(err as Error).message}: another Silver sink (pid ${pid}) writes it; stop it, or start this one with --silver-standby to take over when it stops`,
          { path, pid: Number(pid) },
          { cause: err },
        );
      }
      if (!bySink && !options.standby && Date.now() > readerDeadline) {
        const seconds = Math.round((options.readerWaitMs ?? READER_WAIT_MS) / 1000);
        throw new SinkError(`process ${pid} has held ${path} open for over ${seconds} s, so no sink can write it`, { path, pid: Number(pid) }, { cause: err });
      }
      if (waitingFor !== pid) {
        logger.info(bySink ? 'another process writes the Silver file: waiting as a standby' : 'another process has the Silver file open: waiting for it to let go', { path, pid });
      }
      waitingFor = pid;
    }
    await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
  }
  return undefined;
}

const claimPath = (path: string): string => `${path}.writer`;

/** Says which process writes the file: its id, written after DuckDB granted this process the file. */
function claim(path: string): void {
  const temp = `${claimPath(path)}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ pid: process.pid, since: Date.now() }));
  renameSync(temp, claimPath(path));
}

/** The live process the writer claim names, if any. */
function claimant(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(claimPath(path), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw sinkWriteError(err, 'cannot read the Silver writer claim', claimPath(path));
  }
  const pid = (safeJson(text) as { pid?: unknown } | undefined)?.pid;
  return typeof pid === 'number' && processAlive(pid) ? pid : undefined;
}

/** A damaged claim names no writer: the next sink that opens the file writes a new one. */
function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Withdraws this process's writer claim, once it closed the file. */
export function releaseWriterClaim(path: string): void {
  if (claimant(path) === process.pid) rmSync(claimPath(path), { force: true });
}
