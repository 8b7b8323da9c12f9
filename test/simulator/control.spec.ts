import { expect } from 'chai';
import { fetchRaw, useSimulator } from './helpers.ts';

describe('simulator request log over HTTP', () => {
  const s = useSimulator({ seed: 12, markets: 50, tradesPerMarket: 5, fixtures: false, requestLogSize: 100 });

  it('gives the entries after a sequence number with since=, and refuses a since that is not one', async () => {
    for (const limit of [1, 2, 3]) expect((await fetchRaw(`${s.sim.url}/gamma/markets?limit=${limit}`)).status).to.equal(200);
    const all = JSON.parse((await fetchRaw(`${s.sim.url}/__sim/requests?route=gamma:/markets`)).text) as Array<{ seq: number; query: string; latencyMs: number }>;
    expect(all.map((e) => e.query)).to.deep.equal(['limit=1', 'limit=2', 'limit=3']);
    expect(all.every((e) => e.latencyMs >= 0)).to.equal(true);
    const after = JSON.parse((await fetchRaw(`${s.sim.url}/__sim/requests?route=gamma:/markets&since=${all[0]!.seq}`)).text) as Array<{ query: string }>;
    expect(after.map((e) => e.query)).to.deep.equal(['limit=2', 'limit=3']);
    const bad = await fetchRaw(`${s.sim.url}/__sim/requests?since=yesterday`);
    expect(bad.status).to.equal(400);
    expect(bad.text).to.contain('since');
  });
});
