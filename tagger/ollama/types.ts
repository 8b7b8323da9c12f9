/**
 * The parts of Ollama's HTTP API the Tag Manager uses (`GET /api/tags`, `POST /api/chat`), as
 * typed shapes. Replies are checked with zod before anything reads them: the server is another
 * program and its bodies are untrusted input.
 */
import { z } from 'zod';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A JSON schema object, sent as `format` to ask for structured output. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  /** Structured output: the reply's content must be JSON matching this schema. */
  format: JsonSchema;
  /** Sampling options (`temperature`, `num_predict`, `seed`, …), passed through. */
  options?: Record<string, number>;
}

export interface ChatReply {
  model: string;
  /** The assistant message's content: for structured output, JSON text (not yet trusted). */
  content: string;
  doneReason: string | null;
  /** Wall time of the HTTP exchange, ms. */
  elapsedMs: number;
}

export interface ModelInfo {
  name: string;
  sizeBytes: number | null;
  parameterSize: string | null;
  family: string | null;
  modifiedAt: string | null;
}

export const tagsReplySchema = z.object({
  models: z.array(
    z.object({
      name: z.string().min(1),
      size: z.number().optional(),
      modified_at: z.string().optional(),
      details: z.object({ family: z.string().optional(), parameter_size: z.string().optional() }).partial().optional(),
    }),
  ),
});

/** One chat reply (non-streamed) or one line of a streamed reply. */
export const chatChunkSchema = z.object({
  model: z.string().optional(),
  message: z.object({ role: z.string().optional(), content: z.string() }).optional(),
  done: z.boolean(),
  done_reason: z.string().optional(),
});

export const errorBodySchema = z.object({ error: z.string() });
