/**
 * A stage's dead letters: records it cannot use wait here until the stage flushes them, which it
 * does before committing past them, so a crash in between re-reads the record rather than losing
 * it. The producer is made on the first letter: most runs have none.
 */
import { type DeadLetter, type DeadLetterReason, sendDeadLetters } from '../../registry/dead-letter.ts';
import type { ConsumedRecord, Producer, Transport } from '../../transport/types.ts';
import type { Logger } from '../logger.ts';
import type { StageMetrics } from './metrics.ts';

export class DeadLetterOutbox {
  readonly #transport: Transport;
  readonly #stage: string;
  readonly #log: Logger;
  readonly #metrics: StageMetrics | undefined;
  #letters: DeadLetter[] = [];
  #producer: Producer | undefined;
  #sent = 0;

  constructor(transport: Transport, stage: string, logger: Logger, metrics?: StageMetrics) {
    this.#transport = transport;
    this.#stage = stage;
    this.#log = logger;
    this.#metrics = metrics;
  }

  add(record: ConsumedRecord, reason: DeadLetterReason, error: unknown): void {
    this.#letters.push({ record, reason, error, stage: this.#stage });
  }

  /** Letters added and not yet flushed. */
  get pending(): number {
    return this.#letters.length;
  }

  /** Letters made durable so far. */
  get sent(): number {
    return this.#sent;
  }

  /** Makes every added letter durable in `pma.dlq`. */
  async flush(): Promise<void> {
    if (this.#letters.length === 0) return;
    const letters = this.#letters;
    this.#producer ??= this.#transport.producer({ clientId: `pma-${this.#stage}-dlq` });
    await sendDeadLetters(this.#producer, letters);
    this.#letters = [];
    this.#sent += letters.length;
    if (this.#metrics) {
      const byReason = new Map<DeadLetterReason, number>();
      for (const l of letters) byReason.set(l.reason, (byReason.get(l.reason) ?? 0) + 1);
      for (const [reason, n] of byReason) this.#metrics.deadLettered(reason, n);
    }
    const first = letters[0]!.record;
    this.#log.warn('records that cannot be used went to the dead-letter topic', {
      count: letters.length,
      topic: first.topic,
      partition: first.partition,
      offset: first.offset,
      reason: letters[0]!.reason,
    });
  }

  async close(): Promise<void> {
    await this.#producer?.close();
  }
}
