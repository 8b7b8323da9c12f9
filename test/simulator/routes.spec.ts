/**
 * Routes that answered 404 before (issue 19 §2): Gamma series, teams, sports, search and related
 * tags, Data API positions, activity, value, holders and open interest, CLOB markets-by-token.
 * Their answers agree with the rest of the world (a wallet's positions are its trades netted).
 */
import { expect } from 'chai';
import { getJson, qs, useSimulator } from './helpers.ts';

type Row = Record<string, unknown>;

describe('simulator routes derived from the world', () => {
  const h = useSimulator({ seed: 11, markets: 150, events: 60, tradesPerMarket: 8, pricePoints: 40, leaderboardSize: 50, profile: 'current' });

  /** A wallet that trades, with every one of its trade rows (taker and maker). */
  async function trader(): Promise<{ user: string; rows: Row[] }> {
    const { data } = h.sim.urls;
    const seen = (await getJson<Row[]>(`${data}/trades?${qs({ limit: 200, takerOnly: false })}`)).body;
    const user = seen[0]!.proxyWallet as string;
    const rows = (await getJson<Row[]>(`${data}/trades?${qs({ user, limit: 10_000, takerOnly: false })}`)).body;
    expect(rows.length).to.be.greaterThan(0);
    return { user, rows };
  }

  it('Data API /positions: the user is required; each position is the wallet trades netted per token, /value their current value', async () => {
    const { data } = h.sim.urls;
    expect((await getJson(`${data}/positions`)).status).to.equal(400);
    const { user, rows } = await trader();
    const net = new Map<string, number>();
    for (const r of rows) net.set(r.asset as string, (net.get(r.asset as string) ?? 0) + (r.side === 'BUY' ? 1 : -1) * (r.size as number));
    const { status, body } = await getJson<Row[]>(`${data}/positions?${qs({ user, sizeThreshold: 0 })}`);
    expect(status).to.equal(200);
    const want = [...net].filter(([, s]) => s > 1e-9);
    expect(body.map((p) => p.asset).sort()).to.deep.equal(want.map(([a]) => a).sort());
    for (const p of body) {
      expect(p.size as number).to.be.closeTo(net.get(p.asset as string)!, 1e-6);
      expect(p.proxyWallet).to.equal(user.toLowerCase());
      expect(p.currentValue as number).to.be.closeTo((p.size as number) * (p.curPrice as number), 1e-4);
    }
    const value = (await getJson<Array<{ user: string; value: number }>>(`${data}/value?${qs({ user })}`)).body;
    expect(value).to.have.length(1);
    expect(value[0]!.value).to.be.closeTo(
      body.reduce((s, p) => s + (p.currentValue as number), 0),
      1e-4,
    );
  });

  it('Data API /activity: the user is required; its TRADE rows are the wallet trade rows, newest first, offset cap refused', async () => {
    const { data } = h.sim.urls;
    expect((await getJson(`${data}/activity`)).status).to.equal(400);
    const { user, rows } = await trader();
    const { status, body } = await getJson<Row[]>(`${data}/activity?${qs({ user, limit: 500 })}`);
    expect(status).to.equal(200);
    expect(body.map((a) => [a.transactionHash, a.side, a.size, a.type])).to.deep.equal(rows.slice(0, 500).map((r) => [r.transactionHash, r.side, r.size, 'TRADE']));
    expect((await getJson(`${data}/activity?${qs({ user, type: 'REDEEM' })}`)).body).to.deep.equal([]);
    expect((await getJson(`${data}/activity?${qs({ user, type: 'NOPE' })}`)).status).to.equal(400);
    const deep = await getJson(`${data}/activity?${qs({ user, offset: 5_001 })}`);
    expect([deep.status, deep.body]).to.deep.equal([400, { error: 'max historical activity offset of 5000 exceeded' }]);
  });

  it('Data API /holders: market required, one entry per outcome token, at most 20 holders, the largest first; /oi per market', async () => {
    const { data } = h.sim.urls;
    expect((await getJson(`${data}/holders`)).status).to.equal(400);
    const { user, rows } = await trader();
    const market = rows[0]!.conditionId as string;
    const { body } = await getJson<Array<{ token: string; holders: Row[] }>>(`${data}/holders?${qs({ market, limit: 50, minBalance: 0 })}`);
    expect(body).to.have.length(2);
    for (const t of body) {
      expect(t.holders.length).to.be.at.most(20);
      const amounts = t.holders.map((x) => x.amount as number);
      expect(amounts).to.deep.equal([...amounts].sort((a, b) => b - a));
      for (const x of t.holders) expect(x.asset).to.equal(t.token);
    }
    const positions = (await getJson<Row[]>(`${data}/positions?${qs({ user, market, sizeThreshold: 0 })}`)).body;
    for (const p of positions) {
      const listed = body.find((t) => t.token === p.asset)!.holders.find((x) => x.proxyWallet === user.toLowerCase());
      if (listed) expect(listed.amount).to.equal(p.size);
    }
    const oi = (await getJson<Array<{ market: string; value: number }>>(`${data}/oi?${qs({ market })}`)).body;
    expect(oi.map((x) => x.market)).to.deep.equal([market]);
    expect((await getJson(`${data}/oi?market=nope`)).status).to.equal(400);
  });

  it('Gamma /series nest their sports events; /sports lists one league per series; /teams filters by league', async () => {
    const { gamma } = h.sim.urls;
    const series = (await getJson<Array<Row & { events?: Row[] }>>(`${gamma}/series?limit=500`)).body;
    expect(series.map((s) => s.slug).sort()).to.deep.equal(['mlb', 'nba', 'nfl', 'nhl']);
    for (const s of series) for (const e of s.events ?? []) expect(e.seriesSlug).to.equal(s.slug);
    expect(series.some((s) => (s.events ?? []).length > 0)).to.equal(true);
    const bare = (await getJson<Row[]>(`${gamma}/series?exclude_events=true`)).body;
    expect(bare.every((s) => !('events' in s))).to.equal(true);
    const sports = (await getJson<Row[]>(`${gamma}/sports`)).body;
    expect(sports.map((s) => s.series).sort()).to.deep.equal(series.map((s) => s.id).sort());
    const teams = (await getJson<Row[]>(`${gamma}/teams?limit=500`)).body;
    expect(teams).to.have.length(72);
    const nba = (await getJson<Row[]>(`${gamma}/teams?league=nba&limit=5`)).body;
    expect(nba).to.have.length(5);
    expect(nba.every((t) => t.league === 'nba' && typeof t.id === 'number')).to.equal(true);
  });

  it('Gamma /public-search needs q and finds events by the words of their title; related tags are the tags events carry beside it', async () => {
    const { gamma } = h.sim.urls;
    expect((await getJson(`${gamma}/public-search`)).status).to.equal(422);
    const event = (await getJson<Row[]>(`${gamma}/events?limit=1&closed=false`)).body[0]!;
    const words = (event.title as string).split(' ').slice(0, 3).join(' ');
    const found = (await getJson<{ events: Row[]; pagination: { totalResults: number } }>(`${gamma}/public-search?${qs({ q: words, limit_per_type: 50 })}`)).body;
    expect(found.events.map((e) => e.id)).to.include(event.id);
    expect(found.pagination.totalResults).to.be.at.least(found.events.length);
    const related = (await getJson<Row[]>(`${gamma}/tags/1/related-tags/tags`)).body;
    expect(related.length).to.be.greaterThan(0);
    expect(related.every((t) => typeof t.activeEventsCount === 'number' && t.id !== '1')).to.equal(true);
    expect((await getJson(`${gamma}/tags/999999/related-tags/tags`)).status).to.equal(404);
  });

  it('CLOB /markets-by-token names the market of either token; an unknown token is a 404', async () => {
    const { gamma, clob } = h.sim.urls;
    const market = (await getJson<Row[]>(`${gamma}/markets?limit=1`)).body[0]!;
    const tokens = JSON.parse(market.clobTokenIds as string) as string[];
    for (const token of tokens) {
      const { status, body } = await getJson<Row>(`${clob}/markets-by-token/${token}`);
      expect(status).to.equal(200);
      expect(body.condition_id).to.equal(market.conditionId);
      expect([body.primary_token_id, body.secondary_token_id].sort()).to.deep.equal([...tokens].sort());
    }
    expect((await getJson(`${clob}/markets-by-token/123`)).status).to.equal(404);
  });
});
