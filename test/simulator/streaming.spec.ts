import { expect } from 'chai';
import { request } from 'undici';
import { fetchRaw, useSimulator } from './helpers.ts';

describe('simulator large pages stream a slice at a time', () => {
  const s = useSimulator({ seed: 11, markets: 3_000, tradesPerMarket: 5, fixtures: false });

  it('sends a 1,000-market CLOB page chunked, answering a small request before the page ends', async () => {
    const big = await request(`${s.sim.url}/clob/markets`);
    expect(big.statusCode).to.equal(200);
    expect(big.headers['content-length']).to.equal(undefined);
    expect(big.headers['transfer-encoding']).to.equal('chunked');
    let bigEnded = 0;
    const bigBody = big.body.text().then((t) => {
      bigEnded = performance.now();
      return t;
    });
    const small = await fetchRaw(`${s.sim.url}/gamma/markets?limit=1`);
    const smallEnded = performance.now();
    expect(small.status).to.equal(200);
    expect(small.headers['content-length']).to.equal(String(small.bytes.length));
    const page = JSON.parse(await bigBody) as { count: number; data: Array<{ condition_id: string }> };
    expect(page.count).to.equal(1_000);
    expect(page.data).to.have.length(1_000);
    expect(smallEnded, 'the small request waited for the whole page').to.be.below(bigEnded);
  });

  it('stops rendering when the client goes away, logs it as 499, and goes on serving', async () => {
    s.sim.requestLog.clear();
    const big = await request(`${s.sim.url}/gamma/events?limit=500&include_markets=true`);
    expect(big.headers['transfer-encoding']).to.equal('chunked');
    big.body.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const events = s.sim.requestLog.entries().filter((e) => e.route === 'gamma:/events');
    expect(events.map((e) => e.status)).to.deep.equal([499]);
    const next = await fetchRaw(`${s.sim.url}/gamma/events?limit=2`);
    expect(next.status).to.equal(200);
    expect(JSON.parse(next.text)).to.have.length(2);
  });
});
