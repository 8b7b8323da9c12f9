/**
 * `pma bench soak` as CI runs it: `pma run --follow` for three minutes against a live simulator
 * with faults on (HTTP errors, resets, WebSocket drops and silent sockets, a market created and
 * one resolved every few seconds), then every goal of the soak scaled to that length: RSS flat
 * after the warm-up, descriptors flat, lag bounded, Silver fresh, the raw topics held to their
 * retention, every fill in Silver exactly once, a clean stop. Outside CI it runs for
 * PMA_SOAK_SPEC_MINUTES (default 2), still end to end.
 */
import { expect } from 'chai';
import { startPma } from '../../bench/chaos/pma-child.ts';
import type { SoakReport } from '../../bench/soak/index.ts';
import { formatReport } from '../../bench/soak/report.ts';
import { tempDirPerTest } from '../temp-dir.ts';

const MINUTES = process.env.CI === 'true' ? 3 : Number(process.env.PMA_SOAK_SPEC_MINUTES ?? 2);

describe('pma bench soak', function () {
  // The soak, the wait for its last fills (at most 3 min) and the run's graceful stop.
  this.timeout((MINUTES + 8) * 60_000);
  const tmp = tempDirPerTest('pma-soak-spec-');

  it(`keeps every goal over a ${MINUTES}-minute followed run with faults on`, async () => {
    const { done } = startPma(tmp.path, ['bench', 'soak', '--minutes', String(MINUTES), '--markets', '30', '--sample-seconds', '5', '--json']);
    const out = await done;
    const line = out.stdout.split('\n').find((l) => l.startsWith('{'));
    expect(line, `no report; exit ${out.code}: ${out.stderr.slice(-3000)}`).to.be.a('string');
    const report = JSON.parse(line!) as SoakReport;
    const table = formatReport(report);
    for (const goal of report.goals) expect(goal.met, `${goal.goal}\n${table}`).to.equal(true);
    expect(report.fills.truth, 'fills made to the cut-off').to.be.greaterThan(0);
    expect(report.samples.length, 'samples').to.be.at.least(MINUTES * 6);
    expect(out.code, out.stderr).to.equal(0);
  });
});
