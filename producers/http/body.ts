/**
 * Response bodies are untrusted: parse the JSON and check its shape against what the endpoint
 * promises. A body that is not JSON or has the wrong shape is a failed request (retried, then
 * dead-lettered with the raw text), never an empty page.
 */
import type { z } from 'zod';
import { ResponseShapeError } from '../../runtime/errors.ts';

export interface BodyContext {
  endpoint: string;
  params: string;
  status: number;
}

export function parseBody<S extends z.ZodType>(text: string, schema: S, ctx: BodyContext): z.output<S> {
  const { status, ...where } = ctx;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ResponseShapeError('not-json', `body is not JSON: ${(err as Error).message}`, { ...where, bodyBytes: Buffer.byteLength(text) }, { status, cause: err });
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(root)';
  throw new ResponseShapeError('bad-shape', `body has the wrong shape at ${field}: ${issue.message}`, { ...where, field, bodyBytes: Buffer.byteLength(text) }, { status });
}

/** The `error` message of a JSON error body, or the start of a non-JSON one. */
export function errorMessage(text: string): string {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && 'error' in v) return String((v as { error: unknown }).error);
    if (typeof v === 'string') return v;
  } catch {
    // not JSON: Cloudflare pages and plain-text errors land here
  }
  return text.slice(0, 300);
}
