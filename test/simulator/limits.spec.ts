/**
 * Rate limits: the published tables per profile, a request counted against every rule it falls
 * under, held when the mode delays, refused with Cloudflare's 429 and Retry-After when it rejects.
 * Windows are shortened through profile overrides so the tests need not wait 10 s.
 */
import { expect } from 'chai';
import type { RateRule } from '../../simulator/profiles.ts';
import { fetchRaw, getJson, useSimulator } from './helpers.ts';

const WORLD = { seed: 2, markets: 20 };
const tight: RateRule[] = [{ name: 'test /trades', api: 'data', routes: ['/trades'], limit: 2, windowMs: 400 }];

describe('simulator rate limits', () => {
  describe('published tables', () => {
    const current = useSimulator({ ...WORLD, limits: true });
    const old = useSimulator({ ...WORLD, limits: true, profile: '2025-12' });

    it('are in force per profile (current 200 / 10 s on /trades, 2025-12 75)', async () => {
      const a = (await getJson<{ limits: Array<{ name: string; limit: number; windowMs: number }> }>(`${current.sim.url}/__sim/stats`)).body.limits;
      expect(a).to.deep.include({ name: 'data /trades', limit: 200, windowMs: 10_000 });
      expect(a).to.deep.include({ name: 'clob /prices-history', limit: 1_000, windowMs: 10_000 });
      const b = (await getJson<{ limits: Array<{ name: string; limit: number }> }>(`${old.sim.url}/__sim/stats`)).body.limits;
      expect(b).to.deep.include({ name: 'data /trades', limit: 75, windowMs: 10_000 });
      expect(b).to.deep.include({ name: 'clob /prices-history', limit: 100, windowMs: 10_000 });
    });
  });

  describe('reject mode', () => {
    const h = useSimulator({ ...WORLD, limits: true, limitMode: 'reject', overrides: { limits: { rules: tight } } });

    it('answers 429 "error code: 1015" with Retry-After once the window is full, other routes untouched', async () => {
      const statuses: number[] = [];
      let refused: Awaited<ReturnType<typeof fetchRaw>> | undefined;
      for (let i = 0; i < 4; i++) {
        const r = await fetchRaw(`${h.sim.urls.data}/trades?limit=1`);
        statuses.push(r.status);
        if (r.status === 429) refused = r;
      }
      expect(statuses.slice(0, 2)).to.deep.equal([200, 200]);
      expect(statuses.slice(2)).to.deep.equal([429, 429]);
      expect(refused!.text).to.equal('error code: 1015');
      expect(refused!.headers['content-type']).to.match(/^text\/plain/);
      expect(Number(refused!.headers['retry-after'])).to.be.at.least(1);
      expect((await fetchRaw(`${h.sim.urls.data}/v1/leaderboard?limit=1`)).status).to.equal(200);
      expect(h.sim.stats().rejected429 as number).to.be.at.least(2);
    });
  });

  describe('delay mode', () => {
    const h = useSimulator({ ...WORLD, limits: true, limitMode: 'delay', overrides: { limits: { rules: tight } } });

    it('holds requests over the limit instead of refusing them', async () => {
      const replies = await Promise.all([0, 1, 2, 3].map(() => fetchRaw(`${h.sim.urls.data}/trades?limit=1`)));
      expect(replies.map((r) => r.status)).to.deep.equal([200, 200, 200, 200]);
      const held = h.sim.requestLog.entries().filter((e) => e.route === 'data:/trades' && e.throttledMs > 0);
      expect(held.length).to.equal(2);
      expect(h.sim.stats().throttled).to.equal(2);
    });
  });

  describe('off', () => {
    const h = useSimulator({ ...WORLD, limits: false, limitScale: 0.0001 });

    it('never holds or refuses', async () => {
      for (let i = 0; i < 30; i++) expect((await fetchRaw(`${h.sim.urls.data}/trades?limit=1`)).status).to.equal(200);
      expect(h.sim.stats().throttled).to.equal(0);
    });
  });
});
