/**
 * Re-runs the models on a tag after its examples or description change, once the edits stop
 * for `delayMs`: a reviewer adding five examples in a row gets one re-run with all five in the
 * prompt, not five re-runs each with the examples of that moment. The re-run itself is the
 * sweep's reclassification, which redoes model decisions only (never a person's) and never
 * classifies the tag's examples.
 */
import type { SweepRequest } from './sweeper.ts';

/** The quiet time after the last edit before the re-run: a few clicks' worth. */
export const DEFAULT_RERUN_DELAY_MS = 5_000;

export class RerunScheduler {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #kick: (request: SweepRequest) => void;
  readonly #delayMs: number;
  /** Re-runs started so far (one per quiet period per tag). */
  started = 0;

  constructor(kick: (request: SweepRequest) => void, delayMs = DEFAULT_RERUN_DELAY_MS) {
    this.#kick = kick;
    this.#delayMs = delayMs;
  }

  get delayMs(): number {
    return this.#delayMs;
  }

  /** Tags whose re-run is waiting for the edits to stop. */
  get pending(): number {
    return this.#timers.size;
  }

  /** The tag changed: (re)start its quiet period. */
  changed(tagId: string): void {
    clearTimeout(this.#timers.get(tagId));
    const timer = setTimeout(() => {
      this.#timers.delete(tagId);
      this.started++;
      this.#kick({ tagId, reclassify: true });
    }, this.#delayMs);
    timer.unref();
    this.#timers.set(tagId, timer);
  }

  /** Drops every waiting re-run (the service is closing). */
  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
