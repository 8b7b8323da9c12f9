/**
 * The third-party Python client polymarket-apis (PyPI) validates what it reads with Pydantic
 * models; a response of every simulator route that has such a model must pass them.
 * Needs a Python with polymarket_apis (.ci/python-venv.sh makes one).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { describeNeeding, pythonWith } from '../prerequisite.ts';
import { getJson, qs, useSimulator } from './helpers.ts';

const SCRIPT = fileURLToPath(new URL('./python/validate_models.py', import.meta.url));
const { python, missing } = pythonWith(['polymarket_apis.types.gamma_types']);

type Row = Record<string, unknown>;

describeNeeding('simulator responses through the Pydantic models of polymarket-apis', missing, function () {
  this.timeout(120_000);
  const h = useSimulator({ seed: 11, markets: 150, events: 60, tradesPerMarket: 8, pricePoints: 40, leaderboardSize: 50, profile: 'current' });

  it('every route with a polymarket-apis model validates', async () => {
    const { gamma, data, clob } = h.sim.urls;
    const open = (await getJson<Row[]>(`${gamma}/markets?${qs({ limit: 20 })}`)).body;
    const market = open.find((m) => m.enableOrderBook === true) ?? open[0]!;
    const token = (JSON.parse(market.clobTokenIds as string) as string[])[0]!;
    const event = (await getJson<Row[]>(`${gamma}/events?${qs({ limit: 5, closed: false })}`)).body[0]!;
    const trade = (await getJson<Row[]>(`${data}/trades?${qs({ market: market.conditionId as string, limit: 5 })}`)).body[0]!;
    const user = trade.proxyWallet as string;
    const now = h.sim.world.clock.now();
    const cases: Array<{ route: string; model: string; url: string; pick?: (body: unknown) => unknown }> = [
      { route: 'gamma /markets', model: 'list[GammaMarket]', url: `${gamma}/markets?${qs({ limit: 20, closed: true })}` },
      { route: 'gamma /markets/{id}', model: 'GammaMarket', url: `${gamma}/markets/${market.id}` },
      { route: 'gamma /markets/slug/{slug}', model: 'GammaMarket', url: `${gamma}/markets/slug/${market.slug}` },
      { route: 'gamma /markets/keyset', model: 'list[GammaMarket]', url: `${gamma}/markets/keyset?${qs({ limit: 20 })}`, pick: (b) => (b as { markets: unknown }).markets },
      { route: 'gamma /events', model: 'list[Event]', url: `${gamma}/events?${qs({ limit: 20 })}` },
      { route: 'gamma /events/{id}', model: 'Event', url: `${gamma}/events/${event.id}` },
      { route: 'gamma /events/slug/{slug}', model: 'Event', url: `${gamma}/events/slug/${event.slug}` },
      { route: 'gamma /events/keyset', model: 'list[Event]', url: `${gamma}/events/keyset?${qs({ limit: 20 })}`, pick: (b) => (b as { events: unknown }).events },
      { route: 'gamma /markets/{id}/tags', model: 'list[Tag]', url: `${gamma}/markets/${market.id}/tags` },
      { route: 'gamma /events/{id}/tags', model: 'list[Tag]', url: `${gamma}/events/${event.id}/tags` },
      { route: 'gamma /tags', model: 'list[Tag]', url: `${gamma}/tags` },
      { route: 'gamma /tags/{id}', model: 'Tag', url: `${gamma}/tags/1` },
      { route: 'gamma /tags/slug/{slug}', model: 'Tag', url: `${gamma}/tags/slug/sports` },
      { route: 'gamma /tags/{id}/related-tags', model: 'list[TagRelation]', url: `${gamma}/tags/1/related-tags` },
      { route: 'gamma /tags/{id}/related-tags/tags', model: 'list[Tag]', url: `${gamma}/tags/1/related-tags/tags` },
      { route: 'gamma /series', model: 'list[Series]', url: `${gamma}/series` },
      { route: 'gamma /series/{id}', model: 'Series', url: `${gamma}/series/2` },
      { route: 'gamma /sports', model: 'list[Sport]', url: `${gamma}/sports` },
      { route: 'gamma /teams', model: 'list[Team]', url: `${gamma}/teams?${qs({ limit: 100 })}` },
      { route: 'gamma /public-search', model: 'SearchResult', url: `${gamma}/public-search?${qs({ q: 'will', limit_per_type: 10 })}` },
      { route: 'data /trades', model: 'list[Trade]', url: `${data}/trades?${qs({ limit: 50, takerOnly: false })}` },
      { route: 'data /v1/leaderboard', model: 'list[LeaderboardUser]', url: `${data}/v1/leaderboard?${qs({ limit: 50, timePeriod: 'ALL' })}` },
      { route: 'data /positions', model: 'list[Position]', url: `${data}/positions?${qs({ user, sizeThreshold: 0 })}` },
      { route: 'data /activity', model: 'list[Activity]', url: `${data}/activity?${qs({ user })}` },
      { route: 'data /value', model: 'list[ValueResponse]', url: `${data}/value?${qs({ user })}` },
      { route: 'data /holders', model: 'list[HolderResponse]', url: `${data}/holders?${qs({ market: market.conditionId as string })}` },
      { route: 'data /oi', model: 'list[MarketValue]', url: `${data}/oi?${qs({ market: market.conditionId as string })}` },
      { route: 'clob /markets', model: 'PaginatedResponse[ClobMarket]', url: `${clob}/markets` },
      { route: 'clob /sampling-markets', model: 'PaginatedResponse[ClobMarket]', url: `${clob}/sampling-markets` },
      { route: 'clob /markets/{condition_id}', model: 'ClobMarket', url: `${clob}/markets/${market.conditionId}` },
      { route: 'clob /markets-by-token/{token_id}', model: 'MarketIDs', url: `${clob}/markets-by-token/${token}` },
      { route: 'clob /book', model: 'OrderBookSummary', url: `${clob}/book?${qs({ token_id: token })}` },
      {
        route: 'clob /prices-history',
        model: 'PriceHistory',
        url: `${clob}/prices-history?${qs({ market: token, startTs: now - 86_400, endTs: now, fidelity: 1 })}`,
        // The client adds the token id it asked for (PriceHistory(**body, token_id=...)).
        pick: (b) => ({ ...(b as Row), token_id: token }),
      },
    ];
    const bodies = [];
    for (const c of cases) {
      const { status, body } = await getJson(c.url);
      expect(status, `${c.route}: ${JSON.stringify(body).slice(0, 200)}`).to.equal(200);
      const picked = c.pick ? c.pick(body) : body;
      if (Array.isArray(picked)) expect(picked.length, `${c.route} answers rows`).to.be.greaterThan(0);
      bodies.push({ route: c.route, model: c.model, body: picked });
    }
    const dir = mkdtempSync(join(tmpdir(), 'pma-models-'));
    try {
      const file = join(dir, 'cases.json');
      writeFileSync(file, JSON.stringify(bodies));
      const run = spawnSync(python!, [SCRIPT, file], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
      expect(run.status, run.stderr).to.equal(0);
      const result = JSON.parse(run.stdout) as { checked: number; failures: unknown[] };
      expect(result.checked).to.equal(cases.length);
      expect(result.failures, JSON.stringify(result.failures, null, 1)).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
