/**
 * The Tag Manager's events, as TypeScript shapes of their Avro schemas: decisions on
 * `pma.tag-decisions` (schemas/tag-decision.avsc) and catalogue edits on `pma.tag-catalog`
 * (schemas/tag-event.avsc). The tag tables are a pure function of these two streams.
 */
import { randomUUID } from 'node:crypto';
import type { PoolResult } from './classify/judge-pool.ts';

export type Verdict = 'YES' | 'NO' | 'UNSURE';

export interface VoteRecord {
  model: string;
  answer: Verdict | null;
  confidence: number | null;
  reason: string | null;
  error: string | null;
  attempts: number;
  elapsedMs: number | null;
}

export interface TagDecisionEvent {
  decisionId: string;
  tag: string;
  market: string;
  decision: Verdict;
  deciderKind: 'model' | 'human';
  decider: string;
  confidence: number | null;
  reason: string | null;
  decidedAt: number;
  previous: string | null;
  votes: VoteRecord[];
  rule: string | null;
  leaning: Verdict | null;
  promptVersion: string | null;
  via: string | null;
}

export interface TagDefined {
  tag: string;
  name: string;
  description: string;
  active: boolean;
  /** Retired (and inactive): left out of the lists, never classified. Absent: false. */
  archived?: boolean;
}

export type ExamplePolarity = 'POSITIVE' | 'NEGATIVE' | 'REMOVED';

export interface TagExampleSet {
  tag: string;
  market: string;
  polarity: ExamplePolarity;
}

export interface TaggerSettingsSet {
  settings: string;
}

/** Avro's wrapped union: exactly one key, the record's full name. */
export type TagChange = { 'polymarket.TagDefined': TagDefined } | { 'polymarket.TagExampleSet': TagExampleSet } | { 'polymarket.TaggerSettingsSet': TaggerSettingsSet };

export interface TagEvent {
  eventId: string;
  at: number;
  actor: string;
  change: TagChange;
}

export function tagEvent(actor: string, change: TagChange, at = Date.now()): TagEvent {
  return { eventId: randomUUID(), at, actor, change };
}

const ANSWER_TO_VERDICT = { yes: 'YES', no: 'NO', unsure: 'UNSURE' } as const;

/** The decision event for a judge pool's result. */
export function modelDecision(tag: string, market: string, result: PoolResult, previous: string | null, via: string, at = Date.now()): TagDecisionEvent {
  return {
    decisionId: randomUUID(),
    tag,
    market,
    decision: result.verdict,
    deciderKind: 'model',
    decider: result.decider,
    confidence: result.confidence,
    reason: result.basis,
    decidedAt: at,
    previous,
    votes: result.votes.map((v) => ({
      model: v.model,
      answer: v.answer === null ? null : ANSWER_TO_VERDICT[v.answer],
      confidence: v.confidence,
      reason: v.reason,
      error: v.error,
      attempts: v.attempts,
      elapsedMs: Math.round(v.elapsedMs * 1000) / 1000,
    })),
    rule: result.rule,
    leaning: result.leaning,
    promptVersion: result.promptVersion,
    via,
  };
}

/** A person's decision; `previous` is the decision it supersedes. */
export function humanDecision(
  tag: string,
  market: string,
  decision: 'YES' | 'NO',
  reviewer: string,
  previous: string | null,
  via: 'judge' | 'history',
  note: string | null,
  at = Date.now(),
): TagDecisionEvent {
  return {
    decisionId: randomUUID(),
    tag,
    market,
    decision,
    deciderKind: 'human',
    decider: reviewer,
    confidence: null,
    reason: note,
    decidedAt: at,
    previous,
    votes: [],
    rule: null,
    leaning: null,
    promptVersion: null,
    via,
  };
}

/**
 * Puts `restored` back as the pair's current decision, superseding `undone` (a person's Judge
 * decision taken back): the same decider, votes and verdict, as a new event.
 */
export function restoredDecision(restored: Omit<TagDecisionEvent, 'decisionId' | 'decidedAt' | 'previous' | 'via'>, undone: string, via: string, at = Date.now()): TagDecisionEvent {
  return { ...restored, decisionId: randomUUID(), decidedAt: at, previous: undone, via };
}
