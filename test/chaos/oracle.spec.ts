/**
 * The chaos oracle must see what it is there to see: a pipeline run without a fault passes it,
 * and a duplicate clean record (a fill, a top holder within its snapshot), a Bronze file gone, Silver rows gone and records the truth has
 * but the log does not each make it fail, named.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { planFor } from '../../bench/chaos/plan.ts';
import { judge, runScenario, startWorld } from '../../bench/chaos/run.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { type LogHarness, openLogHarness, readTopic } from '../sinks/log-harness.ts';
import { tempDirPerTest } from '../temp-dir.ts';

describe('chaos oracle', function () {
  this.timeout(300_000);
  const tmp = tempDirPerTest('pma-chaos-oracle-');

  it('passes a run without faults, then names a duplicate, a lost Bronze file, lost Silver rows and records missing from the log', async () => {
    const plan = planFor(3, 'kills', { kills: 0, profile: 'current' });
    plan.world = { ...plan.world, faults: [] };
    const options = { workDir: tmp.path };
    const clean = await runScenario(plan, options);
    expect(clean.problems).to.deep.equal([]);
    expect(clean.oracle!.checked).to.be.greaterThan(1_000);
    const dataDir = join(tmp.path, 'data');

    // One clean trade published again, as a processor that forgot its commit would.
    let h: LogHarness | undefined = await openLogHarness(dataDir);
    try {
      const [first] = await readTopic(h.transport, TOPICS.trades.name);
      // And one top holder of the same snapshot again.
      const [holder] = await readTopic(h.transport, TOPICS.holders.name);
      const producer = h.transport.producer();
      await producer.send(TOPICS.trades.name, [{ key: first!.key, value: first!.value }]);
      await producer.send(TOPICS.holders.name, [{ key: holder!.key, value: holder!.value }]);
      await producer.close();
    } finally {
      await h.close();
      h = undefined;
    }
    const bronzeDir = join(dataDir, 'bronze', 'prices');
    const dt = readdirSync(bronzeDir).find((d) => d.startsWith('dt='))!;
    const file = readdirSync(join(bronzeDir, dt)).find((f) => f.endsWith('.parquet'))!;
    rmSync(join(bronzeDir, dt, file));
    const silver = await DuckDBInstance.create(join(dataDir, 'silver.duckdb'));
    const conn = await silver.connect();
    await conn.run('DELETE FROM TradeFact WHERE rowid IN (SELECT rowid FROM TradeFact LIMIT 3)');
    conn.closeSync();
    silver.closeSync();

    // A world with one market more: its records are in the truth and nowhere in the log.
    const bigger = { ...plan, world: { ...plan.world, markets: Number(plan.world.markets) + 1 } };
    const sim = await startWorld(bigger);
    try {
      const report = await judge(bigger, options, sim);
      const trade = report.types.find((t) => t.type === 'trade')!;
      expect(trade.duplicated).to.equal(1);
      expect(trade.missing.length).to.be.greaterThan(0);
      expect(report.types.find((t) => t.type === 'gamma-market')!.missing).to.have.length(1);
      expect(report.types.find((t) => t.type === 'open-interest')!.missing).to.have.length(1);
      expect(report.types.find((t) => t.type === 'holder')!.duplicated).to.equal(1);
      // The duplicate's offset is in no Bronze file either (no sink ran after it), on top of the deleted file's rows.
      expect(report.bronze.missing).to.be.greaterThan(1);
      expect(report.silver.map((d) => d.table)).to.include('TradeFact');
      expect(report.lost).to.be.greaterThan(0);
      expect(report.problems.join('\n'))
        .to.match(/trade: 1 duplicate/)
        .and.to.match(/holder: 1 duplicate/)
        .and.to.match(/Bronze: \d+ offset\(s\) missing/)
        .and.to.match(/Silver TradeFact/);
    } finally {
      await sim.close();
    }
  });
});
