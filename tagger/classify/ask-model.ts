/**
 * Asks one model about one market and tag, and returns its vote. The retry policy lives here:
 *   - Ollama unreachable (no connection): wait at the availability gate, then ask again (no
 *     attempt is spent; nothing is lost while the server is away), up to `maxOutages` times per
 *     vote: a chat endpoint that drops connections while /api/tags answers would otherwise be
 *     asked again after every probe, forever;
 *   - timeout, server error (5xx, 503 included: the server answered), 429, malformed reply, or an
 *     answer that breaks the schema: retried up to `maxAttempts` with jittered backoff, then
 *     recorded as a failed vote (never trusted);
 *   - model not installed, or a request the server refuses (4xx): a failed vote at once;
 *   - the model's circuit breaker open: a failed vote at once, no request sent.
 * Caller aborts propagate as AbortedError.
 */
import { AbortedError, describeError, LlmError } from '../../runtime/errors.ts';
import type { AvailabilityGate } from '../ollama/availability.ts';
import { backoffDelay, sleep } from '../ollama/backoff.ts';
import type { Breakers, CircuitBreaker, Permit } from '../ollama/breaker.ts';
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
  /** Waits at the availability gate per vote before a connection failure counts as a failed try. Default 3. */
  maxOutages?: number;
}

export const DEFAULT_ASK_POLICY: AskPolicy = { maxAttempts: 3, backoffBaseMs: 250, backoffMaxMs: 5_000, stream: false };

export interface ModelCaller {
  client: OllamaClient;
  limiter: Limiter;
  gate: AvailabilityGate;
  breakers: Breakers;
  policy: AskPolicy;
  /** Told when the server says a model is not installed (the model check then looks at once). */
  onModelNotFound?: (model: string) => void;
}

export interface TimedVote extends Vote {
  attempts: number;
  /** From the first request (including waiting for a slot) to the vote, ms. */
  elapsedMs: number;
  /** The HTTP exchange of the answered request alone, ms (0 for a failed vote). */
  requestMs: number;
}

/** Whether a failure says the server or model is sick (counts toward its breaker); a schema-breaking answer came from a working model. */
function sick(err: LlmError): boolean {
  return err.reason !== 'invalid-answer' && err.reason !== 'circuit-open';
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
  const breaker = caller.breakers.for(model);
  let attempts = 0;
  let outages = 0;
  for (;;) {
    if (signal.aborted) throw new AbortedError('classification aborted', { model });
    attempts++;
    let permit: Permit = 'refused';
    try {
      const reply = await caller.limiter.run(() => {
        // Decided once a slot is free: the breaker may have opened while this request queued.
        permit = breaker.acquire();
        if (permit === 'refused') throw circuitOpen(breaker, model);
        return caller.client.chat({ model, messages, format: ANSWER_JSON_SCHEMA, options: { ...CHAT_OPTIONS } }, { signal, stream: caller.policy.stream });
      }, signal);
      breaker.succeeded();
      const answer = parseAnswer(reply.content, { model });
      return { model, ...answer, error: null, attempts, elapsedMs: performance.now() - started, requestMs: reply.elapsedMs };
    } catch (err) {
      if (err instanceof AbortedError || signal.aborted) {
        breaker.released(permit);
        throw err instanceof AbortedError ? err : new AbortedError('classification aborted', { model });
      }
      if (!(err instanceof LlmError)) {
        breaker.released(permit);
        throw err;
      }
      if (err.reason === 'unavailable' && ++outages <= (caller.policy.maxOutages ?? 3)) {
        breaker.released(permit);
        attempts--;
        caller.gate.reportDown(err);
        await caller.gate.waitUntilUp(signal).catch(() => {
          throw new AbortedError('classification aborted while waiting for Ollama', { model });
        });
        continue;
      }
      if (sick(err)) breaker.failed(err, permit);
      if (err.reason === 'model-not-found') caller.onModelNotFound?.(model);
      if (!retryable(err) || attempts >= caller.policy.maxAttempts) {
        return { model, answer: null, confidence: null, reason: null, error: describeError(err), attempts, elapsedMs: performance.now() - started, requestMs: 0 };
      }
      await sleep(backoffDelay(attempts, { baseMs: caller.policy.backoffBaseMs, maxMs: caller.policy.backoffMaxMs }), signal);
    }
  }
}

function circuitOpen(breaker: CircuitBreaker, model: string): LlmError {
  const status = breaker.status;
  const wait = status.retryAt === null ? 'a probe is in flight' : `next try in ${Math.max(0, Math.ceil((status.retryAt - Date.now()) / 1000))} s`;
  return new LlmError('circuit-open', `model ${model} is failing (${status.consecutiveFailures} failed requests in a row); not asked, ${wait}`, {
    model,
    lastError: status.lastError,
  });
}
