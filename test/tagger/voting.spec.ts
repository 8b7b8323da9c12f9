import { expect } from 'chai';
import fc from 'fast-check';
import { decide, type Vote, type VotingRule } from '../../tagger/classify/voting.ts';

const vote = (answer: Vote['answer'], confidence = 0.9, model = 'm'): Vote => ({
  model,
  answer,
  confidence: answer === null ? null : confidence,
  reason: answer === null ? null : 'r',
  error: answer === null ? 'failed' : null,
});

const arbVote: fc.Arbitrary<Vote> = fc
  .record({ answer: fc.constantFrom('yes', 'no', 'unsure', null), confidence: fc.double({ min: 0, max: 1, noNaN: true }) })
  .map(({ answer, confidence }) => vote(answer as Vote['answer'], confidence));

const arbRule: fc.Arbitrary<VotingRule> = fc.oneof(
  fc.constant({ kind: 'unanimous' } as const),
  fc.integer({ min: 2, max: 5 }).map((quorum) => ({ kind: 'majority', quorum }) as const),
  fc.record({ threshold: fc.double({ min: 0.05, max: 1, noNaN: true }), quorum: fc.integer({ min: 1, max: 4 }) }).map((r) => ({ kind: 'confidence', ...r }) as const),
);

const flip = (v: Vote): Vote => ({ ...v, answer: v.answer === 'yes' ? 'no' : v.answer === 'no' ? 'yes' : v.answer });
const opposite = { YES: 'NO', NO: 'YES', UNSURE: 'UNSURE' } as const;

describe('tagger/classify/voting', () => {
  it('never calls one model unanimous, whatever it answers', () => {
    for (const answer of ['yes', 'no'] as const) {
      expect(decide({ kind: 'unanimous' }, [vote(answer, 1)], 1).verdict).to.equal('UNSURE');
    }
  });

  it('never lets a single surviving vote of a larger pool be unanimous', () => {
    expect(decide({ kind: 'unanimous' }, [vote('yes'), vote(null), vote(null)], 3).verdict).to.equal('UNSURE');
    expect(decide({ kind: 'unanimous' }, [vote('yes'), vote('unsure')], 2).verdict).to.equal('UNSURE');
  });

  it('decides when every model of the pool agrees', () => {
    const r = decide({ kind: 'unanimous' }, [vote('no', 0.8), vote('no', 0.6)], 2);
    expect(r.verdict).to.equal('NO');
    expect(r.confidence).to.be.closeTo(0.7, 1e-9);
    expect(r.basis).to.contain('0 yes, 2 no');
  });

  it('sends a majority tie to a person, never to YES', () => {
    const r = decide({ kind: 'majority', quorum: 2 }, [vote('yes'), vote('no'), vote('unsure'), vote(null)], 4);
    expect(r.verdict).to.equal('UNSURE');
    expect(r.leaning).to.equal(null);
    expect(r.basis).to.contain('tie');
  });

  it('needs the quorum of yes/no votes for a majority', () => {
    expect(decide({ kind: 'majority', quorum: 3 }, [vote('yes'), vote('yes'), vote(null)], 3).verdict).to.equal('UNSURE');
    expect(decide({ kind: 'majority', quorum: 2 }, [vote('yes'), vote('yes'), vote('no')], 3).verdict).to.equal('YES');
  });

  it('lets only votes at or above the threshold count under the confidence rule', () => {
    const rule: VotingRule = { kind: 'confidence', threshold: 0.8, quorum: 1 };
    expect(decide(rule, [vote('yes', 0.85), vote('no', 0.3)], 2).verdict).to.equal('YES');
    expect(decide(rule, [vote('yes', 0.85), vote('no', 0.9)], 2).verdict).to.equal('UNSURE');
    expect(decide(rule, [vote('yes', 0.5)], 1).verdict).to.equal('UNSURE');
  });

  it('property: a tie between yes and no votes is never decided', () => {
    fc.assert(
      fc.property(arbRule, fc.integer({ min: 1, max: 4 }), fc.array(fc.constantFrom<Vote['answer']>('unsure', null), { maxLength: 3 }), (rule, n, rest) => {
        const votes = [...Array.from({ length: n }, () => vote('yes', 1)), ...Array.from({ length: n }, () => vote('no', 1)), ...rest.map((a) => vote(a))];
        expect(decide(rule, votes, votes.length).verdict).to.equal('UNSURE');
      }),
    );
  });

  it('property: swapping every yes and no swaps the verdict (no side is favoured)', () => {
    fc.assert(
      fc.property(arbRule, fc.array(arbVote, { minLength: 1, maxLength: 6 }), (rule, votes) => {
        const a = decide(rule, votes, votes.length).verdict;
        const b = decide(rule, votes.map(flip), votes.length).verdict;
        expect(b).to.equal(opposite[a]);
      }),
    );
  });

  it('property: a decided side has more counted votes than the other, and failed or unsure votes never decide', () => {
    fc.assert(
      fc.property(arbRule, fc.array(arbVote, { minLength: 1, maxLength: 6 }), (rule, votes) => {
        const r = decide(rule, votes, votes.length);
        // Under the confidence rule, votes below the threshold abstain.
        const counted = rule.kind === 'confidence' ? votes.filter((v) => (v.confidence ?? 0) >= rule.threshold) : votes;
        const yes = counted.filter((v) => v.answer === 'yes').length;
        const no = counted.filter((v) => v.answer === 'no').length;
        if (rule.kind === 'confidence' && r.verdict !== 'UNSURE') expect(Math.min(yes, no)).to.equal(0);
        if (r.verdict === 'YES') expect(yes).to.be.greaterThan(no);
        if (r.verdict === 'NO') expect(no).to.be.greaterThan(yes);
        if (yes + no === 0) expect(r.verdict).to.equal('UNSURE');
        if (r.verdict !== 'UNSURE') expect(r.confidence).to.be.within(0, 1);
      }),
    );
  });

  it('property: a pool of one is never decided by the unanimous or majority rules', () => {
    fc.assert(
      fc.property(arbVote, fc.integer({ min: 2, max: 4 }), (v, quorum) => {
        expect(decide({ kind: 'unanimous' }, [v], 1).verdict).to.equal('UNSURE');
        expect(decide({ kind: 'majority', quorum }, [v], 1).verdict).to.equal('UNSURE');
      }),
    );
  });
});
