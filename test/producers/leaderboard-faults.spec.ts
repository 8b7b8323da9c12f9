/**
 * Leaderboards under a server that repeats rows of the page before (the `duplicate` fault): every
 * board is read to its end, over one run and over a run stopped part-way and resumed. A page with
 * repeated rows is longer than the server's clamp; taken for the clamp, it made the next full page
 * look short, so that board and every later one of the run ended a page early, marked complete
 * (chaos faults-retry seed 300: 16 rows lost, no failure, no gap). A resumed board forgot the
 * previous page's rows and stepped past as many rows as a repeat brought; and a last page holding
 * only repeated rows was taken for a cap, so every later board of the run stopped at that offset.
 * Expectations come from the simulator's ground truth (wallets per board).
 */
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { runIngest } from '../../producers/run.ts';
import { ingestSettingsSchema } from '../../producers/settings.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { Simulator } from '../../simulator/index.ts';
import { openLogHarness, readTopic } from '../sinks/log-harness.ts';
import { simAndLogPerTest } from './helpers/sim-and-log.ts';

const CATEGORIES = ['OVERALL', 'POLITICS', 'SPORTS'];

/** Board and wallet of every row the truth holds (boards deeper than the cap: their reachable rows). */
function truthRows(sim: Simulator): string[] {
  return [...sim.truth({ types: ['leaderboard-row'] })]
    .filter((t) => CATEGORIES.includes(t.category as string))
    .map((t) => `${t.timePeriod}/${t.orderBy}/${t.category} ${(t.proxyWallet as string).toLowerCase()}`)
    .sort();
}

describe('leaderboards with repeated rows: every board is read to its end', function () {
  this.timeout(300_000);
  const open = simAndLogPerTest();

  for (const resumed of [false, true]) {
    it(resumed ? 'a run stopped part-way and resumed reads every row' : 'one run reads every row', async () => {
      const { sim } = await open({
        port: 0,
        seed: 300,
        profile: '2025-12',
        markets: 2,
        tradesPerMarket: 5,
        pricePoints: 5,
        leaderboardSize: 55,
        fixtures: false,
        limits: false,
        // The chaos caps: pages of 20 rows, offsets up to 40 (60 rows reachable).
        overrides: { data: { leaderboardMaxOffset: 40, leaderboardLimitMax: 20 } },
      });
      sim.setFaults({ seed: 7, rules: [{ kind: 'duplicate', rate: 0.5, rows: 2, routes: ['data:/v1/leaderboard'] }] });
      const h = await openLogHarness();
      try {
        const settings = {
          ...ingestSettingsSchema.parse({
            source: 'sim',
            mode: 'leaderboard',
            rateLimits: 'off',
            attempts: 1,
            leaderboardCategories: CATEGORIES.join(','),
            workers: 1,
          }),
          urls: sim.urls,
        };
        const ingest = (signal = new AbortController().signal) =>
          runIngest(settings, { transport: h.transport, serde: h.serde, logger: silentLogger, signal, metrics: new Registry(), graceMs: 2_000 });
        const requests = () => sim.requestLog.entries().filter((e) => e.route === 'data:/v1/leaderboard').length;
        // Runs stopped every few pages (boards are three pages deep), so boards are resumed from their cursors mid-walk.
        for (let run = 0; resumed && run < 12; run++) {
          const stop = new AbortController();
          const until = requests() + 4;
          const watch = setInterval(() => {
            if (requests() >= until) stop.abort();
          }, 1);
          try {
            await ingest(stop.signal);
          } finally {
            clearInterval(watch);
          }
        }
        const last = await ingest();
        expect(last.failures).to.equal(0);
        const codec = await h.serde.codecFor<Record<string, unknown>>(TOPICS.rawLeaderboard);
        const raw = await Promise.all((await readTopic(h.transport, TOPICS.rawLeaderboard.name)).map((r) => codec.decode(r.value!)));
        const got = [...new Set(raw.map((r) => `${r.timePeriod}/${r.orderBy}/${r.category} ${String(r.proxyWallet).toLowerCase()}`))].sort();
        const want = truthRows(sim);
        const missing = want.filter((k) => !got.includes(k));
        expect(missing, `${missing.length} of ${want.length} rows missing: ${missing.slice(0, 5).join(', ')}`).to.deep.equal([]);
        expect(got).to.deep.equal(want);
      } finally {
        await h.close();
        h.remove();
      }
    });
  }
});
