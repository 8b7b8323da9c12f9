/**
 * A bounded FIFO between chain stages: `push` waits while the queue is full (backpressure on the
 * stage that discovers work), consumers iterate until the queue is closed and drained. Closing
 * wakes everyone; pushing after close is refused.
 */
import { AbortedError } from '../../runtime/errors.ts';

export class BoundedQueue<T> implements AsyncIterable<T> {
  readonly capacity: number;
  readonly #items: T[] = [];
  #closed = false;
  readonly #spaceWaiters: Array<() => void> = [];
  readonly #itemWaiters: Array<() => void> = [];

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('queue capacity must be >= 1');
    this.capacity = capacity;
  }

  get size(): number {
    return this.#items.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Adds an item, waiting for room; rejects with AbortedError if the signal aborts first. */
  async push(item: T, signal?: AbortSignal): Promise<void> {
    while (this.#items.length >= this.capacity && !this.#closed) {
      if (signal?.aborted) throw new AbortedError('queue push aborted');
      await waitFor(this.#spaceWaiters, signal);
    }
    if (this.#closed) throw new AbortedError('queue closed');
    this.#items.push(item);
    this.#itemWaiters.shift()?.();
  }

  /** No more items will come; consumers finish what is queued. */
  close(): void {
    this.#closed = true;
    for (const w of this.#itemWaiters.splice(0)) w();
    for (const w of this.#spaceWaiters.splice(0)) w();
  }

  /** The next item, or undefined once closed and empty (or when the signal aborts). */
  async take(signal?: AbortSignal): Promise<T | undefined> {
    for (;;) {
      if (this.#items.length > 0) {
        const item = this.#items.shift()!;
        this.#spaceWaiters.shift()?.();
        return item;
      }
      if (this.#closed || signal?.aborted) return undefined;
      await waitFor(this.#itemWaiters, signal);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = await this.take();
      if (item === undefined) return;
      yield item;
    }
  }
}

function waitFor(waiters: Array<() => void>, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      const i = waiters.indexOf(done);
      if (i >= 0) waiters.splice(i, 1);
      resolve();
    };
    waiters.push(done);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `work` on every item of `queue` with `workers` concurrent loops; resolves when the queue
 * is closed and drained (or the signal stops new items). The first error of `work` is rethrown
 * after all loops have ended.
 */
export async function drainWith<T>(queue: BoundedQueue<T>, workers: number, work: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let failure: unknown;
  const loop = async () => {
    for (;;) {
      if (signal?.aborted || failure !== undefined) return;
      const item = await queue.take(signal);
      if (item === undefined) return;
      try {
        await work(item);
      } catch (err) {
        failure ??= err;
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, workers) }, loop));
  if (failure !== undefined) throw failure;
}
