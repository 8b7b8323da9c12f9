/**
 * `pma run --follow` (issue 17 §1): one command keeps every layer current against a live
 * simulator, Gold refreshes while it runs, Ctrl+C ends it cleanly, and the next start continues
 * with nothing lost or repeated. The oracle is the simulator's own truth of the static world
 * (built in this process from the same options) and the live fills seen while the run went on.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { startPma } from '../../bench/chaos/pma-child.ts';
import { startSimulator } from '../../simulator/index.ts';
import { DEFAULT_WORLD_END } from '../../simulator/options.ts';
import { freePorts } from '../free-ports.ts';
import { tempDirPerTest } from '../temp-dir.ts';
import { until } from '../until.ts';

const MARKETS = 20;
const WORLD_END_S = Date.parse(DEFAULT_WORLD_END) / 1000;

/** Rows of a DuckDB file opened read-only for one query (the snapshot and Gold are replaced by rename). */
async function rows(path: string, sql: string): Promise<Array<Record<string, unknown>>> {
  if (path !== ':memory:' && !existsSync(path)) return [];
  const db = await DuckDBInstance.create(path, path === ':memory:' ? {} : { access_mode: 'READ_ONLY' });
  const con = await db.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

/** Silver trade ids of fills made after the static world's end: the live ones. */
async function liveTradeIds(path: string): Promise<string[]> {
  const found = await rows(path, `SELECT trade_id FROM TradeFact WHERE epoch(trade_timestamp) > ${WORLD_END_S}`).catch(() => []);
  return found.map((r) => String(r.trade_id));
}

describe('pma run --follow', function () {
  this.timeout(300_000);
  const tmp = tempDirPerTest('pma-follow-');

  it('shows live fills in Silver within seconds, rebuilds Gold while it runs, stops cleanly on Ctrl+C, and the next start continues with nothing lost or repeated', async () => {
    const config = join(tmp.path, 'pma.json');
    // Many fills a second, so that some land while the run follows.
    writeFileSync(config, JSON.stringify({ sim: { liveTradeRate: 20 } }));
    const [metricsPort] = await freePorts(1);
    const args = ['--config', config, 'run', '--source', 'sim', '--sim-markets', String(MARKETS), '--follow', '--gold-interval', '2', '--metrics-port', String(metricsPort)];
    // A short Bronze window: the backfill is written out while the run follows, not all at Ctrl+C (a loaded machine took minutes for that).
    args.push('--bronze-roll-ms', '3000', '--bronze-idle-ms', '1000');
    const snapshot = join(tmp.path, 'silver.snapshot.duckdb');
    const gold = join(tmp.path, 'gold', 'gold.duckdb');

    const first = startPma(tmp.path, args);
    let seenLive: string[] = [];
    const builtAt = new Set<string>();
    try {
      await until(
        async () => {
          seenLive = await liveTradeIds(snapshot);
          return seenLive.length > 0;
        },
        'live fills in the Silver snapshot',
        180_000,
        500,
      );
      await until(
        async () => {
          for (const r of await rows(gold, 'SELECT built_at::VARCHAR AS at FROM gold_build').catch(() => [])) builtAt.add(String(r.at));
          return builtAt.size >= 2;
        },
        'Gold rebuilt twice while the run follows',
        60_000,
        300,
      );
      // One endpoint for every stage; Silver's freshness is a live fill's time (test/cli/metrics.spec.ts checks the format with Prometheus's own parser).
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      for (const series of ['pma_ingest_', 'pma_consumer_lag{stage="process"', 'pma_records_written_total{stage="bronze"', 'pma_gold_refreshes_total', 'pma_process_resident_memory_bytes']) {
        expect(text, series).to.include(series);
      }
      const silverFresh = /^pma_newest_event_timestamp_seconds\{stage="silver",topic="pma\.trades"\} (\S+)$/m.exec(text);
      expect(Number(silverFresh?.[1]), 'Silver freshness of trades').to.be.greaterThan(WORLD_END_S);
    } finally {
      first.child.kill('SIGINT');
    }
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr).to.equal(0);
    expect(stopped.stdout).to.match(/pma run --follow stopped after \d+ s; the next start continues from here/);
    expect(stopped.stdout).to.match(/gold .*\(rebuilt \d+ time\(s\)\)/);

    // Again, following for a while; --timeout then ends ingest and every layer catches up.
    const second = startPma(tmp.path, [...args, '--timeout', '8']);
    const finished = await second.done;
    expect(finished.code, finished.stderr).to.equal(0);
    expect(finished.stdout).to.match(/pma run finished in \d+ s \(simulator\)/);

    const silver = join(tmp.path, 'silver.duckdb');
    const silverIds = (await rows(silver, 'SELECT trade_id FROM TradeFact')).map((r) => String(r.trade_id));
    const live = await liveTradeIds(silver);
    expect(live.length).to.be.greaterThan(seenLive.length);
    for (const id of seenLive) expect(live).to.include(id);
    // Bronze keeps every clean record as it came: a fill twice on the clean topic would show here.
    const [bronze] = await rows(':memory:', `SELECT count(*)::INTEGER AS n, count(DISTINCT trade_id)::INTEGER AS d FROM read_parquet('${join(tmp.path, 'bronze', 'trades')}/*/*.parquet')`);
    expect(bronze).to.deep.equal({ n: silverIds.length, d: silverIds.length });

    // The static world is all there: as many fills up to its end as the simulator's truth has.
    const sim = await startSimulator({ markets: MARKETS, pricePoints: 120, port: 0 });
    try {
      const truth = [...sim.truth({ types: ['trade'] })].length;
      expect(silverIds.length - live.length).to.equal(truth);
    } finally {
      await sim.close();
    }
  });
});
