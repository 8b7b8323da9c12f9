/**
 * The one consume loop every stage runs (processors, both sinks, the tagger's consumers):
 *
 *   poll (sources in priority order) -> handle -> [caught up? stop] -> repeat until aborted
 *
 * `handle` runs after every poll, empty ones included, so time-based work (a flush window, held
 * records timing out, a commit) happens without records arriving. An abort ends the loop as
 * 'stopped'; only a stage that asked for `until: 'caught-up'` ends as 'caught-up'.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Consumer, RecordBatch } from '../../transport/types.ts';
import { AbortedError, ConsumerStateError } from '../errors.ts';
import type { StageMetrics } from './metrics.ts';
import type { StopReason, Until } from './options.ts';

export interface ConsumeLoop {
  signal: AbortSignal;
  until: Until;
  /**
   * Polled in priority order: every source but the last without waiting, the last with `waitMs()`
   * unless an earlier one returned records (reference data before the facts that need it).
   */
  sources: readonly Consumer[];
  /** How long the last source may wait for records this turn. */
  waitMs(): number;
  /** Takes one poll's batches (possibly none). */
  handle(batches: RecordBatch[]): Promise<void>;
  /** With `until: 'caught-up'`: whether the stage has read and finished everything. */
  caughtUp?(): Promise<boolean>;
  /**
   * When `caughtUp` is asked: 'idle' (after a poll that returned nothing; it costs admin calls)
   * or 'every-turn' (before each poll; for checks against the stage's own positions, so a stage
   * behind a busy producer still stops at the end it was given).
   */
  checkCaughtUp?: 'idle' | 'every-turn';
  /** A failure raised outside the loop (a writer thread, a classifier); checked every turn. */
  failure?(): unknown;
  /** Counts what each poll read. */
  metrics?: StageMetrics;
}

export async function consumeLoop(loop: ConsumeLoop): Promise<StopReason> {
  const { signal, sources } = loop;
  if (loop.until === 'caught-up' && !loop.caughtUp) throw new ConsumerStateError('a stage that runs until caught up needs its caughtUp check');
  const every = loop.until === 'caught-up' && loop.checkCaughtUp === 'every-turn';
  const whenIdle = loop.until === 'caught-up' && !every;
  while (!signal.aborted) {
    throwIfFailed(loop);
    if (every && (await loop.caughtUp!())) return 'caught-up';
    let batches: RecordBatch[];
    try {
      batches = await pollInOrder(sources, loop.waitMs(), signal);
    } catch (err) {
      if (err instanceof AbortedError || signal.aborted) break;
      throw err;
    }
    loop.metrics?.polled(batches);
    try {
      await loop.handle(batches);
    } catch (err) {
      if (err instanceof AbortedError && signal.aborted) break;
      throw err;
    }
    throwIfFailed(loop);
    if (batches.length === 0) {
      if (whenIdle && (await loop.caughtUp!())) return 'caught-up';
    } else {
      // A poll served from a consumer's buffer resolves at once: without a turn here, work that
      // resumes on the event loop (a DuckDB merge, a writer thread's reply) would wait until the
      // log ran dry.
      await yieldToEventLoop();
    }
  }
  return 'stopped';
}

async function pollInOrder(sources: readonly Consumer[], waitMs: number, signal: AbortSignal): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for (let i = 0; i < sources.length; i++) {
    const last = i === sources.length - 1;
    const got = await sources[i]!.poll({ waitMs: last && out.length === 0 ? waitMs : 0, signal });
    for (const b of got) out.push(b);
  }
  return out;
}

function throwIfFailed(loop: ConsumeLoop): void {
  const failure = loop.failure?.();
  if (failure) throw failure;
}
