/**
 * Faults on demand: each kind does what it says, rules select routes, rates hold, and decisions are
 * a function of the fault seed and the requests (two runs with the same requests see the same
 * faults). Configured through the control endpoint, as tests of other parts will do.
 */
import { expect } from 'chai';
import { request } from 'undici';
import type { FaultRule } from '../../simulator/index.ts';
import { startSimulator } from '../../simulator/index.ts';
import { fetchRaw, getJson, qs, useSimulator } from './helpers.ts';

type Row = Record<string, unknown>;
const WORLD = { seed: 9, markets: 80, events: 30, tradesPerMarket: 60 };

async function setFaults(base: string, rules: FaultRule[], seed = 1): Promise<void> {
  const r = await request(`${base}/__sim/faults`, { method: 'PUT', body: JSON.stringify({ seed, rules }), headers: { 'content-type': 'application/json' } });
  expect(r.statusCode).to.equal(200);
  await r.body.dump();
}

/** A market with at least `n` taker rows. */
function marketWith(sim: ReturnType<typeof useSimulator>['sim'], n: number): string {
  const counts = new Map<string, number>();
  for (const r of sim.truth({ types: ['trade'], takerOnly: true })) counts.set(r.conditionId as string, (counts.get(r.conditionId as string) ?? 0) + 1);
  return [...counts].find(([, c]) => c >= n)![0];
}

describe('simulator faults', () => {
  const h = useSimulator(WORLD);
  afterEach(async () => setFaults(h.sim.url, []));

  it('the control endpoint stores, shows and clears the configuration, and refuses bad rules', async () => {
    await setFaults(h.sim.url, [{ kind: 'error', rate: 0.5, routes: ['data:/trades'] }], 77);
    expect((await getJson(`${h.sim.url}/__sim/faults`)).body).to.deep.equal({ seed: 77, rules: [{ kind: 'error', rate: 0.5, routes: ['data:/trades'] }] });
    const bad = await request(`${h.sim.url}/__sim/faults`, { method: 'PUT', body: JSON.stringify({ rules: [{ kind: 'explode', rate: 2 }] }) });
    expect(bad.statusCode).to.equal(400);
    await bad.body.dump();
    await (await request(`${h.sim.url}/__sim/faults`, { method: 'DELETE' })).body.dump();
    expect((await getJson<{ rules: unknown[] }>(`${h.sim.url}/__sim/faults`)).body.rules).to.deep.equal([]);
  });

  it("error: a 5xx with the API's error body, only on the selected routes, at the configured rate", async () => {
    await setFaults(h.sim.url, [{ kind: 'error', rate: 0.25, routes: ['data:/trades'] }]);
    let errors = 0;
    for (let i = 0; i < 400; i++) {
      const r = await fetchRaw(`${h.sim.urls.data}/trades?limit=1&offset=${i}`);
      if (r.status >= 500) {
        errors++;
        if (r.headers['content-type']?.toString().startsWith('application/json')) expect(JSON.parse(r.text)).to.have.property('error');
      } else expect(r.status).to.equal(200);
    }
    // Binomial(400, 0.25): mean 100, sd 8.7.
    expect(errors).to.be.within(70, 130);
    for (let i = 0; i < 50; i++) expect((await fetchRaw(`${h.sim.urls.gamma}/markets?limit=1&offset=${i}`)).status).to.equal(200);
    await setFaults(h.sim.url, [{ kind: 'error', rate: 1, routes: ['gamma:*'], status: 500 }]);
    expect((await getJson(`${h.sim.urls.gamma}/markets`)).body).to.deep.equal({ type: 'internal error', error: 'cannot get the information' });
  });

  it('decisions replay from the seed: same requests, same faults; a retried URL gets a fresh draw', async () => {
    const run = async () => {
      const sim = await startSimulator({ port: 0, limits: false, ...WORLD, markets: 10, faultSeed: 5, faults: [{ kind: 'error', rate: 0.3 }] });
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) statuses.push((await fetchRaw(`${sim.urls.data}/trades?limit=1&offset=${i % 20}`)).status);
      await sim.close();
      return statuses;
    };
    const a = await run();
    const b = await run();
    expect(a).to.deep.equal(b);
    expect(a.some((s) => s >= 500)).to.equal(true);
    expect(a.slice(0, 20)).to.not.deep.equal(a.slice(20, 40));
  });

  it('reset and hang: the client sees the connection fail', async () => {
    await setFaults(h.sim.url, [{ kind: 'reset', rate: 1, routes: ['data:/trades'] }]);
    let failed = false;
    await request(`${h.sim.urls.data}/trades`).then(
      (r) => r.body.dump(),
      () => {
        failed = true;
      },
    );
    expect(failed).to.equal(true);
    await setFaults(h.sim.url, [{ kind: 'hang', rate: 1, routes: ['data:/trades'], delayMs: 150 }]);
    failed = false;
    await request(`${h.sim.urls.data}/trades`).then(
      (r) => r.body.dump(),
      () => {
        failed = true;
      },
    );
    expect(failed).to.equal(true);
  });

  it('malformed and truncated: status 200, body that is not JSON (truncated: a prefix of the real one)', async () => {
    const url = `${h.sim.urls.data}/trades?limit=20`;
    const good = await fetchRaw(url);
    await setFaults(h.sim.url, [{ kind: 'malformed', rate: 1 }]);
    const bad = await fetchRaw(url);
    expect(bad.status).to.equal(200);
    expect(() => JSON.parse(bad.text)).to.throw();
    await setFaults(h.sim.url, [{ kind: 'truncated', rate: 1 }]);
    const cut = await fetchRaw(url);
    expect(cut.status).to.equal(200);
    expect(() => JSON.parse(cut.text)).to.throw();
    expect(good.text.startsWith(cut.text)).to.equal(true);
  });

  it('slow: the whole body still arrives; the request log names the fault', async () => {
    const url = `${h.sim.urls.data}/trades?limit=30`;
    const good = await fetchRaw(url);
    await setFaults(h.sim.url, [{ kind: 'slow', rate: 1, delayMs: 200 }]);
    const slow = await fetchRaw(url);
    expect(slow.text).to.equal(good.text);
    const last = h.sim.requestLog.entries().at(-1)!;
    expect(last.faults).to.deep.equal(['slow']);
  });

  it('unknown-field adds a key to every record; missing-field drops an optional one', async () => {
    await setFaults(h.sim.url, [{ kind: 'unknown-field', rate: 1, field: 'brandNew' }]);
    const withNew = (await getJson<Row[]>(`${h.sim.urls.data}/trades?limit=10`)).body;
    expect(withNew.every((r) => 'brandNew' in r)).to.equal(true);
    const events = (await getJson<{ events: Row[] }>(`${h.sim.urls.gamma}/events/keyset?limit=3`)).body.events;
    expect(events.every((r) => 'brandNew' in r)).to.equal(true);
    await setFaults(h.sim.url, [{ kind: 'missing-field', rate: 1 }]);
    const without = (await getJson<Row[]>(`${h.sim.urls.data}/trades?limit=10`)).body;
    expect(without.every((r) => !('pseudonym' in r) && 'proxyWallet' in r)).to.equal(true);
  });

  it('duplicate: a page repeats the last rows of the page before it, losing none', async () => {
    const market = marketWith(h.sim, 40);
    const p1 = (await getJson<Row[]>(`${h.sim.urls.data}/trades?${qs({ market, limit: 20, offset: 0 })}`)).body;
    const clean2 = (await getJson<Row[]>(`${h.sim.urls.data}/trades?${qs({ market, limit: 20, offset: 20 })}`)).body;
    await setFaults(h.sim.url, [{ kind: 'duplicate', rate: 1, rows: 3 }]);
    const p2 = (await getJson<Row[]>(`${h.sim.urls.data}/trades?${qs({ market, limit: 20, offset: 20 })}`)).body;
    expect(p2.slice(0, 3)).to.deep.equal(p1.slice(17));
    expect(p2.slice(3)).to.deep.equal(clean2);
  });

  it('shift: the newest fills arrive while a market is paged, pushing rows onto the next page', async () => {
    const sim = await startSimulator({ port: 0, limits: false, ...WORLD, faults: [{ kind: 'shift', rate: 1, rows: 4, routes: ['data:/trades'] }] });
    try {
      const market = [...sim.truth({ types: ['trade'], takerOnly: true })].reduce((acc, r) => acc.set(r.conditionId as string, (acc.get(r.conditionId as string) ?? 0) + 1), new Map<string, number>());
      const m = [...market].find(([, n]) => n >= 40)![0];
      const all = [...sim.truth({ types: ['trade'], takerOnly: true })]
        .filter((r) => r.conditionId === m)
        .map((r) => r.key)
        .reverse();
      const key = (r: Row) => [r.transactionHash, (r.proxyWallet as string).toLowerCase(), r.asset, r.side, r.price, r.size, r.timestamp].join('|');
      const p1 = (await getJson<Row[]>(`${sim.urls.data}/trades?${qs({ market: m, limit: 20, offset: 0 })}`)).body.map(key);
      expect(p1).to.deep.equal(all.slice(4, 24));
      const p2 = (await getJson<Row[]>(`${sim.urls.data}/trades?${qs({ market: m, limit: 20, offset: 20 })}`)).body.map(key);
      expect(p2).to.deep.equal(all.slice(20, 40));
      const head = (await getJson<Row[]>(`${sim.urls.data}/trades?${qs({ market: m, limit: 4, offset: 0 })}`)).body.map(key);
      expect(head).to.deep.equal(all.slice(0, 4));
      expect((sim.stats().faults as Record<string, number>).shift).to.be.greaterThan(0);
    } finally {
      await sim.close();
    }
  });

  it('rate-limit: a Cloudflare 429 with Retry-After', async () => {
    await setFaults(h.sim.url, [{ kind: 'rate-limit', rate: 1, routes: ['clob:*'] }]);
    const r = await fetchRaw(`${h.sim.urls.clob}/time`);
    expect(r.status).to.equal(429);
    expect(r.text).to.equal('error code: 1015');
    expect(Number(r.headers['retry-after'])).to.be.greaterThan(0);
  });
});
