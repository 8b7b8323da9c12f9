import { expect } from 'chai';
import type { CleanLeaderboardRow } from '../../schemas/clean-records.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { type LogHarness, readTopic, useLogHarness } from '../sinks/log-harness.ts';
import { processToEnd, publishRaw, type RawItem } from './raw-in.ts';

/** One board's rows as one pass of the producer writes them: board context and the pass's snapshot on every row. */
function boardPass(snapshot: number, fetchedAt: number, values: number[]): RawItem[] {
  return values.map((pnl, i) => {
    const wallet = `0x${String(i + 1).padStart(40, 'b')}`;
    return {
      key: `WEEK/PNL/OVERALL/${wallet}`,
      json: { rank: String(i + 1), proxyWallet: wallet, userName: `trader${i}`, vol: pnl * 10, pnl },
      context: { category: 'OVERALL', timePeriod: 'WEEK', orderBy: 'PNL', fetchedAt: snapshot },
      headers: { 'pma-fetched-at': String(fetchedAt) },
    };
  });
}

async function cleanRows(h: LogHarness): Promise<CleanLeaderboardRow[]> {
  const codec = await h.serde.codecFor<CleanLeaderboardRow>(TOPICS.leaderboard);
  return Promise.all((await readTopic(h.transport, TOPICS.leaderboard.name)).map((r) => codec.decode(r.value!)));
}

describe('processors: leaderboard snapshots', function () {
  this.timeout(60_000);
  let h: LogHarness;
  useLogHarness((opened) => {
    h = opened;
  }, 'each');

  const S1 = 1_765_000_000_000;
  const S2 = 1_765_000_600_000;
  const first = [500, 400, 300, 200, 100];
  const second = [560, 430, 310, 250, 120];

  it('keeps every snapshot of a board; a board fetched again within its snapshot is dropped, also across a restart', async () => {
    // One pass, its pages fetched twice (a restart re-reads the page in flight): same snapshot, later fetch time.
    await publishRaw(h, 'rawLeaderboard', boardPass(S1, S1 + 40, first));
    await publishRaw(h, 'rawLeaderboard', boardPass(S1, S1 + 90_000, first));
    const run1 = await processToEnd(h);
    expect(run1.emitted.leaderboard).to.equal(first.length);
    expect(run1.duplicates).to.equal(first.length);

    // The next pass, with the board's values changed; and the first pass's rows once more, after a processor restart.
    await publishRaw(h, 'rawLeaderboard', boardPass(S1, S1 + 120_000, first));
    await publishRaw(h, 'rawLeaderboard', boardPass(S2, S2 + 40, second));
    const run2 = await processToEnd(h);
    expect(run2.emitted.leaderboard).to.equal(second.length);
    expect(run2.duplicates).to.equal(first.length);

    const rows = await cleanRows(h);
    const bySnapshot = (s: number) =>
      rows
        .filter((r) => r.snapshot_ts === s)
        .sort((a, b) => a.rank - b.rank)
        .map((r) => r.pnl);
    expect(bySnapshot(S1)).to.deep.equal(first);
    expect(bySnapshot(S2)).to.deep.equal(second);
    expect(rows).to.have.length(first.length + second.length);
  });
});
