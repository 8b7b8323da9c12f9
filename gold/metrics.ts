/**
 * What a Gold refresh reports: how many ran and failed, when the last good one finished and how
 * long it took (with its age computed at scrape), and the rows of each Gold table it built.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { onePerRegistry } from '../runtime/metrics.ts';

class GoldSeries {
  readonly refreshes: Counter<'outcome'>;
  readonly lastAt: Gauge;
  readonly lastDuration: Gauge;
  readonly tableRows: Gauge<'table'>;
  /** Unix seconds of the last good refresh, for the age computed at scrape. */
  lastSeconds: number | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    this.refreshes = new Counter({ name: 'pma_gold_refreshes_total', help: 'Gold builds, by outcome (ok, failed)', labelNames: ['outcome'], registers });
    this.lastAt = new Gauge({ name: 'pma_gold_last_refresh_timestamp_seconds', help: 'when the last good Gold build finished (unix seconds; 0 before the first)', registers });
    this.lastDuration = new Gauge({ name: 'pma_gold_last_refresh_duration_seconds', help: 'how long the last good Gold build took', registers });
    this.tableRows = new Gauge({ name: 'pma_gold_table_rows', help: 'rows of each Gold table at the last good build', labelNames: ['table'], registers });
    const series = this;
    new Gauge({
      name: 'pma_gold_last_refresh_age_seconds',
      help: 'seconds since the last good Gold build finished (NaN before the first)',
      registers,
      collect() {
        this.set(series.lastSeconds === undefined ? Number.NaN : Date.now() / 1000 - series.lastSeconds);
      },
    });
  }
}

export class GoldMetrics {
  readonly #s: GoldSeries;

  constructor(registry: Registry) {
    this.#s = onePerRegistry(registry, GoldSeries, () => new GoldSeries(registry));
  }

  built(millis: number, tables: ReadonlyArray<{ name: string; rows: number }>): void {
    const s = this.#s;
    s.refreshes.inc({ outcome: 'ok' });
    s.lastSeconds = Date.now() / 1000;
    s.lastAt.set(s.lastSeconds);
    s.lastDuration.set(millis / 1000);
    for (const t of tables) s.tableRows.set({ table: t.name }, t.rows);
  }

  failed(): void {
    this.#s.refreshes.inc({ outcome: 'failed' });
  }
}
