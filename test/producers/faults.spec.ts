import { expect } from 'chai';
import { DLQ_HEADERS } from '../../registry/dead-letter.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { expectTruthKeys, ingest, settingsFor, truthKeys, writtenKeys } from './helpers/ingest.ts';
import { readAll } from './helpers/log.ts';
import { simAndLogPerTest } from './helpers/sim-and-log.ts';
import { neverArrived } from './helpers/unreachable.ts';

const FAULTS = [
  { kind: 'error' as const, rate: 0.1 },
  { kind: 'hang' as const, rate: 0.02, delayMs: 2_000 },
  { kind: 'malformed' as const, rate: 0.04 },
  { kind: 'truncated' as const, rate: 0.04 },
  { kind: 'duplicate' as const, rate: 0.2, rows: 3 },
  { kind: 'shift' as const, rate: 0.5, rows: 4 },
];

describe('producers under faults', function () {
  this.timeout(180_000);
  const start = simAndLogPerTest();

  for (const feed of ['v2', 'v1'] as const) {
    it(`completes with every record in place and every malformed body dead-lettered (${feed} trade feed)`, async () => {
      const { sim, log } = await start({
        port: 0,
        seed: 5,
        markets: 30,
        tradesPerMarket: 50,
        pricePoints: 40,
        leaderboardSize: 60,
        limits: false,
        requestLogSize: 200_000,
        faultSeed: 9,
        faults: FAULTS,
        overrides: feed === 'v1' ? { data: { v2Routes: false } } : {},
      });
      // Small pages, so markets span several pages and rows can move between them.
      const summary = await ingest(log, settingsFor(sim, { resolution: 'minute', requestTimeout: 0.5, attempts: 12, tradesPageSize: 37, tradesV2PageSize: 37, leaderboardPageSize: 20, workers: 3 }));
      expect(summary.failures, 'failures').to.equal(0);
      const fired = sim.stats() as { faults: Record<string, number> };
      // Bodies that reached the client broken: a 2xx answer with a malformed or truncated body.
      const malformedServed = sim.requestLog.entries().filter((e) => e.status >= 200 && e.status < 300 && e.faults.some((f) => f === 'malformed' || f === 'truncated')).length;
      expect(malformedServed).to.be.greaterThan(0);
      if (feed === 'v1') expect(fired.faults.shift ?? 0, 'shifts').to.be.greaterThan(0);
      expect(fired.faults.duplicate ?? 0, 'duplicates').to.be.greaterThan(0);

      const dlq = await readAll(log.transport, TOPICS.dlq.name);
      const malformed = dlq.filter((r) => r.headers[DLQ_HEADERS.reason]?.startsWith('malformed-body'));
      expect(malformed).to.have.length(malformedServed);
      for (const r of malformed) {
        expect(r.headers[DLQ_HEADERS.error]).to.match(/not JSON|wrong shape/);
        expect(r.headers['pma-source-endpoint']).to.match(/^(gamma|data|clob):\//);
        expect(() => JSON.parse(r.value!.toString())).to.throw();
      }

      const got = await writtenKeys(log);
      expectTruthKeys(got, truthKeys(sim), { unreachable: { trade: neverArrived(sim, got.trade!) } });
    });
  }
});
