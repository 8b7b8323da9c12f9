import { expect } from 'chai';
import { DLQ_HEADERS } from '../../registry/dead-letter.ts';
import type { CleanHolder, CleanOpenInterest } from '../../schemas/clean-records.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { type LogHarness, readTopic, useLogHarness } from '../sinks/log-harness.ts';
import { processToEnd, publishRaw, type RawItem } from './raw-in.ts';

const MARKET = `0x${'c'.repeat(64)}`;
const wallet = (i: number) => `0x${String(i + 1).padStart(40, 'a')}`;

/** One market's holders as one pass of the producer writes them: market, token and the pass's snapshot on every row. */
function holdersPass(snapshot: number, fetchedAt: number, amounts: number[]): RawItem[] {
  return amounts.map((amount, i) => ({
    key: `${MARKET}|111|${wallet(i)}`,
    json: { proxyWallet: wallet(i), asset: '111', amount, outcomeIndex: 0, name: `holder${i}`, pseudonym: `P${i}` },
    context: { market: MARKET, token: '111', fetchedAt: snapshot },
    headers: { 'pma-fetched-at': String(fetchedAt) },
  }));
}

const oiPass = (snapshot: number, fetchedAt: number, value: number): RawItem[] => [
  { key: MARKET, json: { market: MARKET, value }, context: { fetchedAt: snapshot }, headers: { 'pma-fetched-at': String(fetchedAt) } },
];

async function decoded<T>(h: LogHarness, topic: (typeof TOPICS)['holders' | 'openInterest']): Promise<T[]> {
  const codec = await h.serde.codecFor<T>(topic);
  return Promise.all((await readTopic(h.transport, topic.name)).map((r) => codec.decode(r.value!)));
}

describe('processors: top-holder and open-interest snapshots', function () {
  this.timeout(60_000);
  let h: LogHarness;
  useLogHarness((opened) => {
    h = opened;
  }, 'each');

  const S1 = 1_765_000_000_000;
  const S2 = 1_765_003_600_000;

  it('keeps every snapshot; a market read again within its snapshot is dropped, also across a restart', async () => {
    // One pass read twice (a restart re-reads the batch in flight): same snapshot, later fetch time.
    await publishRaw(h, 'rawHolders', holdersPass(S1, S1 + 40, [300, 200, 100]));
    await publishRaw(h, 'rawHolders', holdersPass(S1, S1 + 90_000, [300, 200, 100]));
    await publishRaw(h, 'rawOpenInterest', oiPass(S1, S1 + 40, 50));
    await publishRaw(h, 'rawOpenInterest', oiPass(S1, S1 + 90_000, 50));
    const run1 = await processToEnd(h);
    expect(run1.emitted.holders).to.equal(3);
    expect(run1.emitted.openInterest).to.equal(1);
    expect(run1.duplicates).to.equal(4);

    // The next pass with changed figures; the first pass once more, after a processor restart.
    await publishRaw(h, 'rawHolders', [...holdersPass(S1, S1 + 120_000, [300, 200, 100]), ...holdersPass(S2, S2 + 40, [350, 150])]);
    await publishRaw(h, 'rawOpenInterest', [...oiPass(S1, S1 + 120_000, 50), ...oiPass(S2, S2 + 40, 65)]);
    const run2 = await processToEnd(h);
    expect(run2.emitted.holders).to.equal(2);
    expect(run2.emitted.openInterest).to.equal(1);
    expect(run2.duplicates).to.equal(4);

    const holders = await decoded<CleanHolder>(h, TOPICS.holders);
    const amounts = (s: number) =>
      holders
        .filter((r) => r.snapshot_ts === s)
        .map((r) => r.amount)
        .sort((a, b) => b - a);
    expect(amounts(S1)).to.deep.equal([300, 200, 100]);
    expect(amounts(S2)).to.deep.equal([350, 150]);
    const oi = await decoded<CleanOpenInterest>(h, TOPICS.openInterest);
    expect(oi.map((r) => [r.snapshot_ts, r.value]).sort()).to.deep.equal([
      [S1, 50],
      [S2, 65],
    ]);
  });

  it('sends a record it cannot normalise to the dead-letter topic with the reason', async () => {
    await publishRaw(h, 'rawHolders', [{ key: 'no-market', json: { proxyWallet: wallet(0), asset: '111', amount: 5 }, context: { fetchedAt: S1 } }]);
    await publishRaw(h, 'rawOpenInterest', [{ key: 'global', json: { market: 'GLOBAL', value: 9 }, context: { fetchedAt: S1 } }]);
    const result = await processToEnd(h);
    expect(result.deadLettered).to.equal(2);
    const dlq = new Map((await readTopic(h.transport, TOPICS.dlq.name)).map((r) => [r.key!.toString(), r.headers]));
    expect(dlq.get('no-market')![DLQ_HEADERS.reason]).to.equal('normalise-failed');
    expect(dlq.get('no-market')![DLQ_HEADERS.error]).to.match(/PMA_ERR_NORMALISE.*field=market/);
    expect(dlq.get('global')![DLQ_HEADERS.error]).to.match(/PMA_ERR_NORMALISE.*field=market/);
    expect(dlq.get('global')![DLQ_HEADERS.sourceTopic]).to.equal(TOPICS.rawOpenInterest.name);
  });
});
