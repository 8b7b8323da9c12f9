/**
 * Asks one model about one market and tag, and returns its vote. The retry policy lives here:
 *   - Ollama unreachable or busy: wait at the availability gate, then ask again (no attempt is
 *     spent; nothing is lost while the server is away);
 *   - timeout, server error, malformed reply, or an answer that breaks the schema: retried up to
 *     `maxAttempts` with jittered backoff, then recorded as a failed vote (never trusted);
 *   - model not installed, or a request the server refuses (4xx): a failed vote at once.
 * Caller aborts propagate as AbortedError.
 */
import { AbortedError, describeError, LlmError } from '../../runtime/errors.ts';
import type { AvailabilityGate } from '../ollama/availability.ts';
import { backoffDelay, sleep } from '../ollama/backoff.ts';
import type { OllamaClient } from '../ollama/client.ts';
import type { Limiter } from '../ollama/limiter.ts';
import type { ChatMessage } from '../ollama/types.ts';
import { ANSWER_JSON_SCHEMA, parseAnswer } from './answer.ts';
import { CHAT_OPTIONS } from './prompt.ts';
import type { Vote } from './voting.ts';

export interface AskPolicy {
  /** Tries per vote for retryable failures (>= 1). */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Ask for streamed replies. */
  stream: boolean;
}

export const DEFAULT_ASK_POLICY: AskPolicy = { maxAttempts: 3, backoffBaseMs: 250, backoffMaxMs: 5_000, stream: false };

export interface ModelCaller {
  client: OllamaClient;
  limiter: Limiter;
  gate: AvailabilityGate;
  policy: AskPolicy;
}

export interface TimedVote extends Vote {
  attempts: number;
  /** From the first request (including waiting for a slot) to the vote, ms. */
  elapsedMs: number;
  /** The HTTP exchange of the answered request alone, ms (0 for a failed vote). */
  requestMs: number;
}

function retryable(err: LlmError): boolean {
  if (err.reason === 'timeout' || err.reason === 'bad-response' || err.reason === 'invalid-answer') return true;
  if (err.reason === 'http-status') {
    return err.status === undefined || err.status >= 500 || err.status === 429;
  }
  return false;
}

export async function askModel(caller: ModelCaller, model: string, messages: ChatMessage[], signal: AbortSignal): Promise<TimedVote> {
  const started = performance.now();
  let attempts = 0;
  for (;;) {
    if (signal.aborted) throw new AbortedError('classification aborted', { model });
    attempts++;
    try {
      const reply = await caller.limiter.run(() => caller.client.chat({ model, messages, format: ANSWER_JSON_SCHEMA, options: { ...CHAT_OPTIONS } }, { signal, stream: caller.policy.stream }), signal);
      const answer = parseAnswer(reply.content, { model });
      return { model, ...answer, error: null, attempts, elapsedMs: performance.now() - started, requestMs: reply.elapsedMs };
    } catch (err) {
      if (err instanceof AbortedError || signal.aborted) throw err instanceof AbortedError ? err : new AbortedError('classification aborted', { model });
      if (!(err instanceof LlmError)) throw err;
      if (err.reason === 'unavailable') {
        attempts--;
        caller.gate.reportDown(err);
        await caller.gate.waitUntilUp(signal).catch(() => {
          throw new AbortedError('classification aborted while waiting for Ollama', { model });
        });
        continue;
      }
      if (!retryable(err) || attempts >= caller.policy.maxAttempts) {
        return { model, answer: null, confidence: null, reason: null, error: describeError(err), attempts, elapsedMs: performance.now() - started, requestMs: 0 };
      }
      await sleep(backoffDelay(attempts, { baseMs: caller.policy.backoffBaseMs, maxMs: caller.policy.backoffMaxMs }), signal);
    }
  }
}
