/**
 * Paging every listing to its end through a plain HTTP client (undici) gives exactly the ground
 * truth: no record missing, none extra, no key twice within a walk, whatever the page sizes.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { keys } from '../../simulator/index.ts';
import { getJson, qs, useSimulator } from './helpers.ts';

type Row = Record<string, unknown>;
const WORLD = { seed: 42, markets: 60, events: 25, tradesPerMarket: 20, pricePoints: 15, leaderboardSize: 60 };

function truthKeys(
  sim: ReturnType<typeof useSimulator>['sim'],
  type: 'gamma-market' | 'gamma-event' | 'clob-market' | 'trade' | 'price-point' | 'leaderboard-row',
  filter: (r: Row) => boolean = () => true,
): string[] {
  return [...sim.truth({ types: [type] })]
    .filter(filter)
    .map((r) => r.key)
    .sort();
}

/** Walks offset pages of `path` until an empty page; returns every row. */
async function walkOffset(base: string, path: string, params: Record<string, string | number | boolean>, limit: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (let offset = 0; ; offset += limit) {
    const { status, body } = await getJson<Row[]>(`${base}${path}?${qs({ ...params, limit, offset })}`);
    expect(status).to.equal(200);
    if (body.length === 0) return rows;
    rows.push(...body);
  }
}

/** Offset paging with the page size cycling through `sizes`, advancing by what each page held, until an empty page. */
async function walkVaryingPages(sizes: number[], pageUrl: (limit: number, offset: number) => string): Promise<Row[]> {
  const rows: Row[] = [];
  for (let i = 0; ; i++) {
    const { body } = await getJson<Row[]>(pageUrl(sizes[i % sizes.length]!, rows.length));
    if (body.length === 0) return rows;
    rows.push(...body);
  }
}

function noDuplicates(list: string[]): string[] {
  expect(new Set(list).size, 'a key came twice').to.equal(list.length);
  return [...list].sort();
}

describe('simulator paging equals the ground truth (current profile)', () => {
  const h = useSimulator({ ...WORLD, profile: 'current' });

  it('Gamma /markets/keyset, closed and open, to the end', async () => {
    const ids: string[] = [];
    for (const closed of [true, false]) {
      let cursor: string | undefined;
      for (;;) {
        const { body } = await getJson<{ markets: Row[]; next_cursor?: string }>(`${h.sim.urls.gamma}/markets/keyset?${qs({ closed, limit: 7, after_cursor: cursor })}`);
        ids.push(...body.markets.map((m) => keys.gammaMarketKey(m as { id: string })));
        if (!body.next_cursor) break;
        cursor = body.next_cursor;
      }
    }
    expect(noDuplicates(ids)).to.deep.equal(truthKeys(h.sim, 'gamma-market'));
  });

  it('Gamma /markets hides closed markets unless closed=true, and offset paging of both is the truth', async () => {
    const open = await walkOffset(h.sim.urls.gamma, '/markets', {}, 13);
    expect(open.every((m) => m.closed === false)).to.equal(true);
    const closed = await walkOffset(h.sim.urls.gamma, '/markets', { closed: true }, 13);
    expect(noDuplicates([...open, ...closed].map((m) => String(m.id)))).to.deep.equal(truthKeys(h.sim, 'gamma-market'));
  });

  it('Gamma /events/keyset to the end', async () => {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const { body } = await getJson<{ events: Row[]; next_cursor?: string }>(`${h.sim.urls.gamma}/events/keyset?${qs({ limit: 4, after_cursor: cursor })}`);
      ids.push(...body.events.map((e) => String(e.id)));
      if (!body.next_cursor) break;
      cursor = body.next_cursor;
    }
    expect(noDuplicates(ids)).to.deep.equal(truthKeys(h.sim, 'gamma-event'));
  });

  it('CLOB /markets: follows next_cursor to LTE=, then LTE= is refused', async () => {
    const ids: string[] = [];
    let cursor = 'MA==';
    for (;;) {
      const { status, body } = await getJson<{ data: Row[]; next_cursor: string; limit: number; count: number }>(`${h.sim.urls.clob}/markets?next_cursor=${encodeURIComponent(cursor)}`);
      expect(status).to.equal(200);
      expect(body.count).to.equal(body.data.length);
      ids.push(...body.data.map((m) => keys.clobMarketKey(m as { condition_id: string })));
      if (body.next_cursor === 'LTE=') break;
      cursor = body.next_cursor;
    }
    expect(noDuplicates(ids)).to.deep.equal(truthKeys(h.sim, 'clob-market'));
    const again = await getJson<{ error: string }>(`${h.sim.urls.clob}/markets?next_cursor=LTE=`);
    expect(again.status).to.equal(400);
    expect(again.body.error).to.equal('next item should be greater than or equal to 0');
  });

  it('Data /trades per market with takerOnly=false: every fill row of the truth, taker and maker', async () => {
    const markets = [...h.sim.truth({ types: ['clob-market'] })].map((r) => String(r.condition_id));
    const got: string[] = [];
    for (const market of markets) {
      const rows = await walkOffset(h.sim.urls.data, '/trades', { market, takerOnly: false }, 37);
      got.push(...noDuplicates(rows.map((r) => keys.tradeKey(r as never))));
    }
    expect(got.sort()).to.deep.equal(truthKeys(h.sim, 'trade'));
  });

  it('Data /trades with the default takerOnly=true gives exactly the taker rows', async () => {
    const market = [...h.sim.truth({ types: ['trade'] })].find((r) => r.role === 'TAKER')!.conditionId as string;
    const rows = await walkOffset(h.sim.urls.data, '/trades', { market }, 50);
    const want = [...h.sim.truth({ types: ['trade'], takerOnly: true })]
      .filter((r) => r.conditionId === market)
      .map((r) => r.key)
      .sort();
    expect(noDuplicates(rows.map((r) => keys.tradeKey(r as never)))).to.deep.equal(want);
  });

  it('Data /v2/trades cursor walk over 20 markets at once gives their rows', async () => {
    const markets = [...h.sim.truth({ types: ['clob-market'] })].map((r) => String(r.condition_id)).slice(0, 20);
    const got: string[] = [];
    let cursor: string | null = null;
    for (;;) {
      const { status, body }: { status: number; body: { data: Row[]; pagination: { has_more: boolean; next_cursor: string | null } } } = await getJson(
        `${h.sim.urls.data}/v2/trades?${qs({ market: markets.join(','), taker_only: false, limit: 61, cursor: cursor ?? undefined })}`,
      );
      expect(status).to.equal(200);
      got.push(...body.data.map((r) => keys.tradeKeyV2(r as never)));
      if (!body.pagination.has_more) break;
      cursor = body.pagination.next_cursor;
    }
    const want = [...h.sim.truth({ types: ['trade'] })]
      .filter((r) => markets.includes(r.conditionId as string))
      .map((r) => r.key)
      .sort();
    expect(noDuplicates(got)).to.deep.equal(want);
  });

  it('Data /v1/leaderboard: every board of the profile, to its end', async () => {
    const got: string[] = [];
    const categories = h.sim.profile.data.leaderboardCategories;
    for (const category of categories) {
      for (const timePeriod of ['DAY', 'WEEK', 'MONTH', 'ALL']) {
        for (const orderBy of ['PNL', 'VOL']) {
          const rows = await walkOffset(h.sim.urls.data, '/v1/leaderboard', { category, timePeriod, orderBy }, 50);
          rows.forEach((r, i) => {
            expect(r.rank).to.equal(String(i + 1));
          });
          got.push(...rows.map((r) => keys.leaderboardKey({ category, timePeriod, orderBy }, r as { proxyWallet: string })));
        }
      }
    }
    expect(noDuplicates(got)).to.deep.equal(truthKeys(h.sim, 'leaderboard-row'));
  });

  it('CLOB /prices-history in 15-day windows at fidelity 1 gives every point of the series (dropping points past endTs)', async () => {
    const markets = [...h.sim.truth({ types: ['clob-market'] })].slice(0, 25);
    const tokens = markets.flatMap((m) => m.tokens as string[]);
    const got: string[] = [];
    const end = Math.floor(h.sim.world.clock.now());
    for (const token of tokens) {
      const [m] = h.sim.world.tokenOf(token)!;
      for (let start = h.sim.world.createdAt(m); start <= end; start += 1_296_001) {
        const endTs = Math.min(end, start + 1_296_000);
        const { status, body } = await getJson<{ history: Array<{ t: number; p: number }> }>(`${h.sim.urls.clob}/prices-history?${qs({ market: token, startTs: start, endTs, fidelity: 1 })}`);
        expect(status).to.equal(200);
        for (const pt of body.history) {
          expect(pt.p).to.be.greaterThan(0).and.lessThan(1);
          if (pt.t <= endTs) got.push(keys.pricePointKey(token, pt.t));
        }
      }
    }
    const want = truthKeys(h.sim, 'price-point', (r) => tokens.includes(r.token as string));
    expect(want.length).to.be.greaterThan(100);
    expect(noDuplicates(got)).to.deep.equal(want);
  });

  it('property: any sequence of page sizes walks a market to the same set of rows', async () => {
    const perMarket = new Map<string, number>();
    for (const r of h.sim.truth({ types: ['trade'] })) perMarket.set(r.conditionId as string, (perMarket.get(r.conditionId as string) ?? 0) + 1);
    // A market with a few hundred rows: several pages whatever the sizes, yet quick to walk.
    const [c, n] = [...perMarket].sort((a, b) => Math.abs(a[1] - 300) - Math.abs(b[1] - 300))[0]!;
    const market = { c, n };
    const want = truthKeys(h.sim, 'trade', (r) => r.conditionId === market.c);
    expect(want.length).to.equal(market.n);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 3, max: 120 }), { minLength: 1, maxLength: 12 }), async (sizes) => {
        const got = await walkVaryingPages(sizes, (limit, offset) => `${h.sim.urls.data}/trades?${qs({ market: market.c, takerOnly: false, limit, offset })}`);
        expect(noDuplicates(got.map((r) => keys.tradeKey(r as never)))).to.deep.equal(want);
      }),
      { numRuns: 15, seed: 7 },
    );
  });
});

describe('simulator paging equals the ground truth (2025-12 profile)', () => {
  const h = useSimulator({ ...WORLD, profile: '2025-12' });

  it('Gamma /markets without filters returns open and closed markets; limit 500 pages reach every market', async () => {
    const rows = await walkOffset(h.sim.urls.gamma, '/markets', {}, 500);
    expect(rows.some((m) => m.closed === true) && rows.some((m) => m.closed === false)).to.equal(true);
    expect(noDuplicates(rows.map((m) => String(m.id)))).to.deep.equal(truthKeys(h.sim, 'gamma-market'));
  });

  it('CLOB /markets cursors are base64 decimal offsets', async () => {
    const { body } = await getJson<{ next_cursor: string; data: Row[] }>(`${h.sim.urls.clob}/markets?next_cursor=MA==`);
    expect(body.next_cursor).to.equal('LTE=');
    expect(body.data.length).to.equal(h.sim.world.marketCount());
  });

  it('property: any page-size sequence over Gamma offsets gives the same markets', async () => {
    const want = truthKeys(h.sim, 'gamma-market');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }), async (sizes) => {
        const got = await walkVaryingPages(sizes, (limit, offset) => `${h.sim.urls.gamma}/markets?${qs({ limit, offset })}`);
        expect(noDuplicates(got.map((m) => String(m.id)))).to.deep.equal(want);
      }),
      { numRuns: 10, seed: 11 },
    );
  });
});
