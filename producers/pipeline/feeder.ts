/**
 * Between a stage that discovers work faster than it can be done (a listing revealing thousands
 * of markets a second) and the workers: discovery adds units without ever waiting, the feeder
 * moves them into the bounded queue the workers drain, as room frees up. Every unit a feeder
 * holds already has its cursor in the log, so this list is an index of work known to be due,
 * not data at risk; the queue in front of the workers stays bounded.
 */
import type { BoundedQueue } from './queue.ts';

export class Feeder<T> {
  readonly #items: T[] = [];
  #head = 0;
  #closed = false;
  #wake: (() => void) | undefined;

  /** Adds units; never waits. */
  add(units: Iterable<T>): void {
    for (const u of units) this.#items.push(u);
    this.#wake?.();
  }

  /** No more units will be added. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  get waiting(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Moves units into `queue` until closed and empty (then closes the queue), or until the signal
   * aborts. Starts only once `gate` resolves, if given.
   */
  async run(queue: BoundedQueue<T>, signal: AbortSignal, gate?: Promise<unknown>): Promise<void> {
    try {
      if (gate) await gate;
      while (!signal.aborted) {
        if (this.#head < this.#items.length) {
          const item = this.#items[this.#head]!;
          await queue.push(item, signal);
          this.#head++;
          // Drop what was handed over now and then, so the list does not grow with the run.
          if (this.#head > 4_096 && this.#head * 2 > this.#items.length) {
            this.#items.splice(0, this.#head);
            this.#head = 0;
          }
          continue;
        }
        if (this.#closed) break;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
        this.#wake = undefined;
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      queue.close();
    }
  }
}
