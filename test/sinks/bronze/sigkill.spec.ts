import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { seededRandom } from '../../../bench/chaos/seeded-random.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { bronzeRoot } from '../../../sinks/bronze/index.ts';
import { publishRaw, type RawItem } from '../../processors/raw-in.ts';
import { killLoop, startPma } from '../kill-loop.ts';
import { type LogHarness, readTopic, useLogHarness } from '../log-harness.ts';

const MARKETS = 20;
const COND = (m: number) => `0x${String(m).padStart(64, '0')}`;
const TOKEN = (m: number, k: number) => `${7_000_000 + m * 2 + k}`;
const DAY_S = 86_400;

function tradeJson(i: number) {
  const m = i % MARKETS;
  return {
    proxyWallet: `0x${String(i % 997).padStart(40, '0')}`,
    side: i % 2 ? 'BUY' : 'SELL',
    asset: TOKEN(m, i % 2),
    conditionId: COND(m),
    size: 1 + (i % 50),
    price: ((i * 37) % 99) / 100 + 0.01,
    timestamp: 1_764_547_200 + ((i * 7919) % (6 * DAY_S)),
    outcome: i % 2 ? 'No' : 'Yes',
    outcomeIndex: i % 2,
    title: `Market ${m}`,
    transactionHash: `0x${String(i).padStart(64, '0')}`,
  };
}

/** Every record labelled a taker fill, as the producers label the rows of a taker-only walk. */
const publish = (h: LogHarness, topic: 'rawGammaMarkets' | 'rawTrades' | 'rawPrices', items: RawItem[]) =>
  publishRaw(
    h,
    topic,
    items.map((i) => ({ ...i, headers: { 'pma-fill-role': 'taker' } })),
  );

const trades = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => ({ key: `fill-${from + k}`, json: tradeJson(from + k) }));
const prices = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return { key: `${TOKEN(i % MARKETS, 0)}|${1_764_547_200 + i * 3600}`, json: { t: 1_764_547_200 + i * 3600, p: 0.5 }, context: { token: TOKEN(i % MARKETS, 0), fidelity: 60 } };
  });

function tempFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.tmp')) out.push(join(dir, e.name));
    }
  };
  walk(root);
  return out;
}

/** dt directories whose generations are not exactly the one their link names. */
function unsettledGenerations(root: string): number {
  let n = 0;
  for (const type of existsSync(join(root, '.gen')) ? readdirSync(join(root, '.gen')) : []) {
    for (const dt of readdirSync(join(root, '.gen', type))) {
      // The swap's new link, staged and not yet renamed over dt=D.
      if (dt.endsWith('.link')) {
        n++;
        continue;
      }
      const link = join(root, type, dt);
      const gens = readdirSync(join(root, '.gen', type, dt));
      if (!existsSync(link) || gens.length !== 1 || gens[0] !== basename(readlinkSync(link))) n++;
    }
  }
  return n;
}

describe('exactly once through SIGKILLs: processor, Bronze sink and Bronze compaction killed at 20 random moments each', function () {
  this.timeout(600_000);
  let h: LogHarness;
  useLogHarness((opened) => {
    h = opened;
  });

  it('every raw trade and price point is in the clean topics once and in exactly one Bronze file, with no temporary left', async () => {
    const seed = Number(process.env.PMA_TEST_SEED ?? Date.now() % 1_000_000);
    const random = seededRandom(seed);
    const context = `seed ${seed} (rerun with PMA_TEST_SEED=${seed})`;
    await publish(
      h,
      'rawGammaMarkets',
      Array.from({ length: MARKETS }, (_, m) => ({
        key: `${m}`,
        json: { id: `${m}`, conditionId: COND(m), outcomes: '["Yes","No"]', clobTokenIds: JSON.stringify([TOKEN(m, 0), TOKEN(m, 1)]), events: [{ id: `e${m}`, slug: `event-${m}` }] },
      })),
    );
    let tradesSent = 6_000;
    let pricesSent = 1_000;
    await publish(h, 'rawTrades', trades(0, tradesSent));
    await publish(h, 'rawPrices', prices(0, pricesSent));

    const addMore = async () => {
      await publish(h, 'rawTrades', [...trades(tradesSent, tradesSent + 600), ...trades(tradesSent - 300, tradesSent)]);
      await publish(h, 'rawPrices', prices(pricesSent, pricesSent + 100));
      tradesSent += 600;
      pricesSent += 100;
    };
    const [processor, sink] = await Promise.all([
      killLoop(h.dir, ['process', '--until-caught-up'], { times: 20, random, minMs: 300, maxMs: 3_000, between: addMore }),
      killLoop(h.dir, ['sink', '--layer', 'bronze', '--until-caught-up', '--roll-rows', '500', '--idle-ms', '200'], { times: 20, random, minMs: 300, maxMs: 3_000 }),
    ]);
    expect(processor.killed, `processor runs killed mid-work (${context})`).to.be.at.least(10);
    // A sink run often catches up before its kill lands on a busy machine; a quarter of the runs
    // killed mid-work still exercises recovery, and the exactly-once checks below are unchanged.
    expect(sink.killed, `sink runs killed mid-work (${context})`).to.be.at.least(5);

    for (const args of [
      ['process', '--until-caught-up'],
      ['sink', '--layer', 'bronze', '--until-caught-up'],
    ]) {
      const outcome = await startPma(h.dir, args).done;
      expect(outcome.code, `${args[0]}: ${outcome.stderr} (${context})`).to.equal(0);
    }

    // Then compaction killed at 20 random moments, on every dt the data has: each run rewrites them all (--min-files 1),
    // so a kill lands while a generation is built, linked or the replaced one deleted.
    let midSwap = 0;
    const compactor = await killLoop(h.dir, ['compact', '--min-files', '1'], {
      times: 20,
      maxRounds: 60,
      random,
      minMs: 300,
      maxMs: 4_000,
      between: async () => {
        if (unsettledGenerations(bronzeRoot(h.dir)) > 0) midSwap++;
      },
    });
    expect(compactor.killed, `compaction runs killed mid-work (${context})`).to.be.at.least(20);
    // Kills that left a generation built but not linked, or replaced but not deleted, for recovery to settle.
    expect(midSwap, `compaction runs killed between building and deleting a generation (${context})`).to.be.at.least(3);

    // A last sink run settles what the last kill left and finds nothing to add.
    const settled = await startPma(h.dir, ['sink', '--layer', 'bronze', '--until-caught-up', '--json']).done;
    expect(settled.code, `${settled.stderr} (${context})`).to.equal(0);
    expect(JSON.parse(settled.stdout).bronze.rows, context).to.equal(0);

    const clean = await readTopic(h.transport, TOPICS.trades.name);
    const keys = clean.map((r) => r.key!.toString());
    expect(new Set(keys).size, `duplicate clean trades (${context})`).to.equal(keys.length);
    expect(keys.length, context).to.equal(tradesSent);

    const root = bronzeRoot(h.dir);
    expect(tempFiles(root), context).to.deep.equal([]);
    // One generation per dt directory is left: the one its link names.
    expect(unsettledGenerations(root), context).to.equal(0);
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const count = async (type: string, id: string) =>
      (
        await con.runAndReadAll(
          `SELECT count(*)::INTEGER AS n, count(DISTINCT ${id})::INTEGER AS d, count(*) FILTER (unresolved)::INTEGER AS u FROM read_parquet('${root}/${type}/*/*.parquet', hive_partitioning = true)`,
        )
      ).getRowObjectsJS()[0];
    expect(await count('trades', 'trade_id'), context).to.deep.equal({ n: tradesSent, d: tradesSent, u: 0 });
    expect(await count('prices', 'token_id || timestamp::VARCHAR'), context).to.deep.equal({ n: pricesSent, d: pricesSent, u: 0 });
    con.closeSync();
  });
});
