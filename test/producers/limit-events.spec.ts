import { expect } from 'chai';
import fc from 'fast-check';
import { eventsOf } from '../../producers/fetchers/markets/listings.ts';

describe('producers/fetchers/markets: events under --limit', () => {
  it('keeps the events holding a market taken, each listing only the markets taken, and leaves the page as it was', () => {
    const event = fc.record({
      id: fc.string({ minLength: 1, maxLength: 4 }),
      markets: fc.option(fc.array(fc.record({ conditionId: fc.constantFrom('a', 'b', 'c', 'd') }), { maxLength: 5 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 8 }), fc.subarray(['a', 'b', 'c', 'd']), (page, takenIds) => {
        const taken = new Set(takenIds);
        const before = structuredClone(page);
        const kept = eventsOf(page as Record<string, unknown>[], (id) => taken.has(id));
        expect(page).to.deep.equal(before);
        // Worked out apart: which events hold a market taken, and which of their markets those are.
        const want = page.map((e) => ({ ...e, markets: (e.markets ?? []).filter((m) => taken.has(m.conditionId)) })).filter((e) => e.markets.length > 0);
        expect(kept).to.deep.equal(want);
      }),
    );
  });
});
