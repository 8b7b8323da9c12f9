/**
 * The market WebSocket: subscription and initial dump, PING/PONG and the rules that close a
 * connection, live events computed from the moving world (and consistent with `/trades`), dynamic
 * (un)subscription, the per-connection token stall, and WebSocket faults. Also live mode itself:
 * the clock moves, fills and markets appear, the truth follows.
 */
import { expect } from 'chai';
import WebSocket from 'ws';
import { keys, type Simulator, startSimulator } from '../../simulator/index.ts';
import { getJson, qs } from './helpers.ts';

type Frame = string;

class Client {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  closed: { code: number } | null = null;
  private waiters: Array<() => void> = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (d) => {
      this.frames.push(d.toString());
      for (const w of this.waiters.splice(0)) w();
    });
    this.ws.on('close', (code) => {
      this.closed = { code };
      for (const w of this.waiters.splice(0)) w();
    });
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  /** Waits until `pred` holds over the frames (or the socket closed), at most `ms`. */
  async until(pred: () => boolean, ms = 3_000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred() && !this.closed && Date.now() < end) {
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  events(): Array<Record<string, unknown>> {
    return this.frames.filter((f) => f.startsWith('{')).map((f) => JSON.parse(f) as Record<string, unknown>);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Sends PING and waits for the PONG (the server answers a connection's frames in order). */
async function pong(c: Client): Promise<void> {
  const before = c.frames.filter((f) => f === 'PONG').length;
  c.ws.send('PING');
  await c.until(() => c.frames.filter((f) => f === 'PONG').length > before);
  expect(c.frames.filter((f) => f === 'PONG').length, 'PONG').to.equal(before + 1);
}

async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function connect(sim: Simulator): Promise<Client> {
  const c = new Client(sim.urls.ws);
  await c.open();
  return c;
}

/** Open markets with the most live fills per second. */
function busyOpenMarkets(sim: Simulator, n: number): number[] {
  const w = sim.world;
  const open: number[] = [];
  for (let m = 0; m < w.marketCount(); m++) if (!w.isClosed(m) && w.market(m).enableOrderBook) open.push(m);
  return open.sort((a, b) => w.liveRate(b) - w.liveRate(a)).slice(0, n);
}

/** One live world for every test here, so the cap test sees the same markets as the rest. */
const LIVE_WORLD = { port: 0, limits: false, seed: 21, markets: 120, events: 50, tradesPerMarket: 30, live: true, wsTickMs: 40 } as const;

describe('simulator market WebSocket', () => {
  let sim: Simulator;
  const clients: Client[] = [];
  const client = async (s = sim) => {
    const c = await connect(s);
    clients.push(c);
    return c;
  };

  before(async () => {
    sim = await startSimulator({ ...LIVE_WORLD, liveSpeed: 1, liveTradeRate: 2, overrides: { ws: { idleTimeoutMs: 400 } } });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => sim.close());

  it('subscribing sends one array of book snapshots (unknown tokens left out); PING gets PONG', async () => {
    const [m] = busyOpenMarkets(sim, 1);
    const tokens = sim.world.market(m!).tokens;
    const c = await client();
    c.ws.send(JSON.stringify({ assets_ids: [...tokens, '123'], type: 'market', initial_dump: true }));
    await c.until(() => c.frames.length >= 1);
    const dump = JSON.parse(c.frames[0]!) as Array<Record<string, unknown>>;
    expect(dump.map((b) => b.asset_id)).to.deep.equal([...tokens]);
    for (const b of dump) {
      expect(b.event_type).to.equal('book');
      expect(b.market).to.equal(sim.world.conditionId(m!));
      expect(b.timestamp).to.match(/^\d{13}$/);
    }
    c.ws.send('PING');
    await c.until(() => c.frames.includes('PONG'));
    expect(c.frames).to.include('PONG');
  });

  it('a PING before subscribing closes the socket with 1008; silence past the idle timeout drops it', async () => {
    const a = await client();
    a.ws.send('PING');
    await a.until(() => a.closed !== null);
    expect(a.closed?.code).to.equal(1008);
    const b = await client();
    b.ws.send(JSON.stringify({ assets_ids: [], type: 'market' }));
    await b.until(() => b.closed !== null, 3_000);
    expect(b.closed).to.not.equal(null);
  });

  it('live trades on the socket are served by /trades afterwards; books and price changes follow', async () => {
    const markets = busyOpenMarkets(sim, 3);
    const tokens = markets.flatMap((m) => [...sim.world.market(m).tokens]);
    const c = await client();
    c.ws.send(JSON.stringify({ assets_ids: tokens, type: 'market' }));
    await c.until(() => c.frames.length >= 1);
    const keepAlive = setInterval(() => c.ws.send('PING'), 100);
    try {
      sim.advance(600);
      await c.until(() => c.events().some((e) => e.event_type === 'last_trade_price') && c.events().some((e) => e.event_type === 'price_change'));
    } finally {
      clearInterval(keepAlive);
    }
    const trades = c.events().filter((e) => e.event_type === 'last_trade_price');
    expect(trades.length).to.be.greaterThan(0);
    const changes = c.events().filter((e) => e.event_type === 'price_change');
    expect(changes.length).to.be.greaterThan(0);
    const pc = (changes[0]!.price_changes as Array<Record<string, string>>)[0]!;
    expect(Object.keys(pc)).to.deep.equal(['asset_id', 'price', 'size', 'side', 'hash', 'best_bid', 'best_ask']);
    const truthKeys = new Set([...sim.truth({ types: ['trade'] })].map((r) => r.key));
    for (const t of trades.slice(0, 20)) {
      const ts = Number(t.timestamp) / 1000;
      const rows = (await getJson<Array<Record<string, unknown>>>(`${sim.urls.data}/trades?${qs({ market: t.market as string, start: ts, end: ts, limit: 500 })}`)).body;
      const hit = rows.find((r) => r.transactionHash === t.transaction_hash && r.asset === t.asset_id && r.side === t.side && String(r.size) === t.size);
      expect(hit, `trade ${t.transaction_hash} not served`).to.not.equal(undefined);
      expect((hit!.timestamp as number) * 1000).to.equal(Number(t.timestamp));
      const key = keys.tradeKey(hit as never);
      expect(truthKeys.has(key)).to.equal(true);
    }
  });

  it('dynamic subscribe sends snapshots of the added tokens; unsubscribe stops them', async () => {
    const [a, b] = busyOpenMarkets(sim, 2);
    const c = await client();
    c.ws.send(JSON.stringify({ assets_ids: [sim.world.tokenId(a!, 0)], type: 'market' }));
    await c.until(() => c.frames.length >= 1);
    c.ws.send(JSON.stringify({ operation: 'subscribe', assets_ids: [sim.world.tokenId(b!, 0)] }));
    await c.until(() => c.frames.length >= 2);
    const second = JSON.parse(c.frames[1]!) as Array<Record<string, unknown>>;
    expect(second.map((x) => x.asset_id)).to.deep.equal([sim.world.tokenId(b!, 0)]);
    c.ws.send(JSON.stringify({ operation: 'unsubscribe', assets_ids: [sim.world.tokenId(a!, 0), sim.world.tokenId(b!, 0)] }));
    // The server answers a connection's frames in order: the PONG says the unsubscribe is applied.
    await pong(c);
    const unsubscribed = c.frames.length;
    const control = await client();
    control.ws.send(JSON.stringify({ assets_ids: [sim.world.tokenId(a!, 0), sim.world.tokenId(b!, 0)], type: 'market' }));
    await control.until(() => control.frames.length >= 1);
    sim.advance(600);
    await control.until(() => control.frames.length >= 2);
    expect(control.frames.length).to.be.greaterThan(1);
    // The control got events of those tokens; anything sent to c in the same tick precedes its next PONG.
    await pong(c);
    expect(c.frames.slice(unsubscribed)).to.deep.equal(['PONG']);
  });

  it('beyond the per-connection token cap a connection goes silent but still answers PING', async () => {
    const s = await startSimulator({ ...LIVE_WORLD, liveTradeRate: 5, overrides: { ws: { tokensPerConnection: 1 } } });
    try {
      const markets = busyOpenMarkets(s, 3);
      const tokens = markets.flatMap((m) => [...s.world.market(m).tokens]);
      const c = await client(s);
      c.ws.send(JSON.stringify({ assets_ids: tokens, type: 'market' }));
      await c.until(() => c.frames.length >= 1);
      // One connection per token, within the cap: their events show when c would have had some.
      const controls = await Promise.all(tokens.map(() => client(s)));
      for (const [i, k] of controls.entries()) k.ws.send(JSON.stringify({ assets_ids: [tokens[i]], type: 'market' }));
      await Promise.all(controls.map((k) => k.until(() => k.frames.length >= 1)));
      s.advance(900);
      await until(() => controls.some((k) => k.events().length > 0), 'an event on a connection within the cap');
      await pong(c);
      expect(c.frames.filter((f) => f.startsWith('{'))).to.deep.equal([]);
    } finally {
      await s.close();
    }
  });

  it('faults: ws-drop cuts the connection, ws-silent keeps it open without data', async () => {
    const [m] = busyOpenMarkets(sim, 1);
    sim.setFaults({ rules: [{ kind: 'ws-drop', rate: 1 }] });
    const a = await client();
    a.ws.send(JSON.stringify({ assets_ids: [sim.world.tokenId(m!, 0)], type: 'market' }));
    await a.until(() => a.closed !== null);
    expect(a.closed).to.not.equal(null);
    sim.setFaults({ rules: [{ kind: 'ws-silent', rate: 1 }] });
    const silenced = (sim.stats().ws as { silenced: number }).silenced;
    const b = await client();
    b.ws.send(JSON.stringify({ assets_ids: [...sim.world.market(m!).tokens], type: 'market' }));
    await b.until(() => b.frames.length >= 1);
    await until(() => (sim.stats().ws as { silenced: number }).silenced > silenced, 'the connection to be silenced');
    // A connection opened after the fault is lifted gets the events b would have had.
    sim.setFaults({ rules: [] });
    const control = await client();
    control.ws.send(JSON.stringify({ assets_ids: [...sim.world.market(m!).tokens], type: 'market' }));
    await control.until(() => control.frames.length >= 1);
    sim.advance(600);
    await until(() => control.events().length > 0, 'an event on the control connection');
    await pong(b);
    expect(b.frames.slice(1)).to.deep.equal(['PONG']);
  });

  it('fault unknown-field on "ws": every event gains the key, and events of an unknown type arrive', async () => {
    const markets = busyOpenMarkets(sim, 3);
    sim.setFaults({ rules: [{ kind: 'unknown-field', rate: 1, routes: ['ws'], field: 'brandNew' }] });
    try {
      const c = await client();
      c.ws.send(JSON.stringify({ assets_ids: markets.flatMap((m) => [...sim.world.market(m).tokens]), type: 'market' }));
      await c.until(() => c.frames.length >= 1);
      c.ws.send('PING');
      await new Promise((r) => setTimeout(r, 60));
      sim.advance(600);
      await c.until(() => c.events().some((e) => e.event_type === 'sim_unannounced') && c.events().some((e) => e.event_type === 'last_trade_price'));
      const known = c.events().filter((e) => e.event_type !== 'sim_unannounced');
      expect(known.length).to.be.greaterThan(0);
      expect(known.every((e) => 'brandNew' in e)).to.equal(true);
      expect(c.events().some((e) => e.event_type === 'sim_unannounced')).to.equal(true);
    } finally {
      sim.setFaults({ rules: [] });
    }
  });

  it('live mode: new fills at the head of /trades, new markets in the listings, truth as of a time', async () => {
    const [m] = busyOpenMarkets(sim, 1);
    const condition = sim.world.conditionId(m!);
    const before = (await getJson<Array<Record<string, unknown>>>(`${sim.urls.data}/trades?${qs({ market: condition, limit: 1 })}`)).body[0]!;
    const countBefore = sim.truthCounts().trade;
    const marketsBefore = sim.world.marketCount();
    sim.advance(7_200);
    const after = (await getJson<Array<Record<string, unknown>>>(`${sim.urls.data}/trades?${qs({ market: condition, limit: 1 })}`)).body[0]!;
    expect(after.timestamp as number).to.be.greaterThan(before.timestamp as number);
    expect(sim.truthCounts().trade).to.be.greaterThan(countBefore);
    expect(sim.world.marketCount()).to.be.greaterThan(marketsBefore);
    const newest = sim.world.market(sim.world.marketCount() - 1);
    expect(newest.createdAt).to.be.greaterThan(sim.world.options.worldEnd);
    const got = (await getJson<Array<Record<string, unknown>>>(`${sim.urls.gamma}/markets?id=${newest.id}&closed=${sim.world.isClosed(newest.index)}`)).body;
    expect(got.map((x) => x.id)).to.deep.equal([newest.id]);
    const atEnd = sim.truthCounts({ asOf: sim.world.options.worldEnd }).trade;
    const atEndRecords = [...sim.truth({ types: ['trade'], asOf: sim.world.options.worldEnd })];
    expect(atEndRecords).to.have.length(atEnd);
    expect(atEndRecords.every((r) => (r.timestamp as number) <= sim.world.options.worldEnd)).to.equal(true);
    expect(atEnd).to.be.lessThan(sim.truthCounts().trade);
  });
});
