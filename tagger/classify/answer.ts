/**
 * What a model must answer for one market and one tag: the JSON schema sent to Ollama as
 * `format`, and the zod check that every answer passes before it is believed. The schema is a
 * constant: nothing a market says can change what shape of answer is accepted.
 */
import { z } from 'zod';
import { LlmError } from '../../runtime/errors.ts';
import type { JsonSchema } from '../ollama/types.ts';

export const ANSWERS = ['yes', 'no', 'unsure'] as const;
export type Answer = (typeof ANSWERS)[number];

export interface ModelAnswer {
  answer: Answer;
  /** The model's own confidence in its answer, in [0, 1]. */
  confidence: number;
  /** One short sentence. */
  reason: string;
}

export const REASON_MAX = 500;

export const ANSWER_JSON_SCHEMA: JsonSchema = Object.freeze({
  type: 'object',
  properties: {
    answer: { type: 'string', enum: [...ANSWERS] },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    reason: { type: 'string', maxLength: REASON_MAX },
  },
  required: ['answer', 'confidence', 'reason'],
  additionalProperties: false,
});

const answerSchema = z
  .object({
    answer: z.enum(ANSWERS),
    confidence: z.number().min(0).max(1),
    reason: z.string().max(REASON_MAX),
  })
  .strict();

/** Parses and checks a model's content; anything else is an `invalid-answer` LlmError. */
export function parseAnswer(content: string, context: { model: string }): ModelAnswer {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    throw new LlmError('invalid-answer', `answer is not JSON: ${content.slice(0, 120)}`, context);
  }
  const parsed = answerSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LlmError('invalid-answer', `answer breaks the schema at "${issue.path.join('.') || '(root)'}": ${issue.message}`, context);
  }
  return parsed.data;
}
