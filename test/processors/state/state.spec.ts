import { expect } from 'chai';
import fc from 'fast-check';
import { enrichPricePoint, enrichTrade } from '../../../processors/enrich.ts';
import { DedupWindow, identity } from '../../../processors/state/dedup-window.ts';
import { LookupTables } from '../../../processors/state/lookup.ts';
import { RetryBuffer } from '../../../processors/state/retry-buffer.ts';
import type { CleanMarket, CleanTrade } from '../../../schemas/clean-records.ts';

describe('processors/state', () => {
  it('DedupWindow remembers exactly the last `capacity` identities', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 200 }), (capacity, ids) => {
        const w = new DedupWindow(capacity);
        const model: number[] = [];
        for (const id of ids) {
          const fresh = w.add(String(id));
          expect(fresh).to.equal(!model.includes(id));
          if (fresh) {
            model.push(id);
            if (model.length > capacity) model.shift();
          }
          expect(w.size).to.equal(model.length);
          for (let k = 0; k <= 30; k++) expect(w.has(String(k))).to.equal(model.includes(k));
        }
      }),
    );
  });

  it('DedupWindow forgets a deleted identity, and the deletion evicts nothing later', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.record({ del: fc.boolean(), id: fc.integer({ min: 0, max: 30 }) }), { maxLength: 200 }), (capacity, ops) => {
        const w = new DedupWindow(capacity);
        // The last `capacity` additions, each still there unless deleted since.
        const model: Array<{ id: number; alive: boolean }> = [];
        const alive = (id: number) => model.some((e) => e.alive && e.id === id);
        for (const { del, id } of ops) {
          if (del) {
            w.delete(String(id));
            for (const e of model) if (e.id === id) e.alive = false;
          } else {
            const fresh = w.add(String(id));
            expect(fresh).to.equal(!alive(id));
            if (fresh) {
              model.push({ id, alive: true });
              if (model.length > capacity) model.shift();
            }
          }
          expect(w.size).to.equal(model.filter((e) => e.alive).length);
          for (let k = 0; k <= 30; k++) expect(w.has(String(k))).to.equal(alive(k));
        }
      }),
    );
  });

  it('identity separates parts (no ambiguity from concatenation) and is 16 characters', () => {
    expect(identity('ab', 'c')).to.not.equal(identity('a', 'bc'));
    expect(identity('x')).to.have.length(16);
  });

  it('RetryBuffer.takeWhere takes out only what it picks, and a taken item is released by no key later', () => {
    const b = new RetryBuffer<string>(10, 1_000);
    b.hold('p0-a', ['m1'], 0);
    b.hold('p1-b', ['m1'], 0);
    b.hold('p0-c', ['m2'], 0);
    expect(b.takeWhere((item) => item.startsWith('p0-'))).to.deep.equal(['p0-a', 'p0-c']);
    expect(b.size).to.equal(1);
    expect(b.release('m1')).to.deep.equal(['p1-b']);
    expect(b.release('m2')).to.deep.equal([]);
  });

  it('RetryBuffer gives up after the wait when settled, after the longest wait while reference data is on its way', () => {
    const b = new RetryBuffer<string>(10, 1_000, 5_000);
    b.hold('a', ['m1'], 0);
    b.hold('b', ['m2'], 3_000);
    expect(b.expired(4_999, false)).to.deep.equal([]);
    expect(b.expired(5_000, false)).to.deep.equal(['a']);
    expect(b.expired(6_999, false)).to.deep.equal([]);
    expect(b.expired(3_999, true)).to.deep.equal([]);
    expect(b.expired(4_000, true)).to.deep.equal(['b']);
    expect(new RetryBuffer<string>(1, 1_000, 10).maxWaitMs, 'the longest wait is never shorter than the wait').to.equal(1_000);
  });

  it('RetryBuffer releases by key, expires by deadline, and evicts the oldest when full', () => {
    const b = new RetryBuffer<string>(3, 1_000);
    expect(b.hold('a', ['m1'], 0)).to.deep.equal([]);
    expect(b.hold('b', ['m2', 't2'], 10)).to.deep.equal([]);
    expect(b.hold('c', ['m1'], 20)).to.deep.equal([]);
    expect(b.hold('d', ['m3'], 30)).to.deep.equal(['a']);
    expect(b.release('m1')).to.deep.equal(['c']);
    expect(b.release('t2')).to.deep.equal(['b']);
    expect(b.release('m2')).to.deep.equal([]);
    expect(b.nextDeadline()).to.equal(1_030);
    expect(b.expired(1_029)).to.deep.equal([]);
    expect(b.expired(1_030)).to.deep.equal(['d']);
    expect(b.size).to.equal(0);
  });

  describe('lookup tables and enrichment', () => {
    const market = (over: Partial<CleanMarket> = {}): CleanMarket =>
      ({
        condition_id: '0xc',
        source: 'GAMMA',
        observed_ts: 0,
        outcomes: ['Yes', 'No'],
        token_ids: ['t0', 't1'],
        outcome_prices: [],
        event_id: 'e1',
        event_slug: 'ev',
        tags: [],
        ...over,
      }) as CleanMarket;
    const trade = (over: Partial<CleanTrade> = {}): CleanTrade =>
      ({ trade_id: 'k', condition_id: '0xc', token_id: null, outcome: null, outcome_index: null, event_id: null, event_slug: null, unresolved: false, ...over }) as CleanTrade;

    it('a trade gets token, outcome and event once its market is known, keeping what the row said', () => {
      const lookup = new LookupTables();
      const t = trade({ token_id: 't1' });
      expect(enrichTrade(t, lookup)).to.deep.equal(['t1', '0xc']);
      expect(lookup.apply('markets', market())).to.include.members(['t0', 't1', '0xc']);
      expect(enrichTrade(t, lookup)).to.deep.equal([]);
      expect(t).to.include({ token_id: 't1', outcome: 'No', outcome_index: 1, event_id: 'e1', event_slug: 'ev' });
      const byName = trade({ outcome: 'Yes' });
      expect(enrichTrade(byName, lookup)).to.deep.equal([]);
      expect(byName.token_id).to.equal('t0');
      const asSent = trade({ token_id: 't0', outcome: 'YES (as sent)' });
      enrichTrade(asSent, lookup);
      expect(asSent.outcome).to.equal('YES (as sent)');
    });

    it('a CLOB-only market gives the token but not the event; an event record completes it', () => {
      const lookup = new LookupTables();
      lookup.apply('markets', market({ source: 'CLOB', event_id: null, event_slug: null }));
      const t = trade({ token_id: 't0' });
      expect(enrichTrade(t, lookup)).to.deep.equal(['0xc']);
      expect(lookup.apply('events', { event_id: 'e9', slug: 'nine', market_condition_ids: ['0xc'] } as never)).to.deep.equal(['0xc']);
      expect(enrichTrade(t, lookup)).to.deep.equal([]);
      expect(t).to.include({ event_id: 'e9', event_slug: 'nine' });
    });

    it('a price point gets its market and outcome from its token', () => {
      const lookup = new LookupTables();
      const p = { token_id: 't1', timestamp: 0, price: 0.5, condition_id: null, outcome: null, outcome_index: null, fidelity_minutes: null, unresolved: false };
      expect(enrichPricePoint(p, lookup)).to.deep.equal(['t1']);
      lookup.apply('tokens', { token_id: 't1', condition_id: '0xc', source: 'CLOB', observed_ts: 0, outcome: 'No', outcome_index: 1, price: null, winner: null, event_id: null });
      expect(enrichPricePoint(p, lookup)).to.deep.equal([]);
      expect(p).to.include({ condition_id: '0xc', outcome: 'No', outcome_index: 1 });
    });
  });
});
