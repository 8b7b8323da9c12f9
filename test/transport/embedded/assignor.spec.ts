import { expect } from 'chai';
import fc from 'fast-check';
import { rangeAssign } from '../../../transport/embedded/assignor.ts';

describe('transport/embedded/assignor', () => {
  it('gives every partition of a subscribed topic to exactly one subscriber, balanced within one', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }),
        fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 12 })),
        fc.array(fc.subarray(['a', 'b', 'c']), { minLength: 6, maxLength: 6 }),
        (ids, counts, subs) => {
          const members = ids.map((memberId, i) => ({ memberId, topics: subs[i]! }));
          const result = rangeAssign(members, new Map(Object.entries(counts)));
          for (const [topic, n] of Object.entries(counts)) {
            const subscribers = members.filter((m) => m.topics.includes(topic));
            const owners = [...result].flatMap(([id, tps]) => tps.filter((tp) => tp.topic === topic).map((tp) => [id, tp.partition] as const));
            if (subscribers.length === 0) {
              expect(owners).to.have.length(0);
              continue;
            }
            expect(owners.map(([, p]) => p).sort((x, y) => x - y)).to.deep.equal([...Array(n).keys()]);
            for (const [id] of owners) expect(subscribers.map((s) => s.memberId)).to.include(id);
            const sizes = subscribers.map((s) => owners.filter(([id]) => id === s.memberId).length);
            expect(Math.max(...sizes) - Math.min(...sizes)).to.be.at.most(1);
          }
        },
      ),
    );
  });

  it('does not depend on the order members are listed in', () => {
    const counts = new Map([['t', 5]]);
    const a = rangeAssign(
      [
        { memberId: 'x', topics: ['t'] },
        { memberId: 'y', topics: ['t'] },
      ],
      counts,
    );
    const b = rangeAssign(
      [
        { memberId: 'y', topics: ['t'] },
        { memberId: 'x', topics: ['t'] },
      ],
      counts,
    );
    expect(a.get('x')).to.deep.equal(b.get('x'));
    expect(a.get('x')!.map((tp) => tp.partition)).to.deep.equal([0, 1, 2]);
  });
});
