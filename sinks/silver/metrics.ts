/**
 * What the Silver sink reports beside the shared stage series, once per DuckDB commit: how long
 * the merge and its COMMIT took, the records it folded in per topic, and the newest event time
 * each topic's tables now hold.
 */
import { Histogram, type Registry } from 'prom-client';
import { onePerRegistry } from '../../runtime/metrics.ts';
import { StageMetrics } from '../../runtime/stage/index.ts';

class SilverSeries {
  readonly commit: Histogram;

  constructor(registry: Registry) {
    this.commit = new Histogram({
      name: 'pma_silver_commit_duration_seconds',
      help: 'one micro-batch folded into the Silver tables with its offsets, in one DuckDB transaction',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }
}

export class SilverMetrics {
  readonly stage: StageMetrics;
  readonly #s: SilverSeries;

  constructor(registry: Registry) {
    this.stage = new StageMetrics(registry, 'silver');
    this.#s = onePerRegistry(registry, SilverSeries, () => new SilverSeries(registry));
  }

  /** A commit: records per topic name, and the newest event time (ms) it wrote per topic name. */
  committed(millis: number, records: ReadonlyMap<string, number>, newestEventMs: ReadonlyMap<string, number>): void {
    this.#s.commit.observe(millis / 1000);
    for (const [topic, n] of records) this.stage.written(topic, n);
    for (const [topic, ms] of newestEventMs) this.stage.newestEvent(topic, ms);
  }
}
