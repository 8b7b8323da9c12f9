/**
 * Every record the simulator serves fits the raw Avro schema of its topic (schemas/raw-*.avsc):
 * mapped with the producers' `toRaw`, valid for avsc, and mapped back to the same JSON.
 */
import avro from 'avsc';
import { expect } from 'chai';
import WebSocket from 'ws';
import { loadSchema } from '../../schemas/index.ts';
import { type RawSchemaName, rawMapper } from '../../schemas/raw/index.ts';
import { type Simulator, startSimulator } from '../../simulator/index.ts';
import { getJson, qs } from './helpers.ts';

type Row = Record<string, unknown>;

function dropNulls(o: Row): Row {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
}

function checkAll(schema: RawSchemaName, records: unknown[], context: Record<string, unknown> = {}, keepNulls = false): void {
  expect(records.length, `no ${schema} records to check`).to.be.greaterThan(0);
  const type = avro.Type.forSchema(loadSchema(schema) as avro.Schema);
  const mapper = rawMapper(schema);
  for (const rec of records) {
    const raw = mapper.toRaw(rec, context);
    const errors: string[] = [];
    const ok = type.isValid(raw, { errorHook: (path) => errors.push(path.join('.')) });
    expect(ok, `${schema}: invalid at ${errors.join(', ')}`).to.equal(true);
    const back = mapper.fromRaw(structuredClone(type.fromBuffer(type.toBuffer(raw))) as Row, { keepNulls });
    expect(back).to.deep.equal(keepNulls ? rec : dropNulls(rec as Row));
  }
}

describe('simulator responses fit the raw Avro schemas', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ port: 0, limits: false, seed: 12, markets: 150, events: 60, tradesPerMarket: 25, leaderboardSize: 60, live: true, wsTickMs: 40, liveTradeRate: 3 });
  });
  after(async () => sim.close());

  it('Gamma markets (list, keyset, with tags) and events', async () => {
    const open = (await getJson<Row[]>(`${sim.urls.gamma}/markets?limit=100&include_tag=true`)).body;
    const closed = (await getJson<Row[]>(`${sim.urls.gamma}/markets?limit=100&closed=true`)).body;
    const keyset = (await getJson<{ markets: Row[] }>(`${sim.urls.gamma}/markets/keyset?limit=50&closed=true`)).body.markets;
    checkAll('raw-gamma-market', [...open, ...closed, ...keyset]);
    const events = (await getJson<Row[]>(`${sim.urls.gamma}/events?limit=100`)).body;
    checkAll('raw-gamma-event', events);
  });

  it('CLOB markets (with the captured ones and their nulls)', async () => {
    const page = (await getJson<{ data: Row[] }>(`${sim.urls.clob}/markets`)).body.data;
    checkAll('raw-clob-market', page, {}, true);
  });

  it('Data trades and leaderboard rows', async () => {
    const trades = (await getJson<Row[]>(`${sim.urls.data}/trades?limit=500&takerOnly=false`)).body;
    checkAll('raw-trade', trades);
    for (const [timePeriod, orderBy] of [
      ['WEEK', 'VOL'],
      ['DAY', 'PNL'],
      ['ALL', 'PNL'],
    ]) {
      const rows = (await getJson<Row[]>(`${sim.urls.data}/v1/leaderboard?${qs({ timePeriod: timePeriod!, orderBy: orderBy!, limit: 50 })}`)).body;
      checkAll('raw-leaderboard-row', rows, { category: 'OVERALL', timePeriod, orderBy, fetchedAt: 1_790_000_000_000 });
    }
  });

  it('price history points', async () => {
    const market = (await getJson<{ data: Array<{ closed: boolean; tokens: Array<{ token_id: string }> }> }>(`${sim.urls.clob}/markets`)).body.data.find((m) => !m.closed)!;
    const token = market.tokens[0]!.token_id;
    const now = Math.floor(sim.world.clock.now());
    const history = (await getJson<{ history: Row[] }>(`${sim.urls.clob}/prices-history?${qs({ market: token, startTs: now - 1_296_000, endTs: now, fidelity: 1 })}`)).body.history;
    checkAll('raw-price-point', history, { token, fidelity: 1, startTs: now - 1_296_000, endTs: now, interval: null, fetchedAt: now * 1000 });
  });

  it('order books (REST, as book events) and every WebSocket event type', async () => {
    const w = sim.world;
    const open: number[] = [];
    for (let m = 0; m < w.marketCount(); m++) if (!w.isClosed(m) && w.market(m).enableOrderBook) open.push(m);
    open.sort((a, b) => w.liveRate(b) - w.liveRate(a));
    const tokens = open.slice(0, 8).flatMap((m) => [...w.market(m).tokens]);
    const book = (await getJson<Row>(`${sim.urls.clob}/book?token_id=${tokens[0]}`)).body;
    checkAll('raw-ws-market-event', [{ ...book, event_type: 'book' }]);

    const ws = new WebSocket(sim.urls.ws);
    const frames: string[] = [];
    const seen = new Set<unknown>();
    ws.on('message', (d) => {
      const f = d.toString();
      frames.push(f);
      if (f.startsWith('{')) seen.add((JSON.parse(f) as Row).event_type);
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ assets_ids: tokens, type: 'market', custom_feature_enabled: true }));
    const ping = setInterval(() => ws.send('PING'), 100);
    try {
      await new Promise((r) => setTimeout(r, 100));
      sim.advance(1_800);
      const end = Date.now() + 3_000;
      while (Date.now() < end && !['last_trade_price', 'price_change', 'book', 'best_bid_ask', 'new_market'].every((k) => seen.has(k))) await new Promise((r) => setTimeout(r, 50));
    } finally {
      clearInterval(ping);
      ws.terminate();
    }
    const events = frames.flatMap((f) => (f.startsWith('[') ? (JSON.parse(f) as Row[]) : f.startsWith('{') ? [JSON.parse(f) as Row] : []));
    const kinds = new Set(events.map((e) => e.event_type));
    for (const k of ['book', 'last_trade_price', 'price_change', 'best_bid_ask', 'new_market']) expect(kinds.has(k), `no ${k} event`).to.equal(true);
    // Up to 200 events of each type is plenty to cover every shape.
    const sample = [...kinds].flatMap((k) => events.filter((e) => e.event_type === k).slice(0, 200));
    checkAll('raw-ws-market-event', sample);
  });
});
