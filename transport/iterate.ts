import type { Consumer, RecordBatch } from './types.ts';

/** Async-iterates a consumer's batches until the signal aborts; ends cleanly on abort. */
export async function* batches(consumer: Consumer, signal: AbortSignal, waitMs = 1_000): AsyncGenerator<RecordBatch> {
  while (!signal.aborted) {
    let got: RecordBatch[];
    try {
      got = await consumer.poll({ waitMs, signal });
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    yield* got;
  }
}
