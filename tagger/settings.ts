/**
 * The tagger's settings: where Ollama is, which models judge, how their votes become decisions,
 * and how hard to push the server. Saved as whole-object events on pma.tag-catalog; every read
 * goes through `parseSettings`, so a bad value from any source is refused with a message naming
 * the setting.
 */
import { userInfo } from 'node:os';
import { z } from 'zod';
import type { PoolConfig } from './classify/judge-pool.ts';
import { MAX_EXAMPLES_PER_SIDE } from './classify/prompt.ts';
import type { VotingRule } from './classify/voting.ts';

export const DEFAULT_OLLAMA_URL = 'http://127.0.0.1:11434';

const modelName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[\w.:/-]+$/, 'model names use letters, digits and . : / - _');

export const settingsSchema = z
  .object({
    ollamaUrl: z.url({ protocol: /^https?$/ }).default(DEFAULT_OLLAMA_URL),
    models: z.array(modelName).max(8).default([]),
    rule: z.enum(['unanimous', 'majority', 'confidence']).default('majority'),
    quorum: z.number().int().min(1).max(8).default(2),
    threshold: z.number().gt(0).max(1).default(0.8),
    concurrency: z.number().int().min(1).max(64).default(2),
    /** Per-request timeout toward Ollama, seconds. */
    timeoutSeconds: z.number().int().min(1).max(3_600).default(120),
    stream: z.boolean().default(false),
    /** Examples of each kind (belongs, does not) a tag needs before the models classify for it. */
    minExamples: z.number().int().min(0).max(MAX_EXAMPLES_PER_SIDE).default(2),
    /** Who human decisions are recorded as. */
    reviewer: z.string().trim().min(1).max(100).default(defaultReviewer()),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.rule === 'unanimous' && s.models.length === 1) {
      ctx.addIssue({ code: 'custom', path: ['rule'], message: 'unanimous needs at least two models (one model alone is never unanimous)' });
    }
    if (s.rule === 'majority' && s.quorum < 2) {
      ctx.addIssue({ code: 'custom', path: ['quorum'], message: 'a majority needs a quorum of at least 2' });
    }
    if (s.rule !== 'unanimous' && s.models.length > 0 && s.quorum > s.models.length) {
      ctx.addIssue({ code: 'custom', path: ['quorum'], message: `quorum ${s.quorum} is more than the ${s.models.length} model(s) chosen: nothing could ever be decided` });
    }
  });

export type TaggerSettings = z.output<typeof settingsSchema>;

function defaultReviewer(): string {
  try {
    return userInfo().username || 'reviewer';
  } catch {
    return 'reviewer';
  }
}

export type SettingsResult = { ok: true; settings: TaggerSettings } | { ok: false; field: string; message: string };

export function parseSettings(value: unknown): SettingsResult {
  const parsed = settingsSchema.safeParse(value);
  if (parsed.success) return { ok: true, settings: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, field: String(issue.path[0] ?? ''), message: issue.message };
}

export const DEFAULT_SETTINGS: TaggerSettings = settingsSchema.parse({});

export function votingRule(s: TaggerSettings): VotingRule {
  switch (s.rule) {
    case 'unanimous':
      return { kind: 'unanimous' };
    case 'majority':
      return { kind: 'majority', quorum: Math.max(2, s.quorum) };
    case 'confidence':
      return { kind: 'confidence', threshold: s.threshold, quorum: s.quorum };
  }
}

export function poolConfig(s: TaggerSettings): PoolConfig {
  return { models: s.models, rule: votingRule(s) };
}
