/**
 * One model asked about one market once, outside classification, for a person to see what it
 * makes of the prompt: its raw reply and the vote parsed from it (or why none could be). No
 * retry, no breaker, no decision: a trial changes nothing.
 */
import { describeError, LlmError } from '../../runtime/errors.ts';
import type { OllamaClient } from '../ollama/client.ts';
import { ANSWER_JSON_SCHEMA, type ModelAnswer, parseAnswer } from './answer.ts';
import { buildMessages, CHAT_OPTIONS, type MarketText, type TagForPrompt } from './prompt.ts';

export interface PromptTrial {
  model: string;
  /** The reply's content as the model wrote it (the client caps its size); null if no reply came. */
  raw: string | null;
  answer: ModelAnswer | null;
  /** Why there is no answer: the request failed, or the reply is not a valid answer. */
  error: string | null;
  elapsedMs: number;
}

export async function tryPrompt(client: OllamaClient, model: string, tag: TagForPrompt, market: MarketText, signal?: AbortSignal): Promise<PromptTrial> {
  const started = performance.now();
  let raw: string;
  try {
    raw = (await client.chat({ model, messages: buildMessages(tag, market), format: ANSWER_JSON_SCHEMA, options: { ...CHAT_OPTIONS } }, { signal })).content;
  } catch (err) {
    if (!(err instanceof LlmError)) throw err;
    return { model, raw: null, answer: null, error: describeError(err), elapsedMs: performance.now() - started };
  }
  const elapsedMs = performance.now() - started;
  try {
    return { model, raw, answer: parseAnswer(raw, { model }), error: null, elapsedMs };
  } catch (err) {
    if (!(err instanceof LlmError)) throw err;
    return { model, raw, answer: null, error: describeError(err), elapsedMs };
  }
}
