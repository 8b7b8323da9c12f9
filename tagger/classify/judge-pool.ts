/**
 * The judge pool: asks every configured model about one market and one tag, each in its own
 * request (so one market's text can never reach another market's request), and applies the
 * voting rule to their votes.
 */
import { askModel, type ModelCaller, type TimedVote } from './ask-model.ts';
import { describeSign, instructionSign } from './instruction-signs.ts';
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
    ...overrule(decide(config.rule, votes, config.models.length), market),
    votes,
    rule: describeRule(config.rule),
    promptVersion: PROMPT_VERSION,
    decider: poolDecider(config),
  };
}

/**
 * Text that looks like instructions to a model goes to a person whatever the votes say: an
 * obedient model's confident answer is exactly what such text asks for. The leaning stays, so
 * the reviewer still sees what the models said.
 */
function overrule(verdict: PoolVerdict, market: MarketText): PoolVerdict {
  const sign = instructionSign(market);
  if (!sign) return verdict;
  return { verdict: 'UNSURE', leaning: verdict.leaning, confidence: null, basis: `${verdict.basis}; ${describeSign(sign)}` };
}
