/**
 * Turns a judge pool's votes into a model decision, or into UNSURE (the Judge queue). Only a
 * "yes" or "no" answer is a vote for a side; "unsure" answers and failed calls never count for
 * either side. The rules are strict on purpose:
 *   unanimous  every model of the pool (at least two) answers, and all answer the same side;
 *   majority   at least `quorum` (>= 2) side votes, and one side has strictly more than half;
 *   confidence only votes at or above `threshold` count; at least `quorum` (>= 1) of them, all
 *              on one side.
 * A single model is never unanimous, and a tie never becomes YES (nor NO): it goes to a person.
 */
import { z } from 'zod';
import type { Answer } from './answer.ts';

export type Verdict = 'YES' | 'NO' | 'UNSURE';

export const votingRuleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('unanimous') }),
  z.object({ kind: z.literal('majority'), quorum: z.number().int().min(2) }),
  z.object({ kind: z.literal('confidence'), threshold: z.number().gt(0).max(1), quorum: z.number().int().min(1) }),
]);
export type VotingRule = z.output<typeof votingRuleSchema>;

/** One model's vote; `answer` is null when the call failed (then `error` says why). */
export interface Vote {
  model: string;
  answer: Answer | null;
  confidence: number | null;
  reason: string | null;
  error: string | null;
}

export interface PoolVerdict {
  verdict: Verdict;
  /** The side most side-votes took, shown to the reviewer; null on a tie or with no side votes. */
  leaning: 'YES' | 'NO' | null;
  /** Mean confidence of the votes for the decided side; null when UNSURE. */
  confidence: number | null;
  /** In words: what the votes were and why the rule decided (or did not). */
  basis: string;
}

export function describeRule(rule: VotingRule): string {
  switch (rule.kind) {
    case 'unanimous':
      return 'unanimous';
    case 'majority':
      return `majority(quorum=${rule.quorum})`;
    case 'confidence':
      return `confidence(threshold=${rule.threshold},quorum=${rule.quorum})`;
  }
}

/** Applies `rule` to the votes of a pool of `poolSize` models. */
export function decide(rule: VotingRule, votes: readonly Vote[], poolSize: number): PoolVerdict {
  const counted = rule.kind === 'confidence' ? votes.filter((v) => (v.confidence ?? 0) >= rule.threshold) : votes;
  const yes = counted.filter((v) => v.answer === 'yes');
  const no = counted.filter((v) => v.answer === 'no');
  const sides = yes.length + no.length;
  const leaning = yes.length > no.length ? 'YES' : no.length > yes.length ? 'NO' : null;
  const tally = tallyText(votes, rule);
  const unsure = (why: string): PoolVerdict => ({ verdict: 'UNSURE', leaning, confidence: null, basis: `${tally}; ${why}` });
  const decided = (side: 'YES' | 'NO'): PoolVerdict => {
    const winners = side === 'YES' ? yes : no;
    const confidence = winners.reduce((s, v) => s + (v.confidence ?? 0), 0) / winners.length;
    return { verdict: side, leaning, confidence, basis: tally };
  };

  switch (rule.kind) {
    case 'unanimous': {
      if (poolSize < 2) return unsure('unanimity needs a pool of at least two models');
      if (votes.length < poolSize || sides < poolSize) return unsure('not every model gave a yes or no');
      if (yes.length === poolSize) return decided('YES');
      if (no.length === poolSize) return decided('NO');
      return unsure('the models disagree');
    }
    case 'majority': {
      if (sides < rule.quorum) return unsure(`fewer than ${rule.quorum} yes/no votes`);
      if (yes.length * 2 > sides) return decided('YES');
      if (no.length * 2 > sides) return decided('NO');
      return unsure('tie');
    }
    case 'confidence': {
      if (sides < rule.quorum) return unsure(`fewer than ${rule.quorum} yes/no votes at confidence >= ${rule.threshold}`);
      if (no.length === 0) return decided('YES');
      if (yes.length === 0) return decided('NO');
      return unsure('confident votes disagree');
    }
  }
}

function tallyText(votes: readonly Vote[], rule: VotingRule): string {
  const n = (a: Answer) => votes.filter((v) => v.answer === a).length;
  const errors = votes.filter((v) => v.answer === null).length;
  const parts = [`${n('yes')} yes`, `${n('no')} no`];
  if (n('unsure') > 0) parts.push(`${n('unsure')} unsure`);
  if (errors > 0) parts.push(`${errors} failed`);
  return `${parts.join(', ')} under ${describeRule(rule)}`;
}
