/**
 * `pma bench freshness` end to end at tiny rates: the run follows in its own process, every stage
 * gets timed samples in both phases, and per fill row the log comes no later than Silver.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { FreshnessResult } from '../../bench/freshness.ts';
import { runChild } from '../run-child.ts';
import { tempDirPerTest } from '../temp-dir.ts';

const PMA = join(import.meta.dirname, '..', '..', 'cli', 'pma.ts');

describe('pma bench freshness', function () {
  this.timeout(240_000);
  const dir = tempDirPerTest('pma-bench-freshness-test-');

  it('times sampled fills to the log, Bronze and Silver in a steady and a burst phase', async () => {
    const samples = join(dir.path, 'samples.jsonl');
    const args = ['bench', 'freshness', '--json', '--samples', samples];
    args.push('--steady-seconds', '4', '--burst-seconds', '3', '--warmup-seconds', '0', '--rate', '2', '--burst-rate', '10');
    args.push('--markets', '20', '--trades-per-market', '2', '--bronze-roll-ms', '1000', '--bronze-idle-ms', '500', '--drain-seconds', '120');
    const res = await runChild(process.execPath, [PMA, ...args], { env: { ...process.env, PMA_LOG_LEVEL: 'warn' }, limitMs: 220_000 });
    // Missed goals exit 1; anything else is a failure of the bench itself.
    expect(res.code, res.stderr).to.be.oneOf([0, 1]);
    const result = JSON.parse(res.stdout.trim().split('\n').pop()!) as FreshnessResult;
    expect(result.phases.map((p) => p.phase)).to.deep.equal(['steady', 'burst']);
    for (const p of result.phases) {
      for (const [stage, st] of Object.entries(p.stages)) {
        expect(st.n, `${p.phase} ${stage} samples`).to.be.greaterThan(0);
        expect(st.p50, `${p.phase} ${stage} p50`).to.be.at.least(0);
        expect(st.p50).to.be.at.most(st.p90);
        expect(st.p90).to.be.at.most(st.p99);
        expect(st.p99).to.be.at.most(st.max);
      }
      expect(p.runCpuCores).to.be.greaterThan(0);
      expect(Object.keys(p.triggers).every((t) => ['socket', 'poll', 'gap', 'none'].includes(t))).to.equal(true);
    }
    expect(result.goals.map((g) => `${g.phase} ${g.stage}`)).to.deep.equal(['steady silver', 'steady bronze', 'burst silver', 'burst bronze']);

    const rows = readFileSync(samples, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { matchMs: number; seen: { raw?: number; bronze?: number; silver?: number } });
    expect(rows.length).to.equal(result.phases.reduce((n, p) => n + p.sampledRows, 0));
    for (const r of rows) {
      if (r.seen.raw === undefined) continue;
      expect(r.seen.raw - r.matchMs, 'match to the log').to.be.at.least(0);
      if (r.seen.silver !== undefined) expect(r.seen.silver).to.be.at.least(r.seen.raw);
      if (r.seen.bronze !== undefined) expect(r.seen.bronze).to.be.at.least(r.seen.raw);
    }
  });
});
