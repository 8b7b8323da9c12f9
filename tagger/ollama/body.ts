/**
 * Reading a model server's reply body under a byte cap. The cap is enforced while the bytes
 * arrive (and on a declared Content-Length before any arrive): a server that sends 400 MB costs
 * us the cap, not 400 MB, because the read stops and the caller aborts the request.
 */
import { LlmError } from '../../runtime/errors.ts';

/** The largest reply body (or stream) read from Ollama. */
export const MAX_REPLY_BYTES = 4 * 1024 * 1024;

/** How much of an error reply is read for its message. */
export const MAX_ERROR_BYTES = 8 * 1024;

export interface Context {
  endpoint: string;
  model?: string;
}

/** The whole body as text, refusing it (LlmError `bad-response`) once it passes `max` bytes. */
export async function readCapped(res: Response, context: Context, max = MAX_REPLY_BYTES): Promise<string> {
  refuseDeclared(res, context, max);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunksOf(res)) {
    size += chunk.byteLength;
    if (size > max) throw tooLarge(context, max);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * The start of an error body, for its message: at most `max` bytes are read, the rest is left
 * unread (the caller aborts the request).
 */
export async function readHead(res: Response, max = MAX_ERROR_BYTES): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunksOf(res)) {
    const room = max - size;
    chunks.push(chunk.byteLength > room ? chunk.subarray(0, room) : chunk);
    size += Math.min(chunk.byteLength, room);
    if (size >= max) break;
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** Throws before reading when the server declares a body longer than `max`. */
export function refuseDeclared(res: Response, context: Context, max: number): void {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > max) throw tooLarge(context, max, declared);
}

export function tooLarge(context: Context, max: number, declared?: number): LlmError {
  const what = declared === undefined ? 'reply passed' : `reply declares ${declared} bytes, over`;
  return new LlmError('bad-response', `${what} the ${max}-byte cap; the rest was not read`, { ...context, maxBytes: max });
}

function chunksOf(res: Response): AsyncIterable<Uint8Array> {
  return (res.body ?? emptyBody()) as unknown as AsyncIterable<Uint8Array>;
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
