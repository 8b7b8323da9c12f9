/**
 * `/prices-history` at the asked fidelity (spec 5.4): one point every `fidelity` minutes over the
 * span where the token has a price (its market's creation to its close, or "now"), forward-filled,
 * not aligned to round minutes.
 */
import { expect } from 'chai';
import { getJson, qs, useSimulator } from './helpers.ts';

type Point = { t: number; p: number };
const DAY = 86_400;

describe('simulator /prices-history density', () => {
  const h = useSimulator({ seed: 17, markets: 100, events: 40, tradesPerMarket: 5, fixtures: false });

  const history = async (token: string, startTs: number, endTs: number, fidelity: number): Promise<Point[]> => {
    const { status, body } = await getJson<{ history: Point[] }>(`${h.sim.urls.clob}/prices-history?${qs({ market: token, startTs, endTs, fidelity })}`);
    expect(status).to.equal(200);
    return body.history.filter((p) => p.t <= endTs);
  };

  /** A market open over the whole day before now, and one that closed inside a day-long window. */
  function markets(): { open: number; closed: number } {
    const { world } = h.sim;
    const now = world.clock.now();
    let open = -1;
    let closed = -1;
    for (let m = 0; m < world.marketCount(now); m++) {
      if (!world.enableOrderBookOf(m)) continue;
      if (open < 0 && world.createdAt(m) < now - 2 * DAY && !world.isClosed(m, now)) open = m;
      if (closed < 0 && world.closeTime(m) - world.createdAt(m) > 2 * DAY && world.isClosed(m, now)) closed = m;
    }
    expect(open, 'an open market a few days old').to.be.at.least(0);
    expect(closed, 'a closed market').to.be.at.least(0);
    return { open, closed };
  }

  it('a one-day window at fidelity 1 holds a point every minute; coarser fidelities are every n-th of those points', async () => {
    const { world } = h.sim;
    // Ends before now: the extra point stamped "now" is not part of the series.
    const end = world.clock.now() - 1;
    const token = world.tokenId(markets().open, 0);
    const fine = await history(token, end - DAY, end, 1);
    expect(fine.length).to.be.within(1_440, 1_441);
    for (let i = 1; i < fine.length; i++) expect(fine[i]!.t - fine[i - 1]!.t).to.equal(60);
    expect(
      fine.some((p) => p.t % 60 !== 0),
      'not aligned to round minutes',
    ).to.equal(true);
    const fineByT = new Map(fine.map((p) => [p.t, p.p]));
    for (const fidelity of [5, 60]) {
      const coarse = await history(token, end - DAY, end, fidelity);
      expect(coarse.length, `fidelity ${fidelity}`).to.be.within(Math.floor(1_440 / fidelity), Math.ceil(1_440 / fidelity) + 1);
      for (let i = 1; i < coarse.length; i++) expect(coarse[i]!.t - coarse[i - 1]!.t).to.equal(fidelity * 60);
      for (const p of coarse) expect(fineByT.get(p.t), `point ${p.t} at fidelity ${fidelity}`).to.equal(p.p);
    }
  });

  it('stops at the market close: a window across it has minute points up to the close only', async () => {
    const { world } = h.sim;
    const m = markets().closed;
    const close = world.closeTime(m);
    const points = await history(world.tokenId(m, 1), close - DAY / 2, close + DAY / 2, 1);
    expect(points.length).to.be.within(719, 721);
    expect(points.at(-1)!.t).to.be.at.most(close);
    expect(close - points.at(-1)!.t).to.be.below(60);
  });

  it('a coarse world (pricePoints) keeps its coarse series', async () => {
    const { startSimulator } = await import('../../simulator/index.ts');
    const sim = await startSimulator({ port: 0, limits: false, seed: 17, markets: 100, events: 40, tradesPerMarket: 5, fixtures: false, pricePoints: 20 });
    try {
      const now = sim.world.clock.now();
      const token = sim.world.tokenId(markets().open, 0);
      const { body } = await getJson<{ history: Point[] }>(`${sim.urls.clob}/prices-history?${qs({ market: token, startTs: now - DAY, endTs: now, fidelity: 1 })}`);
      expect(body.history.length).to.be.below(100);
    } finally {
      await sim.close();
    }
  });
});
