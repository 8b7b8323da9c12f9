/**
 * What the Bronze sink reports beside the shared stage series, once per published write group:
 * how long a group took from its flush to its files renamed into place and its offset committed,
 * how many rows its files hold, and the files and bytes published per topic.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { onePerRegistry } from '../../runtime/metrics.ts';
import { StageMetrics } from '../../runtime/stage/index.ts';

class BronzeSeries {
  readonly flush: Histogram;
  readonly fileRows: Histogram;
  readonly files: Counter<'topic'>;
  readonly bytes: Counter<'topic'>;
  readonly buffered: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.flush = new Histogram({
      name: 'pma_bronze_flush_duration_seconds',
      help: "a write group's flush to its publish: Parquet encoding, fsync, rename into dt=, offset commit",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.fileRows = new Histogram({
      name: 'pma_bronze_file_rows',
      help: 'rows per published Parquet file (a group writes one file per dt)',
      buckets: [1, 10, 100, 1_000, 10_000, 50_000, 100_000, 250_000, 1_000_000],
      registers,
    });
    this.files = new Counter({ name: 'pma_bronze_files_total', help: 'Parquet files published, by topic', labelNames: ['topic'], registers });
    this.bytes = new Counter({ name: 'pma_bronze_bytes_total', help: 'bytes of Parquet published, by topic', labelNames: ['topic'], registers });
    this.buffered = new Gauge({ name: 'pma_bronze_buffered_bytes', help: 'Avro bytes buffered, not yet flushed', registers });
  }
}

/** One published group, as the sink knows it once its files are in place. */
export interface PublishedGroupStats {
  topic: string;
  rows: number;
  /** Rows of each file published. */
  fileRows: readonly number[];
  bytes: number;
  seconds: number;
  /** Event time (ms) of the newest row in the group; undefined when it had no rows. */
  newestEventMs: number | undefined;
}

export class BronzeMetrics {
  readonly stage: StageMetrics;
  readonly #s: BronzeSeries;

  constructor(registry: Registry) {
    this.stage = new StageMetrics(registry, 'bronze');
    this.#s = onePerRegistry(registry, BronzeSeries, () => new BronzeSeries(registry));
  }

  published(g: PublishedGroupStats): void {
    this.#s.flush.observe(g.seconds);
    for (const rows of g.fileRows) this.#s.fileRows.observe(rows);
    if (g.fileRows.length > 0) this.#s.files.inc({ topic: g.topic }, g.fileRows.length);
    if (g.bytes > 0) this.#s.bytes.inc({ topic: g.topic }, g.bytes);
    this.stage.written(g.topic, g.rows);
    if (g.newestEventMs !== undefined) this.stage.newestEvent(g.topic, g.newestEventMs);
  }

  buffered(bytes: number): void {
    this.#s.buffered.set(bytes);
  }
}
