import { connect } from 'node:net';
import { expect } from 'chai';
import { request } from 'undici';
import { fetchRaw, useSimulator } from './helpers.ts';

describe('simulator large pages stream a slice at a time', () => {
  // CLOB pages of 20,000 markets render for tens of milliseconds: far longer than a request or a reset takes.
  const s = useSimulator({ seed: 13, markets: 20_000, tradesPerMarket: 1, fixtures: false, overrides: { clob: { pageSize: 20_000 } } });

  it('sends a 20,000-market CLOB page chunked, answering a small request before the page ends', async () => {
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
    expect(page.count).to.equal(20_000);
    expect(page.data).to.have.length(20_000);
    expect(smallEnded, 'the small request waited for the whole page').to.be.below(bigEnded);
  });

  it('stops rendering when the client goes away, logs it as 499, and goes on serving', async () => {
    s.sim.requestLog.clear();
    // A raw socket, reset as soon as the first bytes of the page arrive: no client library in between.
    const { port } = new URL(s.sim.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET /clob/markets HTTP/1.1\r\nHost: sim\r\n\r\n'));
      socket.once('data', () => {
        socket.resetAndDestroy();
        resolve();
      });
      socket.once('error', reject);
    });
    const deadline = Date.now() + 5_000;
    let logged: number[] = [];
    while (Date.now() < deadline) {
      logged = s.sim.requestLog
        .entries()
        .filter((e) => e.route === 'clob:/markets')
        .map((e) => e.status);
      if (logged.length > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(logged).to.deep.equal([499]);
    const next = await fetchRaw(`${s.sim.url}/gamma/events?limit=2`);
    expect(next.status).to.equal(200);
    expect(JSON.parse(next.text)).to.have.length(2);
  });
});
