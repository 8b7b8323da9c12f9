import { expect } from 'chai';
import { DEDUP_HEADER, runProcessors, SOURCE_HEADER } from '../../processors/index.ts';
import { DLQ_HEADERS } from '../../registry/dead-letter.ts';
import { silentLogger } from '../../runtime/logger.ts';
import type { CleanTrade } from '../../schemas/clean-records.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { partitionForKey } from '../../transport/partitioner.ts';
import type { ConsumedRecord } from '../../transport/types.ts';
import { type LogHarness, readTopic, useLogHarness } from '../sinks/log-harness.ts';
import { processToEnd, publishRaw, type RawItem } from './raw-in.ts';

const COND = (i: number) => `0x${String(i).padStart(64, 'c')}`;
const TOKEN = (i: number, k: number) => `${9_000_000 + i * 10 + k}`;

function gammaMarket(i: number, eventId = `ev${i}`): RawItem {
  return {
    key: `${1000 + i}`,
    json: {
      id: `${1000 + i}`,
      conditionId: COND(i),
      question: `Market ${i}?`,
      outcomes: '["Yes", "No"]',
      outcomePrices: '["0.4", "0.6"]',
      clobTokenIds: JSON.stringify([TOKEN(i, 0), TOKEN(i, 1)]),
      events: [{ id: eventId, slug: `event-${eventId}` }],
    },
  };
}

function trade(i: number, market: number, extra: Record<string, unknown> = {}): RawItem {
  const json = {
    proxyWallet: `0x${String(i).padStart(40, 'a')}`,
    side: i % 2 ? 'BUY' : 'SELL',
    asset: TOKEN(market, i % 2),
    conditionId: COND(market),
    size: 10 + i,
    price: 0.5,
    timestamp: 1_765_000_000 + i,
    outcome: i % 2 ? 'No' : 'Yes',
    outcomeIndex: i % 2,
    transactionHash: `0x${String(i).padStart(64, 'f')}`,
    ...extra,
  };
  return { key: `fill-${i}`, json, headers: { 'pma-fill-role': i % 3 ? 'taker' : 'maker' } };
}

function decodeAll(h: LogHarness, topic: 'trades' | 'prices' | 'markets' | 'tokens' | 'events', records: ConsumedRecord[]) {
  return Promise.all(records.map(async (r) => (await (await h.serde.codecFor<Record<string, unknown>>(TOPICS[topic])).decode(r.value!)) as Record<string, unknown>));
}

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('processors: raw topics to clean topics on the embedded log', function () {
  this.timeout(120_000);
  let h: LogHarness;
  useLogHarness((opened) => {
    h = opened;
  }, 'each');

  it('normalises, enriches trades with market, token, outcome and event, and keeps lineage headers', async () => {
    await publishRaw(h, 'rawGammaMarkets', [gammaMarket(1), gammaMarket(2)]);
    await publishRaw(h, 'rawTrades', [trade(1, 1), trade(2, 2, { asset: '', outcome: null, outcomeIndex: 0 })]);
    await publishRaw(h, 'rawPrices', [{ key: `${TOKEN(1, 0)}|1765000000`, json: { t: 1_765_000_000, p: 0.41 }, context: { token: TOKEN(1, 0), fidelity: 60 } }]);
    const result = await processToEnd(h);
    expect(result.emitted).to.deep.equal({ markets: 2, tokens: 4, trades: 2, prices: 1 });
    expect(result.unresolved).to.equal(0);
    const records = await readTopic(h.transport, TOPICS.trades.name);
    const trades = (await decodeAll(h, 'trades', records)).sort((a, b) => String(a.trade_id).localeCompare(String(b.trade_id)));
    expect(trades[0]).to.include({
      trade_id: 'fill-1',
      condition_id: COND(1),
      token_id: TOKEN(1, 1),
      outcome: 'No',
      outcome_index: 1,
      event_id: 'ev1',
      event_slug: 'event-ev1',
      role: 'TAKER',
      unresolved: false,
      timestamp: 1_765_000_001_000,
    });
    expect(trades[1]).to.include({ trade_id: 'fill-2', token_id: TOKEN(2, 0), outcome: 'Yes', outcome_index: 0, event_id: 'ev2', role: 'TAKER' });
    expect(records.every((r) => r.headers[DEDUP_HEADER]?.length === 16 && r.headers[SOURCE_HEADER]?.startsWith('pma.raw.trades/'))).to.equal(true);
    const [price] = await decodeAll(h, 'prices', await readTopic(h.transport, TOPICS.prices.name));
    expect(price).to.include({ token_id: TOKEN(1, 0), condition_id: COND(1), outcome: 'Yes', outcome_index: 0, price: 0.41, fidelity_minutes: 60, unresolved: false });
  });

  it('deduplicates by key within the window and across restarts; unchanged markets are dropped, changed ones kept', async () => {
    await publishRaw(h, 'rawGammaMarkets', [gammaMarket(1)]);
    await publishRaw(h, 'rawTrades', [trade(1, 1), trade(2, 1), trade(1, 1)]);
    const first = await processToEnd(h);
    expect(first.emitted.trades).to.equal(2);
    expect(first.duplicates).to.equal(1);

    // The same pages fetched again after a producer restart, and one market that changed.
    await publishRaw(h, 'rawTrades', [trade(2, 1), trade(1, 1), trade(3, 1)]);
    const changed = gammaMarket(1);
    changed.json.question = 'Market 1, reworded?';
    await publishRaw(h, 'rawGammaMarkets', [gammaMarket(1), changed]);
    const second = await processToEnd(h);
    expect(second.emitted).to.deep.equal({ trades: 1, markets: 1 });

    // A processor that crashed before committing reads everything again: nothing new comes out.
    for (const group of ['pma-process.facts', 'pma-process.reference']) {
      for (const topic of group.endsWith('facts') ? [TOPICS.rawTrades.name] : [TOPICS.rawGammaMarkets.name]) {
        const parts = await h.transport.admin().offsets(topic);
        await h.transport.admin().setGroupOffsets(
          group,
          parts.map((p) => ({ topic, partition: p.partition, offset: 0 })),
        );
      }
    }
    const replay = await processToEnd(h);
    expect(replay.emitted).to.deep.equal({});
    expect(replay.duplicates).to.equal(15); // 6 trades, and 3 market records each giving a market and 2 tokens
    const trades = await readTopic(h.transport, TOPICS.trades.name);
    expect(trades.map((r) => r.key!.toString()).sort()).to.deep.equal(['fill-1', 'fill-2', 'fill-3']);
  });

  it('holds a trade whose market comes later, and emits it enriched when the market arrives', async () => {
    // Behind the held trade, on its partition, a trade of a known market: a partition is read in
    // order, so once that one is out the held one has been read, and its absence means held, not
    // not yet read.
    const partitions = TOPICS.rawTrades.partitions;
    const behind = Array.from({ length: 100 }, (_, i) => i + 2).find((i) => partitionForKey(Buffer.from(`fill-${i}`), partitions) === partitionForKey(Buffer.from('fill-1'), partitions))!;
    await publishRaw(h, 'rawGammaMarkets', [gammaMarket(8)]);
    await publishRaw(h, 'rawTrades', [trade(1, 7), trade(behind, 8)]);
    const controller = new AbortController();
    const running = runProcessors({ retryWaitMs: 60_000 }, { transport: h.transport, serde: h.serde, logger: silentLogger, signal: controller.signal, until: 'signal' });
    const tradeIds = async () => (await readTopic(h.transport, TOPICS.trades.name)).map((r) => r.key!.toString());
    await until(async () => (await tradeIds()).includes(`fill-${behind}`), 'the trade behind the held one');
    expect(await tradeIds()).to.deep.equal([`fill-${behind}`]);
    await publishRaw(h, 'rawGammaMarkets', [gammaMarket(7)]);
    await until(async () => (await tradeIds()).includes('fill-1'), 'the held trade');
    controller.abort();
    const result = await running;
    const trades = await decodeAll(h, 'trades', await readTopic(h.transport, TOPICS.trades.name));
    expect(trades.find((t) => t.trade_id === 'fill-1')).to.include({ event_id: 'ev7', token_id: TOKEN(7, 1), unresolved: false });
    expect(result.unresolved).to.equal(0);
  });

  it('sends trades whose market never comes out flagged unresolved after the wait, never dropped, and bounds the buffer', async () => {
    await publishRaw(
      h,
      'rawTrades',
      Array.from({ length: 10 }, (_, i) => trade(i, 99)),
    );
    const controller = new AbortController();
    const running = runProcessors({ retryWaitMs: 400, retryCapacity: 4 }, { transport: h.transport, serde: h.serde, logger: silentLogger, signal: controller.signal, until: 'signal' });
    let trades: ConsumedRecord[] = [];
    const deadline = Date.now() + 20_000;
    while (trades.length < 10 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      trades = await readTopic(h.transport, TOPICS.trades.name);
    }
    controller.abort();
    const result = await running;
    expect(result.unresolved).to.equal(10);
    const values = (await decodeAll(h, 'trades', trades)) as unknown as CleanTrade[];
    expect(values.every((t) => t.unresolved && t.event_id === null && t.token_id !== null && t.outcome !== null)).to.equal(true);
    // All offsets are finished, so a restart emits nothing again.
    const again = await processToEnd(h);
    expect(again.consumed).to.equal(0);
  });

  it('keeps holding a trade past its wait while its market is on a reference partition nobody has read yet (its processor died, the group has not moved it), and emits it enriched once the partition is read', async () => {
    const controller = new AbortController();
    const running = runProcessors({ retryWaitMs: 300, retryMaxWaitMs: 120_000 }, { transport: h.transport, serde: h.serde, logger: silentLogger, signal: controller.signal, until: 'signal' });
    // A member of the processors' reference group that never commits: a processor killed while it held its partitions.
    const dead = h.transport.consumer({ groupId: 'pma-process.reference' });
    await dead.subscribe([TOPICS.rawGammaMarkets.name, TOPICS.rawGammaEvents.name, TOPICS.rawClobMarkets.name]);
    const owned = () =>
      new Set(
        dead
          .assignment()
          .filter((tp) => tp.topic === TOPICS.rawGammaMarkets.name)
          .map((tp) => tp.partition),
      );
    await until(async () => {
      await dead.poll({ waitMs: 50 });
      return owned().size > 0 && owned().size < TOPICS.rawGammaMarkets.partitions;
    }, 'the dead member to share the reference partitions');
    const market = Array.from({ length: 200 }, (_, i) => i + 1).find((i) => owned().has(partitionForKey(Buffer.from(`${1000 + i}`), TOPICS.rawGammaMarkets.partitions)))!;
    const partitions = TOPICS.rawTrades.partitions;
    const sameAs = (key: string, from: number) =>
      Array.from({ length: 500 }, (_, i) => i + from).find((i) => partitionForKey(Buffer.from(`fill-${i}`), partitions) === partitionForKey(Buffer.from(key), partitions))!;
    await publishRaw(h, 'rawGammaMarkets', [gammaMarket(market), gammaMarket(500)]);
    await publishRaw(h, 'rawTrades', [trade(1, market)]);
    const tradeIds = async () => (await readTopic(h.transport, TOPICS.trades.name)).map((r) => r.key!.toString());
    // Trades of a known market behind the held one, on its partition, the last sent once its wait is long over: each is out only after a round that could have given the held one up.
    const first = sameAs('fill-1', 2);
    await publishRaw(h, 'rawTrades', [trade(first, 500)]);
    await until(async () => (await tradeIds()).includes(`fill-${first}`), 'the trade behind the held one');
    const heldSince = Date.now();
    await until(async () => Date.now() - heldSince > 10 * 300, 'ten times the wait to pass');
    const second = sameAs('fill-1', first + 1);
    await publishRaw(h, 'rawTrades', [trade(second, 500)]);
    await until(async () => (await tradeIds()).includes(`fill-${second}`), 'the second trade behind the held one');
    expect(await tradeIds(), 'the held trade went out while its market was unread').not.to.include('fill-1');

    await dead.close();
    await until(async () => (await tradeIds()).includes('fill-1'), 'the held trade, once the reference partition moved to the live processor', 60_000);
    controller.abort();
    const result = await running;
    const trades = await decodeAll(h, 'trades', await readTopic(h.transport, TOPICS.trades.name));
    expect(trades.find((t) => t.trade_id === 'fill-1')).to.include({ event_id: `ev${market}`, token_id: TOKEN(market, 1), unresolved: false });
    expect(result.unresolved).to.equal(0);
  });

  it('in a caught-up run, trades still waiting at the end go out unresolved', async () => {
    await publishRaw(h, 'rawTrades', [trade(1, 50), trade(2, 51)]);
    await publishRaw(h, 'rawGammaMarkets', [gammaMarket(50)]);
    const result = await processToEnd(h);
    expect(result.emitted.trades).to.equal(2);
    expect(result.unresolved).to.equal(1);
  });

  it('dead-letters records that cannot be decoded or normalised, with the reason and source offset, and goes on', async () => {
    await publishRaw(h, 'rawGammaMarkets', [gammaMarket(1)]);
    await publishRaw(h, 'rawTrades', [trade(1, 1), trade(2, 1, { side: 'HOLD' }), trade(3, 1, { timestamp: null }), trade(4, 1)]);
    const producer = h.transport.producer();
    await producer.send(TOPICS.rawTrades.name, [{ key: Buffer.from('garbage'), value: Buffer.from('not avro') }]);
    await producer.close();
    const result = await processToEnd(h);
    expect(result.emitted.trades).to.equal(2);
    expect(result.deadLettered).to.equal(3);
    const dlq = await readTopic(h.transport, TOPICS.dlq.name);
    const byKey = new Map(dlq.map((r) => [r.key!.toString(), r.headers]));
    expect(byKey.get('fill-2')![DLQ_HEADERS.reason]).to.equal('normalise-failed');
    expect(byKey.get('fill-2')![DLQ_HEADERS.error]).to.match(/PMA_ERR_NORMALISE.*field=side/);
    expect(byKey.get('fill-3')![DLQ_HEADERS.error]).to.match(/field=timestamp/);
    expect(byKey.get('garbage')![DLQ_HEADERS.reason]).to.equal('bad-magic-byte');
    const raw = await readTopic(h.transport, TOPICS.rawTrades.name);
    const offsetOf = (key: string) => String(raw.find((r) => r.key!.toString() === key)!.offset);
    for (const key of ['fill-2', 'fill-3', 'garbage']) {
      expect(byKey.get(key)![DLQ_HEADERS.sourceOffset]).to.equal(offsetOf(key));
      expect(byKey.get(key)![DLQ_HEADERS.sourceTopic]).to.equal(TOPICS.rawTrades.name);
    }
  });

  it('rebuilds the lookup tables from the clean topics on start', async () => {
    await publishRaw(h, 'rawGammaMarkets', [gammaMarket(3)]);
    await processToEnd(h);
    await publishRaw(h, 'rawTrades', [trade(1, 3)]);
    const second = await processToEnd(h);
    expect(second.unresolved).to.equal(0);
    const [t] = await decodeAll(h, 'trades', await readTopic(h.transport, TOPICS.trades.name));
    expect(t).to.include({ event_id: 'ev3', token_id: TOKEN(3, 1) });
  });
});
