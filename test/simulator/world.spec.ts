/**
 * The lazy world: identifiers map back to their records, everything is a function of the seed,
 * fills are ordered, unique by their key and heavy-tailed per market, markets pair outcomes with
 * tokens and group into events.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Feistel } from '../../simulator/core/hash.ts';
import { IdCodec } from '../../simulator/core/ids.ts';
import { createWorld } from '../../simulator/index.ts';
import { CrowdInverse, listTrades, NewestIndex } from '../../simulator/query/trades.ts';
import { tradeRowJson } from '../../simulator/serialize/data.ts';
import { TradePageWriter } from '../../simulator/serialize/trade-bytes.ts';
import { truthCounts, truthRecords } from '../../simulator/truth.ts';
import { fillAt, fillCount, fillTime } from '../../simulator/world/fills.ts';

describe('simulator world', () => {
  it('Feistel permutations are bijections that invert', () => {
    const f = new Feistel(32, 99, 1);
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (x) => f.decode(f.encode(x)) === x && f.encode(x) <= 0xffffffff));
    const small = new Feistel(8, 99, 2);
    expect(new Set(Array.from({ length: 256 }, (_, i) => small.encode(i))).size).to.equal(256);
  });

  it('condition ids, token ids and wallets decode to the index that made them; anything else is refused', () => {
    const ids = new IdCodec(7);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 0, max: 1 }), (m, o) => {
        const c = ids.conditionId(m);
        const t = ids.tokenId(m, o);
        const w = ids.wallet(m);
        return (
          /^0x[0-9a-f]{64}$/.test(c) &&
          ids.marketOfCondition(c) === m &&
          /^[1-9]\d{76}$/.test(t) &&
          ids.tokenOf(t)?.[0] === m &&
          ids.tokenOf(t)?.[1] === o &&
          /^0x[0-9a-f]{40}$/.test(w) &&
          ids.walletIndex(w) === m &&
          ids.walletIndex(w.toUpperCase().replace('0X', '0x')) === m
        );
      }),
    );
    fc.assert(fc.property(fc.stringMatching(/^0x[0-9a-f]{64}$/), (c) => ids.marketOfCondition(c) === -1));
    expect(ids.tokenOf('1'.repeat(77))).to.equal(null);
    expect(new IdCodec(8).marketOfCondition(ids.conditionId(5))).to.equal(-1);
  });

  it('is a function of the options: same seed same truth, another seed another world', () => {
    const opts = { markets: 40, tradesPerMarket: 10, pricePoints: 50, leaderboardSize: 10 };
    const a = createWorld({ ...opts, seed: 1 });
    const b = createWorld({ ...opts, seed: 1 });
    const c = createWorld({ ...opts, seed: 2 });
    const take = (w: typeof a) => [...truthRecords(w.world, w.profile)].map((r) => JSON.stringify(r));
    const ta = take(a);
    expect(ta).to.deep.equal(take(b));
    expect(ta).to.not.deep.equal(take(c));
  });

  it('fills: timestamps ordered within each market, prices in (0,1), keys unique across the world, counts as announced', () => {
    const { world, profile } = createWorld({ seed: 4, markets: 150, tradesPerMarket: 40 });
    const now = world.clock.now();
    for (let m = 0; m < world.marketCount(); m++) {
      const n = fillCount(world, m, now);
      let prev = -1;
      for (let k = 0; k < n; k++) {
        const t = fillTime(world, m, k);
        expect(t).to.be.at.least(prev);
        prev = t;
        const f = fillAt(world, m, k);
        expect(f.price).to.be.greaterThan(0).and.lessThan(1);
        expect(f.size).to.be.greaterThan(0);
        expect(f.ts).to.be.at.least(world.createdAt(m));
        expect(f.ts).to.be.at.most(Math.min(now, world.closeTime(m)));
      }
    }
    const trades = [...truthRecords(world, profile, { types: ['trade'] })];
    expect(new Set(trades.map((t) => t.key)).size).to.equal(trades.length);
    expect(trades.length).to.equal(truthCounts(world, profile).trade);
    const hashes = new Set(trades.map((t) => t.transactionHash));
    expect(hashes.size, 'several fills share a transaction').to.be.lessThan(trades.length / 2);
  });

  it('fill counts are heavy-tailed around the asked mean', () => {
    const { world } = createWorld({ seed: 6, markets: 4_000, tradesPerMarket: 50, fixtures: false });
    const counts: number[] = [];
    for (let m = 0; m < world.marketCount(); m++) counts.push(world.histCount(m));
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    counts.sort((a, b) => a - b);
    expect(mean).to.be.within(35, 65);
    expect(counts[counts.length - 1]!).to.be.greaterThan(15 * mean);
    expect(counts[Math.floor(counts.length / 2)]!).to.be.lessThan(mean);
  });

  it('markets pair outcomes with tokens, group into events, and resolved ones have one winner', () => {
    const { world } = createWorld({ seed: 8, markets: 600, events: 150, fixtures: false });
    const now = world.clock.now();
    let multi = 0;
    for (let e = 0; e < world.eventCount(); e++) {
      const [first, count] = world.eventMarkets(e);
      if (count > 1) multi++;
      for (let m = first; m < first + count; m++) expect(world.eventOf(m)).to.equal(e);
      if (count > 2 && world.isEventClosed(e, now)) {
        const winners = Array.from({ length: count }, (_, j) => world.market(first + j).winner).filter((w) => w === 0);
        expect(winners).to.have.length(1);
      }
    }
    expect(multi).to.be.greaterThan(10);
    let closed = 0;
    for (let m = 0; m < world.marketCount(); m++) {
      const v = world.market(m);
      expect(v.tokens).to.have.length(2);
      expect(v.outcomes).to.have.length(2);
      expect(world.tokenOf(v.tokens[1]!)).to.deep.equal([m, 1]);
      expect(world.marketOfCondition(v.conditionId)).to.equal(m);
      expect(world.marketOfId(Number(v.id))).to.equal(m);
      expect(world.marketOfSlug(v.slug)).to.equal(m);
      if (world.isClosed(m, now)) closed++;
    }
    expect(closed)
      .to.be.greaterThan(50)
      .and.lessThan(world.marketCount() - 20);
  });
});

describe('simulator trade pages written as bytes', () => {
  it('equal the rows rendered one by one as text, for taker, maker and captured fills', () => {
    const { world } = createWorld({ seed: 13, markets: 60, tradesPerMarket: 30 });
    const writer = new TradePageWriter(world);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: world.marketCount() - 1 }), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 60 }), fc.boolean(), (m, offset, limit, takerOnly) => {
        const query = { markets: [m], user: null, userAddress: null, side: null, takerOnly, filter: null, start: null, end: null, now: world.clock.now(), after: null };
        const rows = listTrades(world, query, offset, limit, { newest: new NewestIndex(), crowd: new CrowdInverse() });
        const text = `[${rows.map((r) => tradeRowJson(world, r)).join(',')}]`;
        expect(writer.render(rows).toString('utf8')).to.equal(text);
      }),
      { numRuns: 200, seed: 3 },
    );
  });
});
