/**
 * Caps, defaults, quirks and error bodies per profile, as spec sections 3-5, 8 and 9 describe them.
 */
import { expect } from 'chai';
import { ConfigError } from '../../runtime/errors.ts';
import { startSimulator } from '../../simulator/index.ts';
import { fetchRaw, getJson, qs, useSimulator } from './helpers.ts';

type Row = Record<string, unknown>;
const WORLD = { seed: 5, markets: 700, events: 300, tradesPerMarket: 45, pricePoints: 200, leaderboardSize: 1_200 };

/** A market with more than `rows` taker rows, from the truth. */
function busyMarket(sim: ReturnType<typeof useSimulator>['sim'], rows: number): string {
  const counts = new Map<string, number>();
  for (const r of sim.truth({ types: ['trade'], takerOnly: true })) counts.set(r.conditionId as string, (counts.get(r.conditionId as string) ?? 0) + 1);
  const hit = [...counts].find(([, n]) => n > rows);
  if (!hit) throw new Error(`no market with more than ${rows} fills in this world`);
  return hit[0];
}

describe('simulator caps and errors: current profile', () => {
  const h = useSimulator({ ...WORLD, profile: 'current' });

  it('Gamma list limit is clamped to 100 silently; offset over 2000 is a 422 with the observed body', async () => {
    const { status, body } = await getJson<Row[]>(`${h.sim.urls.gamma}/markets?${qs({ limit: 500, closed: true })}`);
    expect(status).to.equal(200);
    expect(body).to.have.length(100);
    const deep = await getJson(`${h.sim.urls.gamma}/markets?offset=2001&limit=10`);
    expect(deep.status).to.equal(422);
    expect(deep.body).to.deep.equal({ type: 'validation error', error: 'offset too large, use /markets/keyset for deeper pagination' });
    expect((await fetchRaw(`${h.sim.urls.gamma}/markets?offset=2000&limit=1&closed=true`)).status).to.equal(200);
  });

  it('Gamma quirks: string-encoded arrays, numeric strings beside numbers, $schema on single records, 422 on snake_case order', async () => {
    const { body } = await getJson<Row[]>(`${h.sim.urls.gamma}/markets?limit=3`);
    const m = body[0]!;
    expect(m.outcomes).to.be.a('string');
    expect(JSON.parse(m.outcomes as string)).to.have.length(2);
    expect(m.clobTokenIds as string).to.match(/^\["\d{77}", "\d{77}"\]$/);
    expect(m.volume).to.be.a('string');
    expect(m.volumeNum).to.be.a('number');
    expect(m.endDateIso).to.match(/^\d{4}-\d\d-\d\d$/);
    const one = await getJson<Row>(`${h.sim.urls.gamma}/markets/${m.id}`);
    expect(one.body.$schema).to.equal('https://gamma-api.polymarket.com/schemas/Market.json');
    expect(one.body.id).to.equal(m.id);
    const bySlug = await getJson<Row>(`${h.sim.urls.gamma}/markets/slug/${m.slug}`);
    expect(bySlug.body.conditionId).to.equal(m.conditionId);
    const snake = await getJson(`${h.sim.urls.gamma}/markets?order=volume_num`);
    expect(snake.status).to.equal(422);
    expect(snake.body).to.deep.equal({ type: 'validation error', error: 'order fields are not valid' });
    expect((await getJson(`${h.sim.urls.gamma}/markets/999999999`)).status).to.equal(404);
  });

  it('Gamma closed=false default applies even to id filters; keyset rejects offset', async () => {
    const closed = (await getJson<Row[]>(`${h.sim.urls.gamma}/markets?closed=true&limit=1`)).body[0]!;
    expect((await getJson<Row[]>(`${h.sim.urls.gamma}/markets?id=${closed.id}`)).body).to.deep.equal([]);
    expect((await getJson<Row[]>(`${h.sim.urls.gamma}/markets?id=${closed.id}&closed=true`)).body).to.have.length(1);
    const ks = await getJson(`${h.sim.urls.gamma}/markets/keyset?offset=5`);
    expect(ks.status).to.equal(422);
    const sorted = await getJson<{ markets: Row[] }>(`${h.sim.urls.gamma}/markets/keyset?${qs({ order: 'volumeNum', ascending: false, limit: 50 })}`);
    const vols = sorted.body.markets.map((x) => x.volumeNum as number);
    expect(vols).to.deep.equal([...vols].sort((a, b) => b - a));
  });

  it('Data /trades: limit clamp, 400 past offset 10000 with the observed message, bad parameters are 400 {"error"}', async () => {
    const market = busyMarket(h.sim, 60);
    const big = await getJson<Row[]>(`${h.sim.urls.data}/trades?${qs({ market, limit: 20_000, takerOnly: false })}`);
    expect(big.status).to.equal(200);
    const past = await getJson(`${h.sim.urls.data}/trades?${qs({ market, offset: 10_001 })}`);
    expect(past.status).to.equal(400);
    expect(past.body).to.deep.equal({ error: 'max historical trades offset of 10000 exceeded' });
    expect((await getJson(`${h.sim.urls.data}/trades?side=HOLD`)).status).to.equal(400);
    expect((await getJson(`${h.sim.urls.data}/trades?market=nope`)).body).to.deep.equal({ error: 'invalid market parameter' });
    expect((await getJson(`${h.sim.urls.data}/trades?${qs({ market, eventId: 1 })}`)).status).to.equal(400);
  });

  it('Data /trades rows: every key present, seconds, newest first; start/end are honoured; startTs is ignored', async () => {
    const market = busyMarket(h.sim, 60);
    const { body } = await getJson<Row[]>(`${h.sim.urls.data}/trades?${qs({ market, limit: 60 })}`);
    const keys = [
      'proxyWallet',
      'side',
      'asset',
      'conditionId',
      'size',
      'price',
      'timestamp',
      'title',
      'slug',
      'icon',
      'eventSlug',
      'outcome',
      'outcomeIndex',
      'name',
      'pseudonym',
      'bio',
      'profileImage',
      'profileImageOptimized',
      'transactionHash',
    ];
    for (const r of body) expect(Object.keys(r)).to.deep.equal(keys);
    const ts = body.map((r) => r.timestamp as number);
    expect(ts).to.deep.equal([...ts].sort((a, b) => b - a));
    expect(ts[0]).to.be.lessThan(10_000_000_000);
    const mid = ts[30]!;
    const windowed = (await getJson<Row[]>(`${h.sim.urls.data}/trades?${qs({ market, end: mid, limit: 500 })}`)).body;
    expect(windowed.every((r) => (r.timestamp as number) <= mid)).to.equal(true);
    expect(windowed.length).to.be.greaterThan(0);
    const ignored = (await getJson<Row[]>(`${h.sim.urls.data}/trades?${qs({ market, endTs: mid, limit: 60 })}`)).body;
    expect(ignored).to.deep.equal(body);
    const sells = (await getJson<Row[]>(`${h.sim.urls.data}/trades?${qs({ market, side: 'SELL', limit: 500 })}`)).body;
    expect(sells.every((r) => r.side === 'SELL')).to.equal(true);
    const cash = (await getJson<Row[]>(`${h.sim.urls.data}/trades?${qs({ market, filterType: 'CASH', filterAmount: 50, limit: 500 })}`)).body;
    expect(cash.every((r) => (r.size as number) * (r.price as number) >= 50)).to.equal(true);
  });

  it("Data /trades?user= finds that wallet's rows across markets", async () => {
    const trade = [...h.sim.truth({ types: ['trade'] })][500]!;
    const wallet = trade.proxyWallet as string;
    const rows = (await getJson<Row[]>(`${h.sim.urls.data}/trades?${qs({ user: wallet, takerOnly: false, limit: 10_000 })}`)).body;
    const want = [...h.sim.truth({ types: ['trade'] })].filter((r) => r.proxyWallet === wallet).length;
    expect(rows.length).to.equal(want);
    expect(rows.every((r) => r.proxyWallet === wallet)).to.equal(true);
  });

  it('leaderboard: upper-case enums, string ranks, ESPORTS, offset cap 1000, limit clamp 50, user lookup', async () => {
    const bad = await fetchRaw(`${h.sim.urls.data}/v1/leaderboard?category=overall`);
    expect(bad.status).to.equal(400);
    expect(JSON.parse(bad.text)).to.deep.equal({ error: 'invalid category parameter' });
    expect((await getJson(`${h.sim.urls.data}/v1/leaderboard?category=ESPORTS`)).status).to.equal(200);
    const page = await getJson<Row[]>(`${h.sim.urls.data}/v1/leaderboard?${qs({ limit: 200, timePeriod: 'MONTH' })}`);
    expect(page.body).to.have.length(50);
    expect(page.body[0]!.rank).to.equal('1');
    expect((await getJson(`${h.sim.urls.data}/v1/leaderboard?offset=1001`)).status).to.equal(400);
    const row = page.body[17]!;
    const me = await getJson<Row[]>(`${h.sim.urls.data}/v1/leaderboard?${qs({ timePeriod: 'MONTH', user: row.proxyWallet as string })}`);
    expect(me.body).to.deep.equal([row]);
    const byName = await getJson<Row[]>(`${h.sim.urls.data}/v1/leaderboard?${qs({ timePeriod: 'MONTH', userName: row.userName as string })}`);
    expect(byName.body).to.deep.equal([row]);
    const pnl = page.body.map((r) => r.pnl as number);
    expect(pnl).to.deep.equal([...pnl].sort((a, b) => b - a));
  });

  it('Data /v2: envelope, cursor only (offset 400 with a JSON error), limit and market caps, tied ranks share a rank', async () => {
    const off = await getJson<Row>(`${h.sim.urls.data}/v2/trades?offset=10`);
    expect(off.status).to.equal(400);
    expect(off.body).to.include({ code: 'invalid_request', retryable: false, parameter: 'offset' });
    expect((await getJson(`${h.sim.urls.data}/v2/trades?limit=1001`)).status).to.equal(400);
    const many = Array.from({ length: 21 }, (_, i) => `0x${String(i).padStart(64, '0')}`).join(',');
    expect((await getJson(`${h.sim.urls.data}/v2/trades?market=${many}`)).status).to.equal(400);
    const ranks: number[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { data: Row[]; pagination: { next_cursor: string | null } } } = await getJson(
        `${h.sim.urls.data}/v2/leaderboard?${qs({ time_period: 'all', limit: 50, cursor: cursor ?? undefined })}`,
      );
      ranks.push(...r.body.data.map((x) => x.rank as number));
      cursor = r.body.pagination.next_cursor;
    } while (cursor);
    expect(ranks.length).to.equal(1_200);
    expect(ranks.some((r, i) => i > 0 && r === ranks[i - 1])).to.equal(true);
    expect(ranks.every((r, i) => i === 0 || r >= ranks[i - 1]!)).to.equal(true);
    const window = await getJson(`${h.sim.urls.data}/v2/prices-history?${qs({ token_id: '1', start_ts: 0, end_ts: 1_296_001 })}`);
    expect(window.status).to.equal(400);
  });

  it('CLOB books: worst level first, strings, extras; /midpoint answers "mid"; closed or unknown tokens 404 with the observed body', async () => {
    const page = (await getJson<{ data: Array<{ closed: boolean; enable_order_book: boolean; tokens: Array<{ token_id: string; winner: boolean; price: number }> }> }>(`${h.sim.urls.clob}/markets`))
      .body.data;
    const open = page.find((m) => !m.closed && m.enable_order_book)!;
    const token = open.tokens[0]!.token_id;
    const book = (
      await getJson<{ bids: Array<{ price: string; size: string }>; asks: Array<{ price: string }>; timestamp: string; hash: string; tick_size: string; last_trade_price: string }>(
        `${h.sim.urls.clob}/book?token_id=${token}`,
      )
    ).body;
    const bids = book.bids.map((l) => Number(l.price));
    const asks = book.asks.map((l) => Number(l.price));
    expect(bids).to.deep.equal([...bids].sort((a, b) => a - b));
    expect(asks).to.deep.equal([...asks].sort((a, b) => b - a));
    if (bids.length && asks.length) expect(bids[bids.length - 1]).to.be.lessThan(asks[asks.length - 1]!);
    expect(book.timestamp).to.match(/^\d{13}$/);
    expect(book.hash).to.match(/^[0-9a-f]{40}$/);
    expect(book.bids[0]!.price).to.not.match(/0$/);
    const mid = await getJson<Row>(`${h.sim.urls.clob}/midpoint?token_id=${token}`);
    expect(Object.keys(mid.body)).to.deep.equal(['mid']);
    expect(mid.body.mid).to.be.a('string');
    const price = await getJson<Row>(`${h.sim.urls.clob}/price?token_id=${token}&side=BUY`);
    expect(price.body.price).to.equal(book.bids[book.bids.length - 1]?.price ?? '0');
    const closed = page.find((m) => m.closed)!;
    const nob = await getJson(`${h.sim.urls.clob}/book?token_id=${closed.tokens[0]!.token_id}`);
    expect(nob.status).to.equal(404);
    expect(nob.body).to.deep.equal({ error: 'No orderbook exists for the requested token id' });
    expect(closed.tokens.filter((t) => t.winner)).to.have.length.at.most(1);
    expect((await getJson(`${h.sim.urls.clob}/books?token_ids=${token}`)).status).to.equal(400);
    const posted = await getJson<Row[]>(`${h.sim.urls.clob}/books`, [{ token_id: token }]);
    expect(posted.body).to.have.length(1);
  });

  it('CLOB POST batches answer the known tokens as their single-token routes do, and refuse a bad body', async () => {
    const page = (await getJson<{ data: Array<{ closed: boolean; enable_order_book: boolean; tokens: Array<{ token_id: string }> }> }>(`${h.sim.urls.clob}/markets`)).body.data;
    const token = page.find((m) => !m.closed && m.enable_order_book)!.tokens[0]!.token_id;
    const batch = [{ token_id: token, side: 'BUY' }, { token_id: '123' }];
    const mid = (await getJson<Row>(`${h.sim.urls.clob}/midpoint?token_id=${token}`)).body;
    expect((await getJson<Row>(`${h.sim.urls.clob}/midpoints`, batch)).body).to.deep.equal({ [token]: mid.mid });
    const buy = (await getJson<Row>(`${h.sim.urls.clob}/price?token_id=${token}&side=BUY`)).body;
    expect((await getJson<Row>(`${h.sim.urls.clob}/prices`, batch)).body).to.deep.equal({ [token]: { BUY: buy.price } });
    const spreads = (await getJson<Row>(`${h.sim.urls.clob}/spreads`, batch)).body;
    expect(Object.keys(spreads)).to.deep.equal([token]);
    const last = (await getJson<Row>(`${h.sim.urls.clob}/last-trade-price?token_id=${token}`)).body;
    const lasts = (await getJson<Row[]>(`${h.sim.urls.clob}/last-trades-prices`, batch)).body;
    expect(lasts).to.deep.equal(last.side === '' ? [] : [{ token_id: token, price: last.price, side: last.side }]);
    for (const route of ['books', 'prices', 'midpoints', 'spreads', 'last-trades-prices']) {
      expect((await getJson(`${h.sim.urls.clob}/${route}`, { token_id: token })).status, route).to.equal(400);
    }
  });

  it('CLOB /prices-history: 15-day cap, fidelity minimums, endTs alone, unknown token, interval=max empty for old closed markets, the trailing now point', async () => {
    const page = (await getJson<{ data: Array<{ closed: boolean; end_date_iso: string; enable_order_book: boolean; tokens: Array<{ token_id: string }> }> }>(`${h.sim.urls.clob}/markets`)).body.data;
    const open = page.find((m) => !m.closed && m.enable_order_book)!.tokens[0]!.token_id;
    const now = Math.floor(h.sim.world.clock.now());
    const tooLong = await getJson(`${h.sim.urls.clob}/prices-history?${qs({ market: open, startTs: now - 1_296_001, endTs: now })}`);
    expect(tooLong.status).to.equal(400);
    expect(tooLong.body).to.deep.equal({ error: "invalid filters: 'startTs' and 'endTs' interval is too long" });
    expect((await getJson(`${h.sim.urls.clob}/prices-history?${qs({ market: open, startTs: now - 1_296_000, endTs: now })}`)).status).to.equal(200);
    const week = await getJson(`${h.sim.urls.clob}/prices-history?${qs({ market: open, interval: '1w' })}`);
    expect(week.body).to.deep.equal({ error: "invalid filters: minimum 'fidelity' for '1w' range is 5" });
    const month = await getJson(`${h.sim.urls.clob}/prices-history?${qs({ market: open, interval: '1m', fidelity: 5 })}`);
    expect(month.body).to.deep.equal({ error: "invalid filters: minimum 'fidelity' for '1m' range is 10" });
    expect((await getJson(`${h.sim.urls.clob}/prices-history?${qs({ market: open, endTs: now })}`)).status).to.equal(400);
    expect((await getJson(`${h.sim.urls.clob}/prices-history?market=123`)).body).to.deep.equal({ history: [] });
    const old = page.find((m) => m.closed && m.enable_order_book && Date.parse(m.end_date_iso) / 1000 < now - 90 * 86_400)!.tokens[0]!.token_id;
    expect((await getJson(`${h.sim.urls.clob}/prices-history?${qs({ market: old, interval: 'max', fidelity: 60 })}`)).body).to.deep.equal({ history: [] });
    const full = (await getJson<{ history: Row[] }>(`${h.sim.urls.clob}/prices-history?${qs({ market: old, interval: 'max', fidelity: 720 })}`)).body.history;
    expect(full.length).to.be.greaterThan(0);
    const past = (await getJson<{ history: Array<{ t: number }> }>(`${h.sim.urls.clob}/prices-history?${qs({ market: open, startTs: now - 1_000_000, endTs: now - 500_000, fidelity: 1 })}`)).body
      .history;
    expect(past[past.length - 1]!.t).to.equal(now);
    expect(past.slice(0, -1).every((p) => p.t <= now - 500_000)).to.equal(true);
  });

  it('CLOB sampling listings hold the open markets; Gamma /events carries the deprecation headers', async () => {
    const sampling = await getJson<{ data: Array<{ closed: boolean; accepting_orders: boolean; rewards: { rates: unknown } }>; next_cursor: string }>(`${h.sim.urls.clob}/sampling-markets`);
    expect(sampling.body.next_cursor).to.equal('LTE=');
    expect(sampling.body.data.length).to.be.greaterThan(0);
    expect(sampling.body.data.every((m) => !m.closed && m.accepting_orders && m.rewards.rates !== null)).to.equal(true);
    const simple = await getJson<{ data: Row[] }>(`${h.sim.urls.clob}/sampling-simplified-markets`);
    expect(simple.body.data.map((m) => m.condition_id)).to.deep.equal(sampling.body.data.map((m) => (m as unknown as Row).condition_id));
    const events = await fetchRaw(`${h.sim.urls.gamma}/events?limit=1`);
    expect(events.headers.deprecation).to.equal('true');
    expect(events.headers.warning).to.equal('299 - "use /events/keyset"');
  });

  it('a port already in use is a ConfigError naming --port', async () => {
    const port = Number(new URL(h.sim.url).port);
    let error: unknown;
    await startSimulator({ port, markets: 5 }).then(
      (s) => s.close(),
      (err) => {
        error = err;
      },
    );
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).context.flag).to.equal('--port');
  });

  it('unknown routes are 404; health checks answer as documented', async () => {
    expect((await fetchRaw(`${h.sim.urls.gamma}/status`)).text).to.equal('OK');
    expect((await fetchRaw(`${h.sim.urls.data}/`)).text).to.equal('{"data":"OK"}');
    expect((await fetchRaw(`${h.sim.urls.clob}/`)).text).to.equal('"OK"');
    expect((await fetchRaw(`${h.sim.urls.clob}/time`)).text).to.equal(String(Math.floor(h.sim.world.clock.now())));
    expect((await fetchRaw(`${h.sim.urls.data}/no-such-route`)).status).to.equal(404);
    // /activity is served now: without a user it is a bad request, not an unknown route.
    expect((await fetchRaw(`${h.sim.urls.data}/activity`)).status).to.equal(400);
    expect((await fetchRaw(`${h.sim.urls.gamma}/markets?${'id=1&'.repeat(2_000)}`)).status).to.equal(414);
  });
});

describe('simulator caps and errors: 2025-12 profile', () => {
  const h = useSimulator({ ...WORLD, profile: '2025-12' });

  it('Gamma: limit clamp 500, no offset cap, no keyset routes', async () => {
    expect((await getJson<Row[]>(`${h.sim.urls.gamma}/markets?limit=1000`)).body).to.have.length(500);
    expect((await getJson(`${h.sim.urls.gamma}/markets?offset=5000&limit=5`)).status).to.equal(200);
    expect((await fetchRaw(`${h.sim.urls.gamma}/markets/keyset`)).status).to.equal(404);
  });

  it('Data /trades: limit clamp 500; offsets past 1000 repeat the rows at 1000; start/end ignored; no v2 routes', async () => {
    const market = busyMarket(h.sim, 800);
    const page = await getJson<Row[]>(`${h.sim.urls.data}/trades?${qs({ market, limit: 2_000, takerOnly: false })}`);
    expect(page.body).to.have.length(500);
    const at1000 = (await getJson<Row[]>(`${h.sim.urls.data}/trades?${qs({ market, limit: 100, offset: 1_000, takerOnly: false })}`)).body;
    const at1500 = (await getJson<Row[]>(`${h.sim.urls.data}/trades?${qs({ market, limit: 100, offset: 1_500, takerOnly: false })}`)).body;
    expect(at1000).to.have.length(100);
    expect(at1500).to.deep.equal(at1000);
    const windowed = (await getJson<Row[]>(`${h.sim.urls.data}/trades?${qs({ market, limit: 100, end: 1 })}`)).body;
    expect(windowed).to.have.length(100);
    expect((await fetchRaw(`${h.sim.urls.data}/v2/trades`)).status).to.equal(404);
    const gaps = [...h.sim.truth({ types: ['gap'] })].filter((g) => g.endpoint === 'data:/trades');
    expect(gaps.map((g) => g.market)).to.include(market);
  });

  it('leaderboard: no ESPORTS, offsets up to 10000 accepted', async () => {
    expect((await getJson(`${h.sim.urls.data}/v1/leaderboard?category=ESPORTS`)).body).to.deep.equal({ error: 'invalid category parameter' });
    expect((await getJson<Row[]>(`${h.sim.urls.data}/v1/leaderboard?offset=5000`)).body).to.deep.equal([]);
  });
});

describe('simulator profile overrides', () => {
  const h = useSimulator({
    ...WORLD,
    markets: 50,
    profile: 'current',
    overrides: { data: { tradesMaxOffset: 3_000, tradesOffsetError: 'max historical activity offset of 3000 exceeded' }, gamma: { listLimitMax: 20 } },
  });

  it('each knob can be changed on its own', async () => {
    expect((await getJson(`${h.sim.urls.data}/trades?offset=3001`)).body).to.deep.equal({ error: 'max historical activity offset of 3000 exceeded' });
    expect((await getJson<Row[]>(`${h.sim.urls.gamma}/markets?limit=100&closed=true`)).body).to.have.length(20);
  });
});
