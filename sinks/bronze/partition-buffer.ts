/**
 * The rows of one source partition waiting for their Bronze files: one set of Arrow columns per
 * `dt`, plus the offset range covered (which includes offsets that produced no row, such as dead
 * letters, so the files' names account for every offset).
 */
import type { CompiledColumns } from './arrow/record-columns.ts';

export class PartitionBuffer {
  readonly topic: string;
  readonly partition: number;
  readonly byDt = new Map<string, CompiledColumns>();
  first = -1;
  last = -1;
  rows = 0;
  /** Avro bytes taken in: a cheap stand-in for the memory the columns hold. */
  bytes = 0;
  readonly openedAt: number;
  lastAt: number;
  readonly #compile: () => CompiledColumns;

  constructor(topic: string, partition: number, compile: () => CompiledColumns, now: number) {
    this.topic = topic;
    this.partition = partition;
    this.#compile = compile;
    this.openedAt = now;
    this.lastAt = now;
  }

  /** Marks an offset as handled (with or without a row). */
  cover(offset: number, now: number): void {
    if (this.first < 0) this.first = offset;
    this.last = offset;
    this.lastAt = now;
  }

  columnsFor(dt: string): CompiledColumns {
    let cols = this.byDt.get(dt);
    if (!cols) {
      cols = this.#compile();
      this.byDt.set(dt, cols);
    }
    return cols;
  }

  get empty(): boolean {
    return this.first < 0;
  }
}
