/**
 * The series every consuming stage shares, labelled by `stage` (process, bronze, silver): records
 * read and written per topic, dead letters per reason, failures per kind, consumer lag per topic
 * and partition, and the event time of the newest record written per topic (freshness).
 *
 * Counters move once per poll or per commit, never per record, and lag is read from the log when
 * Prometheus scrapes, so a stage pays nothing for being watched between scrapes. One registry can
 * serve every stage of a process: the series are made once per registry and shared.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Admin, RecordBatch } from '../../transport/types.ts';
import type { Logger } from '../logger.ts';
import { onePerRegistry } from '../metrics.ts';

export type StageName = 'process' | 'bronze' | 'silver';

/** Why a stage counts a failure: its run ended with an error, its work was voided by another instance, or an advisory offset commit was refused. */
export type StageFailure = 'fatal' | 'fenced' | 'offset-commit';

interface LagWatch {
  stage: StageName;
  admin: Admin;
  topics: readonly string[];
  logger: Logger;
}

class StageSeries {
  readonly read: Counter<'stage' | 'topic'>;
  readonly written: Counter<'stage' | 'topic'>;
  readonly deadLetters: Counter<'stage' | 'reason'>;
  readonly failures: Counter<'stage' | 'kind'>;
  readonly newest: Gauge<'stage' | 'topic'>;
  /** `stage/topic` -> the newest event time written (s), for the age computed at scrape. */
  readonly newestSeconds = new Map<string, number>();
  /** Group -> what to measure its lag on, while the stage runs. */
  readonly lagWatches = new Map<string, LagWatch>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.read = new Counter({ name: 'pma_records_read_total', help: 'records a stage read from the log, by topic', labelNames: ['stage', 'topic'], registers });
    this.written = new Counter({
      name: 'pma_records_written_total',
      help: 'records a stage made durable in its output (clean topics, Bronze files, Silver tables), by topic',
      labelNames: ['stage', 'topic'],
      registers,
    });
    this.deadLetters = new Counter({ name: 'pma_dead_letters_total', help: 'records a stage sent to pma.dlq, by reason', labelNames: ['stage', 'reason'], registers });
    this.failures = new Counter({
      name: 'pma_stage_failures_total',
      help: 'stage failures: fatal (the stage stopped on an error), fenced (work voided by another instance), offset-commit (an advisory commit refused)',
      labelNames: ['stage', 'kind'],
      registers,
    });
    this.newest = new Gauge({
      name: 'pma_newest_event_timestamp_seconds',
      help: 'event time of the newest record a stage has written, by topic (unix seconds)',
      labelNames: ['stage', 'topic'],
      registers,
    });
    const newestSeconds = this.newestSeconds;
    new Gauge({
      name: 'pma_newest_event_age_seconds',
      help: 'seconds between now and the newest event time a stage has written, by topic',
      labelNames: ['stage', 'topic'],
      registers,
      collect() {
        const now = Date.now() / 1000;
        for (const [key, seconds] of newestSeconds) {
          const at = key.indexOf('/');
          this.set({ stage: key.slice(0, at), topic: key.slice(at + 1) }, now - seconds);
        }
      },
    });
    const watches = this.lagWatches;
    const endOffsets = new Gauge({ name: 'pma_log_end_offset', help: 'offset the next record produced to a partition will get', labelNames: ['topic', 'partition'], registers });
    new Gauge({
      name: 'pma_consumer_lag',
      help: "records between a partition's end and the group's committed offset, read at scrape time",
      labelNames: ['stage', 'group', 'topic', 'partition'],
      registers,
      async collect() {
        this.reset();
        endOffsets.reset();
        for (const [group, w] of watches) {
          try {
            for (const topic of w.topics) {
              for (const p of await w.admin.lag(group, topic)) {
                const partition = String(p.partition);
                this.set({ stage: w.stage, group, topic, partition }, p.lag);
                endOffsets.set({ topic, partition }, p.high);
              }
            }
          } catch (err) {
            // A scrape must not fail for one group: its lag is left out until the log answers again.
            w.logger.debug('consumer lag unavailable for metrics', { group, err });
          }
        }
      },
    });
  }
}

/** One stage's view of the shared series. */
export class StageMetrics {
  readonly stage: StageName;
  readonly #s: StageSeries;

  constructor(registry: Registry, stage: StageName) {
    this.stage = stage;
    this.#s = onePerRegistry(registry, StageSeries, () => new StageSeries(registry));
  }

  /** One poll's batches, counted per batch. */
  polled(batches: readonly RecordBatch[]): void {
    for (const b of batches) this.read(b.topic, b.records.length);
  }

  read(topic: string, n: number): void {
    if (n > 0) this.#s.read.inc({ stage: this.stage, topic }, n);
  }

  written(topic: string, n: number): void {
    if (n > 0) this.#s.written.inc({ stage: this.stage, topic }, n);
  }

  /** Moves the topic's freshness forward to `eventMs` (never back: partitions finish out of order). */
  newestEvent(topic: string, eventMs: number): void {
    const key = `${this.stage}/${topic}`;
    const seconds = eventMs / 1000;
    if (seconds <= (this.#s.newestSeconds.get(key) ?? Number.NEGATIVE_INFINITY)) return;
    this.#s.newestSeconds.set(key, seconds);
    this.#s.newest.set({ stage: this.stage, topic }, seconds);
  }

  deadLettered(reason: string, n: number): void {
    this.#s.deadLetters.inc({ stage: this.stage, reason }, n);
  }

  failed(kind: StageFailure): void {
    this.#s.failures.inc({ stage: this.stage, kind });
  }

  /** Reports the group's lag on `topics` at each scrape until the returned function is called. */
  watchLag(admin: Admin, group: string, topics: readonly string[], logger: Logger): () => void {
    const watch: LagWatch = { stage: this.stage, admin, topics, logger };
    this.#s.lagWatches.set(group, watch);
    return () => {
      if (this.#s.lagWatches.get(group) === watch) this.#s.lagWatches.delete(group);
    };
  }
}
