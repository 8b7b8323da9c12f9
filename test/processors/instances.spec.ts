/**
 * Several processors in one group on the embedded log (issue 15). Finding 2: each owns some raw
 * reference partitions, yet every instance must enrich every trade: the clean reference topics
 * are read whole by each (a global table), so three processors resolve what one does. Finding 3:
 * one killed mid-ingest duplicates nothing (output and input offset in one SQLite transaction).
 */
import { DatabaseSync } from 'node:sqlite';
import { expect } from 'chai';
import { silentLogger } from '../../runtime/logger.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { createEmbeddedTransport } from '../../transport/embedded/index.ts';
import { embeddedLogPath } from '../../transport/index.ts';
import { type LogHarness, readTopic, useLogHarness } from '../sinks/log-harness.ts';
import { bareTrade, expectTradesEnriched, gammaMarket, killOneOfThreeMidIngest, startProcessors, topicCount, waitFor } from './instances.ts';
import { processToEnd, publishRaw } from './raw-in.ts';

const MARKETS = 24;
const PER_MARKET = 10;

function members(h: LogHarness, groupId: string): number {
  const db = new DatabaseSync(embeddedLogPath(h.dir), { readOnly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM log_group_members WHERE group_id = ?').get(groupId) as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('processors: several instances in one group (embedded log)', function () {
  this.timeout(300_000);
  let h: LogHarness;
  useLogHarness((opened) => {
    h = opened;
  }, 'each');

  it('three processors enrich every trade as one does: none unresolved, each fill once', async () => {
    const running = startProcessors(3, async () => ({ transport: await createEmbeddedTransport({ path: embeddedLogPath(h.dir), logger: silentLogger }), serde: h.serde }), { retryWaitMs: 3_000 });
    try {
      // The raw partitions must be shared out before anything is read, or one instance reads it all.
      await waitFor(async () => members(h, 'pma-process.reference') === 3 && members(h, 'pma-process.facts') === 3, 'three members in both groups');
      await publishRaw(
        h,
        'rawTrades',
        Array.from({ length: MARKETS * PER_MARKET }, (_, i) => bareTrade(1 + Math.floor(i / PER_MARKET), i % PER_MARKET)),
      );
      await publishRaw(
        h,
        'rawGammaMarkets',
        Array.from({ length: MARKETS }, (_, i) => gammaMarket(i + 1)),
      );
      await waitFor(async () => (await topicCount(h.transport, TOPICS.trades.name)) >= MARKETS * PER_MARKET, 'every trade on the clean topic');
    } finally {
      const results = await running.stop();
      expect(results.reduce((n, r) => n + r.unresolved, 0)).to.equal(0);
    }
    await expectTradesEnriched(h.serde, await readTopic(h.transport, TOPICS.trades.name), MARKETS, PER_MARKET);
  });

  it('trades held for their market while their partition went to another instance and came back are held again: no offset passes them, each goes out once', async () => {
    const open = async () => ({ transport: await createEmbeddedTransport({ path: embeddedLogPath(h.dir), logger: silentLogger }), serde: h.serde });
    const owners = () => {
      const db = new DatabaseSync(embeddedLogPath(h.dir), { readOnly: true });
      try {
        return (db.prepare('SELECT count(DISTINCT member_id) AS n FROM log_group_owners WHERE group_id = ? AND topic = ?').get('pma-process.facts', TOPICS.rawTrades.name) as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const count = () => topicCount(h.transport, TOPICS.trades.name);
    // Market 2's trades come first in every partition and wait for it; market 1 is known throughout.
    await publishRaw(h, 'rawGammaMarkets', [gammaMarket(1)]);
    await publishRaw(
      h,
      'rawTrades',
      Array.from({ length: 120 }, (_, k) => bareTrade(2, k)),
    );
    const known = (from: number) => Array.from({ length: 40 }, (_, k) => bareTrade(1, from + k));
    await publishRaw(h, 'rawTrades', known(0));
    const first = startProcessors(1, open, { retryWaitMs: 300_000 });
    let second: ReturnType<typeof startProcessors> | undefined;
    try {
      await waitFor(async () => (await count()) >= 40, 'the known market’s first trades out');
      second = startProcessors(1, open, { retryWaitMs: 300_000 });
      await waitFor(async () => owners() === 2, 'the raw trades shared by two instances');
      await publishRaw(h, 'rawTrades', known(40));
      await waitFor(async () => (await count()) >= 80, 'the second batch out from both instances');
      await second.stop();
      second = undefined;
      await waitFor(async () => owners() === 1, 'the partitions back with the first instance');
      await publishRaw(h, 'rawTrades', known(80));
      await waitFor(async () => (await count()) >= 120, 'the third batch out, the taken-back partitions read again');
      const committed = await h.transport.admin().groupOffsets('pma-process.facts', TOPICS.rawTrades.name);
      expect(
        committed.filter((o) => o.offset > 0),
        'offsets committed past trades still waiting for their market',
      ).to.deep.equal([]);
      await publishRaw(h, 'rawGammaMarkets', [gammaMarket(2)]);
      await waitFor(async () => (await count()) >= 240, 'the waiting trades out');
    } finally {
      await second?.stop();
      await first.stop();
    }
    await expectTradesEnriched(h.serde, await readTopic(h.transport, TOPICS.trades.name), 2, 120);
  });

  it('a caught-up run of three ends only when the markets the others emitted have been read', async () => {
    await publishRaw(
      h,
      'rawTrades',
      Array.from({ length: MARKETS * PER_MARKET }, (_, i) => bareTrade(1 + Math.floor(i / PER_MARKET), i % PER_MARKET)),
    );
    await publishRaw(
      h,
      'rawGammaMarkets',
      Array.from({ length: MARKETS }, (_, i) => gammaMarket(i + 1)),
    );
    const others = await Promise.all([1, 2].map(() => createEmbeddedTransport({ path: embeddedLogPath(h.dir), logger: silentLogger })));
    try {
      const results = await Promise.all([h.transport, ...others].map((transport) => processToEnd({ transport, serde: h.serde })));
      expect(results.reduce((n, r) => n + r.unresolved, 0)).to.equal(0);
    } finally {
      for (const t of others) await t.close();
    }
    await expectTradesEnriched(h.serde, await readTopic(h.transport, TOPICS.trades.name), MARKETS, PER_MARKET);
  });

  it('one of three processors and one of three Bronze sinks killed with SIGKILL mid-ingest: every trade exactly once, enriched, on the clean topic, in Bronze and in Silver', async () => {
    await killOneOfThreeMidIngest(h, ['--data-dir', h.dir], { sinksDir: h.dir, bronzeSinks: 3, silver: true });
  });
});
