import { expect } from 'chai';
import fc from 'fast-check';
import { cleanRecord } from '../clean-arbitrary.ts';
import { startPma } from '../kill-loop.ts';
import { type LogHarness, publishClean, useLogHarness } from '../log-harness.ts';

describe('pma sink and pma process on the command line', function () {
  this.timeout(120_000);
  let h: LogHarness;
  useLogHarness((opened) => {
    h = opened;
  });

  it('refuse bad settings with exit code 2 and one line naming the flag or variable', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['sink', '--layer', 'gold'], /--layer/],
      [['sink', '--topics', 'trades,nope'], /--topics/],
      [['sink', '--roll-rows', '0'], /--roll-rows/],
      [['process', '--retry-wait-ms', '-5'], /--retry-wait-ms/],
    ];
    for (const [args, message] of cases) {
      const outcome = await startPma(h.dir, args).done;
      expect(outcome.code, args.join(' ')).to.equal(2);
      expect(outcome.stderr.trim().split('\n')).to.have.length(1);
      expect(outcome.stderr).to.match(message);
    }
  });

  it('pma sink --layer bronze --until-caught-up --json writes everything and reports it', async () => {
    const trades = fc.sample(cleanRecord('trades'), { numRuns: 300, seed: 31 }).map((t, i) => ({ ...t, trade_id: `c${i}`, timestamp: Date.UTC(2025, 5, 1) + i * 60_000 }));
    await publishClean(h, 'trades', trades, (t) => t.trade_id);
    const outcome = await startPma(h.dir, ['sink', '--layer', 'bronze', '--until-caught-up', '--json']).done;
    expect(outcome.code, outcome.stderr).to.equal(0);
    const report = JSON.parse(outcome.stdout.trim()) as { bronze: { rows: number; files: number; deadLettered: number }; seconds: number; peakRssBytes: number };
    expect(report.bronze.rows).to.equal(300);
    expect(report.bronze.deadLettered).to.equal(0);
    expect(report.bronze.files).to.be.greaterThan(0);
    expect(report.peakRssBytes).to.be.greaterThan(0);
    const again = await startPma(h.dir, ['sink', '--until-caught-up']).done;
    expect(again.stdout).to.match(/^bronze: 0 rows in 0 files/);
  });
});
