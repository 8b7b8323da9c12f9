/**
 * The rows of one source partition waiting for their Bronze files: their Avro bodies, per `dt`, plus the offset range covered (which includes offsets that produced no row, such as dead
 * letters, so the files' names account for every offset).
 */
import { BodyBuffer } from './body-buffer.ts';

export class PartitionBuffer {
  readonly topic: string;
  readonly partition: number;
  readonly byDt = new Map<string, BodyBuffer>();
  first = -1;
  last = -1;
  rows = 0;
  /** Avro bytes held. */
  bytes = 0;
  /** Event time (ms) of the newest row held: the topic's freshness once the group is published. */
  newestEventMs: number | undefined;
  readonly openedAt: number;
  lastAt: number;

  constructor(topic: string, partition: number, now: number) {
    this.topic = topic;
    this.partition = partition;
    this.openedAt = now;
    this.lastAt = now;
  }

  /** Marks an offset as handled (with or without a row). */
  cover(offset: number, now: number): void {
    if (this.first < 0) this.first = offset;
    this.last = offset;
    this.lastAt = now;
  }

  bodiesFor(dt: string): BodyBuffer {
    let bodies = this.byDt.get(dt);
    if (!bodies) {
      bodies = new BodyBuffer();
      this.byDt.set(dt, bodies);
    }
    return bodies;
  }

  get empty(): boolean {
    return this.first < 0;
  }
}
