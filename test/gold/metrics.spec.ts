/** Gold's refresh metrics: a good build on the hand-made Silver, a failed one without Silver. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { buildGold } from '../../gold/index.ts';
import { writeHandSilver } from './hand-silver.ts';

type Values = Array<{ labels: Record<string, string | number>; value: number }>;

async function values(registry: Registry, name: string): Promise<Values> {
  return (await registry.getSingleMetric(name)!.get()).values as Values;
}

describe('gold metrics', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-gold-metrics-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a good refresh: its end time, duration and age, and the rows of every table it built', async () => {
    await writeHandSilver(join(dir, 'silver.duckdb'));
    const registry = new Registry();
    const before = Date.now() / 1000;
    const built = await buildGold({ silverPath: join(dir, 'silver.duckdb'), goldPath: join(dir, 'gold.duckdb') }, { metrics: registry });
    const after = Date.now() / 1000;
    expect(await values(registry, 'pma_gold_refreshes_total')).to.deep.equal([{ labels: { outcome: 'ok' }, value: 1 }]);
    const at = (await values(registry, 'pma_gold_last_refresh_timestamp_seconds'))[0]!.value;
    expect(at).to.be.within(before, after);
    expect((await values(registry, 'pma_gold_last_refresh_duration_seconds'))[0]!.value).to.be.closeTo(built.millis / 1000, 1e-9);
    expect((await values(registry, 'pma_gold_last_refresh_age_seconds'))[0]!.value).to.be.within(0, Date.now() / 1000 - at);
    const rows = new Map((await values(registry, 'pma_gold_table_rows')).map((v) => [v.labels.table, v.value]));
    expect(rows).to.deep.equal(new Map(built.tables.map((t) => [t.name, t.rows])));
    expect(rows.size).to.be.greaterThan(0);
  });

  it('a failed refresh is counted; before any good one, the age is NaN and the time 0', async () => {
    const registry = new Registry();
    await buildGold({ silverPath: join(dir, 'missing.duckdb'), goldPath: join(dir, 'gold.duckdb') }, { metrics: registry }).catch(() => undefined);
    expect(await values(registry, 'pma_gold_refreshes_total')).to.deep.equal([{ labels: { outcome: 'failed' }, value: 1 }]);
    expect((await values(registry, 'pma_gold_last_refresh_age_seconds'))[0]!.value).to.be.NaN;
    expect((await values(registry, 'pma_gold_last_refresh_timestamp_seconds'))[0]!.value).to.equal(0);
  });
});
