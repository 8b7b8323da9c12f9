import { expect } from 'chai';
import { type Cursor, CursorStore, cursorKey, emptyCursor } from '../../producers/records/cursors.ts';
import { HEADERS } from '../../producers/records/headers.ts';
import { Publisher } from '../../producers/records/publisher.ts';
import { DLQ_HEADERS } from '../../registry/dead-letter.ts';
import { toRawTrade } from '../../schemas/raw/index.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { openTestLog, readAll, type TestLog } from './helpers/log.ts';

const trade = (i: number) => ({
  proxyWallet: `0x${String(i).padStart(40, '0')}`,
  side: 'BUY',
  asset: '123',
  conditionId: `0x${'a'.repeat(64)}`,
  size: 10 + i,
  price: 0.5,
  timestamp: 1_700_000_000 + i,
  transactionHash: `0x${String(i).padStart(64, '0')}`,
});

describe('producers/records', () => {
  let log: TestLog;
  beforeEach(async () => {
    log = await openTestLog();
  });
  afterEach(async () => {
    await log.close();
  });

  it('publishes checked records with keys and source headers, dead-letters misfits, then writes the cursor', async () => {
    const trades = await log.serde.codecFor(TOPICS.rawTrades);
    const cursors = await log.serde.codecFor<Cursor>(TOPICS.cursors);
    const producer = log.transport.producer();
    const publisher = new Publisher({ producer, dlqTopic: TOPICS.dlq.name });
    const source = { endpoint: 'data:/trades', params: '{"market":"0xa"}', fetchedAt: 1_700_000_123_000 };
    const cursor: Cursor = { ...emptyCursor('data:/trades', '0xa'), offset: 3, records: 2 };
    const bad = { ...trade(9), size: 'lots' };
    const res = await publisher.page({
      encoder: trades,
      toRaw: toRawTrade,
      items: [
        { key: 'k1', api: trade(1) },
        { key: 'k2', api: bad },
        { key: 'k3', api: trade(3), headers: { [HEADERS.fillRole]: 'maker' } },
      ],
      source,
      control: [{ encoder: cursors, key: cursorKey('data:/trades', '0xa'), value: cursor }],
    });
    expect(res).to.deep.equal({ published: 2, deadLettered: 1 });

    const raw = await readAll(log.transport, TOPICS.rawTrades.name);
    expect(raw.map((r) => r.key?.toString()).sort()).to.deep.equal(['k1', 'k3']);
    const k3 = raw.find((r) => r.key?.toString() === 'k3')!;
    expect(k3.headers).to.include({ [HEADERS.endpoint]: 'data:/trades', [HEADERS.params]: '{"market":"0xa"}', [HEADERS.fetchedAt]: '1700000123000', [HEADERS.fillRole]: 'maker' });
    expect(((await trades.decode(k3.value!)) as { size: number }).size).to.equal(13);

    const dlq = await readAll(log.transport, TOPICS.dlq.name);
    expect(dlq).to.have.length(1);
    expect(JSON.parse(dlq[0]!.value!.toString())).to.deep.equal(bad);
    expect(dlq[0]!.headers[DLQ_HEADERS.reason]).to.equal('schema-mismatch');
    expect(dlq[0]!.headers[DLQ_HEADERS.error]).to.match(/size/);

    const store = await CursorStore.load(log.transport, TOPICS.cursors.name, cursors);
    expect(store.get('data:/trades', '0xa')).to.deep.include({ offset: 3, records: 2, complete: false });
  });

  it('group-commits pages from many workers and keeps the last cursor per key on reload', async () => {
    const trades = await log.serde.codecFor(TOPICS.rawTrades);
    const cursors = await log.serde.codecFor<Cursor>(TOPICS.cursors);
    const publisher = new Publisher({ producer: log.transport.producer(), dlqTopic: TOPICS.dlq.name });
    const source = { endpoint: 'data:/trades', params: '{}', fetchedAt: Date.now() };
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        publisher.page({
          encoder: trades,
          toRaw: toRawTrade,
          items: [{ key: `k${i}`, api: trade(i) }],
          source,
          control: [{ encoder: cursors, key: cursorKey('data:/trades', `m${i % 4}`), value: { ...emptyCursor('data:/trades', `m${i % 4}`), offset: i } }],
        }),
      ),
    );
    await publisher.flush();
    expect(await readAll(log.transport, TOPICS.rawTrades.name)).to.have.length(40);
    const store = await CursorStore.load(log.transport, TOPICS.cursors.name, cursors);
    expect(store.size).to.equal(4);
    expect([...store.of('data:/trades')].map((c) => c.offset).sort((a, b) => a! - b!)).to.deep.equal([36, 37, 38, 39]);
  });

  it('publishes a page queued while the previous drain is ending (it used to wait forever)', async () => {
    const trades = await log.serde.codecFor(TOPICS.rawTrades);
    const publisher = new Publisher({ producer: log.transport.producer(), dlqTopic: TOPICS.dlq.name });
    const source = { endpoint: 'data:/trades', params: '{}', fetchedAt: Date.now() };
    const page = (i: number) => publisher.page({ encoder: trades, toRaw: toRawTrade, items: [{ key: `k${i}`, api: trade(i) }], source });
    const stuck: number[] = [];
    // A worker publishes its next page a few microtasks after its last one was durable: one of
    // these delays lands between the drain's last look at the queue and its end.
    for (let ticks = 0; ticks < 30; ticks++) {
      await page(2 * ticks);
      for (let t = 0; t < ticks; t++) await Promise.resolve();
      let durable = false;
      const next = page(2 * ticks + 1).then(() => {
        durable = true;
      });
      await publisher.flush();
      await new Promise((resolve) => setImmediate(resolve));
      if (!durable) stuck.push(ticks);
      else await next;
    }
    expect(stuck, 'delays after which the page was left queued').to.deep.equal([]);
    expect(await readAll(log.transport, TOPICS.rawTrades.name)).to.have.length(60);
  });
});
