import { expect } from 'chai';
import fc from 'fast-check';
import { DoneTracker } from '../../../runtime/stage/index.ts';

describe('runtime/stage DoneTracker', () => {
  it('commits up to the lowest offset still open, whatever order work finishes in', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }), fc.func(fc.integer()), (needsWork, order) => {
        const t = new DoneTracker();
        const open: number[] = [];
        needsWork.forEach((work, offset) => {
          if (work) {
            t.begin('t', 0, offset);
            open.push(offset);
          } else t.skip('t', 0, offset);
        });
        const finishing = [...open].sort((a, b) => order(a) - order(b) || a - b);
        const still = new Set(open);
        let last = open.length > 0 ? Math.min(...open) : needsWork.length;
        expect(t.takeCommittable()).to.deep.equal([{ topic: 't', partition: 0, offset: last }]);
        for (const offset of finishing) {
          t.finish('t', 0, offset);
          still.delete(offset);
          const expected = still.size > 0 ? Math.min(...still) : needsWork.length;
          // Only a partition whose finished prefix moved is handed out again.
          expect(t.takeCommittable()).to.deep.equal(expected === last ? [] : [{ topic: 't', partition: 0, offset: expected }]);
          last = expected;
        }
        expect(t.openCount).to.equal(0);
      }),
    );
  });

  it('keeps partitions apart and hands a failed commit out again', () => {
    const t = new DoneTracker();
    t.begin('a', 0, 5);
    t.begin('a', 1, 7);
    t.begin('b\u00000', 0, 3);
    t.finish('a', 1, 7);
    expect(t.takeCommittable()).to.deep.equal([
      { topic: 'a', partition: 0, offset: 5 },
      { topic: 'a', partition: 1, offset: 8 },
      { topic: 'b\u00000', partition: 0, offset: 3 },
    ]);
    t.finish('a', 0, 5);
    const moved = t.takeCommittable();
    expect(moved).to.deep.equal([{ topic: 'a', partition: 0, offset: 6 }]);
    t.uncommitted(moved);
    expect(t.takeCommittable()).to.deep.equal([{ topic: 'a', partition: 0, offset: 6 }]);
    expect(t.takeCommittable()).to.deep.equal([]);
    expect(t.openCount).to.equal(1);
  });
});
