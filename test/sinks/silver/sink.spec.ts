import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import avro from 'avsc';
import { expect } from 'chai';
import { DLQ_HEADERS } from '../../../registry/dead-letter.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import { loadSchema } from '../../../schemas/index.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { advertPath, readAdvert } from '../../../sinks/silver/endpoint.ts';
import { eventKey, marketKey, runSilverSink, type SilverSinkOptions, tokenKey, traderKey } from '../../../sinks/silver/index.ts';
import { cleanWorld, openTestLog, type TestLog } from './clean-world.ts';
import { silverCounts, silverDifferences } from './compare.ts';

const options = (path: string, extra: Partial<SilverSinkOptions> = {}): SilverSinkOptions => ({
  path,
  snapshotPath: null,
  snapshotIntervalMs: 60_000,
  groupId: 'silver-test',
  batchRows: 700,
  batchMaxMs: 200,
  until: 'caught-up',
  serveQueries: false,
  ...extra,
});

const run = (log: TestLog, opts: SilverSinkOptions, signal = new AbortController().signal) => runSilverSink(opts, { transport: log.transport, serde: log.serde, logger: silentLogger, signal });

async function rows(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('silver sink on the embedded log', function () {
  this.timeout(120_000);
  let log: TestLog;
  const world = cleanWorld(5, { markets: 12, tradesPerMarket: 150, wallets: 40, pricesPerToken: 12 });

  beforeEach(async () => {
    log = await openTestLog();
  });
  afterEach(async () => {
    await log.close();
  });

  it('holds every record exactly once, keyed by keys derived from the natural keys', async () => {
    await log.publishWorld(world);
    // Producers re-fetch: a third of the trades and prices, and every market, arrive twice.
    await log.publish(
      'trades',
      world.trades.filter((_t, i) => i % 3 === 0),
    );
    await log.publish(
      'prices',
      world.prices.filter((_p, i) => i % 3 === 1),
    );
    await log.publish('markets', world.markets);
    const path = join(log.dir, 'silver.duckdb');
    const result = await run(log, options(path));
    expect(result.reason).to.equal('caught-up');

    const wallets = new Set([...world.trades.map((t) => t.proxy_wallet), ...world.leaderboard.map((l) => l.proxy_wallet), ...world.holders.map((h) => h.proxy_wallet)].map((w) => w.toLowerCase()));
    expect(await silverCounts(path)).to.deep.equal({
      MarketDim: new Set(world.markets.map((m) => m.condition_id)).size,
      MarketTokenDim: new Set(world.tokens.map((t) => t.token_id)).size,
      EventDim: world.events.length,
      EventMarketBridge: world.events.reduce((n, e) => n + e.market_condition_ids.length, 0),
      TraderDim: wallets.size,
      TradeFact: world.trades.length,
      PriceHistoryFact: world.prices.length,
      LeaderboardSnapshot: world.leaderboard.length,
      HolderSnapshot: world.holders.length,
      OpenInterestFact: world.openInterest.length,
    });
    const trades = await rows(path, 'SELECT t.trade_id, t.market_sk, t.token_sk, t.trader_sk, t.event_sk, t.price, t.size FROM TradeFact t');
    const byId = new Map(world.trades.map((t) => [t.trade_id, t]));
    for (const r of trades) {
      const t = byId.get(r.trade_id as string)!;
      expect(r.market_sk).to.equal(marketKey(t.condition_id).toString());
      expect(r.token_sk).to.equal(tokenKey(t.token_id!).toString());
      expect(r.trader_sk).to.equal(traderKey(t.proxy_wallet).toString());
      expect(r.event_sk).to.equal(eventKey(t.event_id!).toString());
      expect([r.price, r.size]).to.deep.equal([t.price, t.size]);
    }
    const winners = await rows(path, 'SELECT token_id, is_winner FROM MarketTokenDim WHERE is_winner');
    expect(winners.map((w) => w.token_id).sort()).to.deep.equal(
      world.tokens
        .filter((t) => t.winner)
        .map((t) => t.token_id)
        .sort(),
    );
  });

  it('resumes where it stopped and equals a rebuild from the beginning, row for row', async () => {
    const path = join(log.dir, 'silver.duckdb');
    const half = Math.floor(world.trades.length / 2);
    await log.publish('markets', world.markets);
    await log.publish('trades', world.trades.slice(0, half));
    await run(log, options(path));
    await log.publish('events', world.events);
    await log.publish('tokens', world.tokens);
    await log.publish('trades', world.trades.slice(half - 100));
    await log.publish('prices', world.prices);
    await log.publish('leaderboard', world.leaderboard);
    const second = await run(log, options(path));
    expect(second.records).to.equal(world.events.length + world.tokens.length + world.trades.length - half + 100 + world.prices.length + world.leaderboard.length);

    const rebuilt = join(log.dir, 'rebuilt.duckdb');
    await run(log, options(rebuilt, { groupId: 'silver-test-rebuild', start: { from: 'beginning' } }));
    expect(await silverDifferences(path, rebuilt)).to.deep.equal([]);
    expect((await silverCounts(path)).TradeFact).to.equal(world.trades.length);
  });

  it('a lost Silver file is rebuilt from the log, not from where the consumer group stands (and the caught-up run ends)', async () => {
    await log.publishWorld(world);
    const path = join(log.dir, 'silver.duckdb');
    const first = await run(log, options(path));
    expect(first.reason).to.equal('caught-up');
    const before = await silverCounts(path);
    const firstCopy = join(log.dir, 'first.duckdb');
    copyFileSync(path, firstCopy);
    // The group's offsets now stand at the end of every partition; the file is gone.
    rmSync(path);
    const lag = await log.transport.admin().lag('silver-test', TOPICS.trades.name);
    expect(lag.every((p) => p.lag === 0)).to.equal(true);
    const second = await Promise.race([run(log, options(path)), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the caught-up run did not end')), 60_000))]);
    expect(second.reason).to.equal('caught-up');
    expect(await silverCounts(path)).to.deep.equal(before);
    expect((await rows(path, 'SELECT count(*)::INT AS n FROM MarketDim WHERE question IS NULL'))[0]!.n).to.equal(0);
    expect(await silverDifferences(path, firstCopy)).to.deep.equal([]);
  });

  it('sends records it cannot decode to the dead-letter topic and goes on', async () => {
    await log.publish('trades', world.trades.slice(0, 10));
    const [bad] = await log.transport.producer().send(TOPICS.trades.name, [{ key: Buffer.from('bad'), value: Buffer.from('not avro'), partition: 0 }]);
    await log.publish('trades', world.trades.slice(10, 20));
    const path = join(log.dir, 'silver.duckdb');
    const result = await run(log, options(path));
    expect(result.deadLettered).to.equal(1);
    expect((await silverCounts(path)).TradeFact).to.equal(20);
    const dlq = log.transport.consumer({ groupId: 'dlq-reader' });
    await dlq.subscribe([TOPICS.dlq.name]);
    const got = (await dlq.poll({ waitMs: 2_000 })).flatMap((b) => b.records);
    await dlq.close();
    expect(got).to.have.length(1);
    expect(got[0]!.value!.toString()).to.equal('not avro');
    // The one scheme every stage writes (registry/dead-letter.ts), not a sink's own.
    expect(got[0]!.headers).to.include({
      [DLQ_HEADERS.reason]: 'bad-magic-byte',
      [DLQ_HEADERS.sourceTopic]: TOPICS.trades.name,
      [DLQ_HEADERS.sourcePartition]: '0',
      [DLQ_HEADERS.sourceOffset]: String(bad!.offset),
      [DLQ_HEADERS.stage]: 'silver',
    });
    expect(got[0]!.headers[DLQ_HEADERS.error]).to.match(/^PMA_ERR_DECODE/);
  });

  it('stages a record written with an older schema as the current one reads it, and dead-letters a body that is not one record', async () => {
    const codec = await log.serde.codecFor(TOPICS.trades);
    // The trade schema before `pseudonym` was added: the current one reads it with pseudonym null.
    const schema = loadSchema(TOPICS.trades.schema);
    const older = { ...schema, fields: (schema.fields as Array<{ name: string }>).filter((f) => f.name !== 'pseudonym') };
    const olderId = await log.registry.register(codec.subject, JSON.stringify(older));
    const [first, second] = world.trades;
    const wire = (id: number, body: Buffer) => Buffer.concat([Buffer.from([0, (id >>> 24) & 255, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]), body]);
    const oldBody = avro.Type.forSchema(older as avro.Schema).toBuffer(first!);
    const current = codec.encode(second!);
    const truncated = current.subarray(0, current.length - 3);
    await log.transport.producer().send(TOPICS.trades.name, [
      { key: Buffer.from('old'), value: wire(olderId, oldBody), partition: 0 },
      { key: Buffer.from('cut'), value: truncated, partition: 0 },
      { key: Buffer.from('new'), value: current, partition: 0 },
    ]);
    const path = join(log.dir, 'silver.duckdb');
    const result = await run(log, options(path));
    expect(result.deadLettered).to.equal(1);
    const got = await rows(path, 'SELECT trade_id, price, size FROM TradeFact ORDER BY trade_id');
    const want = [first!, second!].map((t) => ({ trade_id: t.trade_id, price: t.price, size: t.size })).sort((a, b) => (a.trade_id < b.trade_id ? -1 : 1));
    expect(got).to.deep.equal(want);
  });

  it('answers read-only queries from the running sink and refuses writes', async () => {
    await log.publishWorld(world);
    const path = join(log.dir, 'silver.duckdb');
    const stop = new AbortController();
    const running = run(log, options(path, { until: 'signal', serveQueries: true }), stop.signal);
    try {
      let advert = readAdvert(path);
      for (let i = 0; i < 200 && (!advert || (await countTrades(advert)) < world.trades.length); i++) {
        await new Promise((r) => setTimeout(r, 100));
        advert = readAdvert(path);
      }
      expect(advert, 'advert').to.not.equal(undefined);
      expect(await countTrades(advert!)).to.equal(world.trades.length);
      const refused = await post(advert!, { sql: 'DELETE FROM TradeFact' });
      expect(refused.status).to.equal(400);
      expect((refused.body as { error: { code: string } }).error.code).to.equal('PMA_ERR_QUERY');
      const unauthorised = await fetch(`http://127.0.0.1:${advert!.port}/status`);
      expect(unauthorised.status).to.equal(401);
    } finally {
      stop.abort();
      await running;
    }
    expect(existsSync(advertPath(path))).to.equal(false);
    expect((await silverCounts(path)).TradeFact).to.equal(world.trades.length);
  });
});

async function post(advert: { port: number; token: string }, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${advert.port}/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${advert.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function countTrades(advert: { port: number; token: string }): Promise<number> {
  const res = await post(advert, { sql: 'SELECT count(*) AS n FROM TradeFact' });
  return res.status === 200 ? Number((res.body as { rows: unknown[][] }).rows[0]![0]) : 0;
}
