/**
 * What the processors report beside the shared stage series: transaction commit latency, records
 * dropped as duplicates, sent out unresolved or filtered, and records held for reference data.
 * The per-record tallies already kept for the run's result are added once per round, as deltas.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { onePerRegistry } from '../runtime/metrics.ts';
import { StageMetrics } from '../runtime/stage/index.ts';

class ProcessSeries {
  readonly commit: Histogram;
  readonly duplicates: Counter;
  readonly unresolved: Counter;
  readonly filtered: Counter;
  readonly held: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.commit = new Histogram({
      name: 'pma_process_commit_duration_seconds',
      help: "one input partition's transaction: its clean records with its next input offset",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.duplicates = new Counter({ name: 'pma_process_duplicates_total', help: 'clean records dropped as already emitted', registers });
    this.unresolved = new Counter({ name: 'pma_process_unresolved_total', help: 'trades and price points sent out without their reference data (waited too long, or evicted)', registers });
    this.filtered = new Counter({ name: 'pma_process_filtered_total', help: 'raw records the normalisers dropped on purpose', registers });
    this.held = new Gauge({ name: 'pma_process_held_records', help: 'records waiting for their market or token', registers });
  }
}

/** Running tallies of the processors' result, as the round ends. */
export interface ProcessTallies {
  duplicates: number;
  unresolved: number;
  filtered: number;
}

export class ProcessMetrics {
  readonly stage: StageMetrics;
  readonly #s: ProcessSeries;
  #reported: ProcessTallies = { duplicates: 0, unresolved: 0, filtered: 0 };

  constructor(registry: Registry) {
    this.stage = new StageMetrics(registry, 'process');
    this.#s = onePerRegistry(registry, ProcessSeries, () => new ProcessSeries(registry));
  }

  committed(seconds: number): void {
    this.#s.commit.observe(seconds);
  }

  /** Adds what the tallies grew by since the last round, and the records held now. */
  round(tallies: ProcessTallies, held: number): void {
    this.#s.duplicates.inc(tallies.duplicates - this.#reported.duplicates);
    this.#s.unresolved.inc(tallies.unresolved - this.#reported.unresolved);
    this.#s.filtered.inc(tallies.filtered - this.#reported.filtered);
    this.#reported = { ...tallies };
    this.#s.held.set(held);
  }
}
