/**
 * The judge pool: asks every configured model about one market and one tag, each in its own
 * request (so one market's text can never reach another market's request), and applies the
 * voting rule to their votes.
 */
import { askModel, type ModelCaller, type TimedVote } from './ask-model.ts';
import { buildMessages, type MarketText, PROMPT_VERSION, type TagForPrompt } from './prompt.ts';
import { decide, describeRule, type PoolVerdict, type VotingRule } from './voting.ts';

export interface PoolConfig {
  models: readonly string[];
  rule: VotingRule;
}

export interface PoolResult extends PoolVerdict {
  votes: TimedVote[];
  rule: string;
  promptVersion: string;
  /** Who decided, as recorded in the decision: the pool's models and rule. */
  decider: string;
}

export function poolDecider(config: PoolConfig): string {
  return `pool[${config.models.join(',')}] ${describeRule(config.rule)}`;
}

export async function judge(caller: ModelCaller, config: PoolConfig, tag: TagForPrompt, market: MarketText, signal: AbortSignal): Promise<PoolResult> {
  const messages = buildMessages(tag, market);
  const votes = await Promise.all(config.models.map((model) => askModel(caller, model, messages, signal)));
  return {
    ...decide(config.rule, votes, config.models.length),
    votes,
    rule: describeRule(config.rule),
    promptVersion: PROMPT_VERSION,
    decider: poolDecider(config),
  };
}
