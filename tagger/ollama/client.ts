/**
 * A small client for Ollama's HTTP API. One request per call, no retries here (the caller owns
 * the retry policy): every failure becomes an LlmError whose `reason` tells the caller whether to
 * wait for the server, retry, or give up. The caller's AbortSignal always wins and surfaces as
 * AbortedError.
 */
import { AbortedError, LlmError } from '../../runtime/errors.ts';
import { MAX_REPLY_BYTES, readCapped, readHead, refuseDeclared, tooLarge } from './body.ts';
import { type ChatReply, type ChatRequest, chatChunkSchema, errorBodySchema, type ModelInfo, tagsReplySchema } from './types.ts';

export interface OllamaClientOptions {
  /** e.g. http://127.0.0.1:11434 */
  baseUrl: string;
  /**
   * The "Request timeout" setting, ms. Default 120 s (a cold model load can take a while). A
   * single reply must be complete within it; a streamed reply must never be silent for longer
   * (before its first chunk included), and is cut at STREAM_TIMEOUT_FACTOR times it in all.
   */
  timeoutMs?: number;
  /** Timeout for `GET /api/tags`, ms. Default 5 s. */
  listTimeoutMs?: number;
}

export interface ChatCallOptions {
  signal?: AbortSignal;
  /** Ask for a streamed (NDJSON) reply and assemble it. Default false. */
  stream?: boolean;
}

/** A stream that keeps talking is alive, but not forever: its whole length is capped at this many timeouts. */
export const STREAM_TIMEOUT_FACTOR = 10;

type Expiry = 'total' | 'silence';

export class OllamaClient {
  readonly baseUrl: string;
  readonly #timeoutMs: number;
  readonly #listTimeoutMs: number;

  constructor(options: OllamaClientOptions) {
    this.baseUrl = normaliseBaseUrl(options.baseUrl);
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#listTimeoutMs = options.listTimeoutMs ?? 5_000;
  }

  /** The server's installed models (`GET /api/tags`). */
  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    const endpoint = `${this.baseUrl}/api/tags`;
    const body = await this.#exchange(endpoint, { method: 'GET' }, { totalMs: this.#listTimeoutMs, silenceMs: null }, signal, async (res) => parseJson(await readCapped(res, { endpoint }), endpoint));
    const parsed = tagsReplySchema.safeParse(body);
    if (!parsed.success) {
      throw new LlmError('bad-response', `/api/tags answered an unexpected shape: ${parsed.error.issues[0]?.message}`, {
        endpoint,
      });
    }
    return parsed.data.models.map((m) => ({
      name: m.name,
      sizeBytes: m.size ?? null,
      parameterSize: m.details?.parameter_size ?? null,
      family: m.details?.family ?? null,
      modifiedAt: m.modified_at ?? null,
    }));
  }

  /** One chat completion with structured output (`POST /api/chat`). */
  async chat(request: ChatRequest, options: ChatCallOptions = {}): Promise<ChatReply> {
    const endpoint = `${this.baseUrl}/api/chat`;
    const stream = options.stream ?? false;
    const started = performance.now();
    const init: RequestInit = {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, stream }),
    };
    const context = { endpoint, model: request.model };
    const read = async (res: Response, idle: IdleWatch): Promise<ChatReply> => {
      const reply = stream ? await readStream(res, context, idle) : assembleSingle(parseJson(await readCapped(res, context), endpoint), context);
      return { model: reply.model ?? request.model, content: reply.content, doneReason: reply.doneReason, elapsedMs: performance.now() - started };
    };
    const limits = stream ? { totalMs: this.#timeoutMs * STREAM_TIMEOUT_FACTOR, silenceMs: this.#timeoutMs } : { totalMs: this.#timeoutMs, silenceMs: null };
    return this.#exchange(endpoint, init, limits, options.signal, read, request.model);
  }

  /**
   * Runs one HTTP exchange under a timeout and the caller's signal, mapping every failure to an
   * LlmError (or AbortedError when the caller aborted). A failed exchange is aborted, so a body
   * left unread (too large, an error page) is never downloaded.
   */
  async #exchange<T>(
    endpoint: string,
    init: RequestInit,
    limits: { totalMs: number; silenceMs: number | null },
    signal: AbortSignal | undefined,
    read: (res: Response, idle: IdleWatch) => Promise<T>,
    model?: string,
  ): Promise<T> {
    if (signal?.aborted) throw new AbortedError('ollama request aborted', { endpoint });
    const controller = new AbortController();
    let expired: Expiry | null = null;
    const expire = (why: Expiry) => {
      expired ??= why;
      controller.abort();
    };
    const timer = setTimeout(() => expire('total'), limits.totalMs);
    const idle = new IdleWatch(limits.silenceMs, () => expire('silence'));
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // The silence watch covers the wait for the first byte too: a cold model load is silence.
      idle.touch();
      const res = await fetch(endpoint, { ...init, signal: controller.signal });
      if (!res.ok) throw await statusError(res, endpoint, model);
      return await read(res, idle);
    } catch (err) {
      controller.abort();
      if (signal?.aborted) throw new AbortedError('ollama request aborted', { endpoint });
      if (expired === 'silence') {
        throw new LlmError('timeout', `the reply stream was silent for ${limits.silenceMs} ms (the request timeout)`, { endpoint, model, timeoutMs: limits.silenceMs }, { cause: err });
      }
      if (expired === 'total') {
        throw new LlmError('timeout', `no complete answer within ${limits.totalMs} ms`, { endpoint, model, timeoutMs: limits.totalMs }, { cause: err });
      }
      if (err instanceof LlmError) throw err;
      throw new LlmError('unavailable', `cannot reach Ollama: ${networkReason(err)}`, { endpoint, model }, { cause: err });
    } finally {
      clearTimeout(timer);
      idle.stop();
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** Fires `expire` when nothing arrived for `ms` since the last touch; never when `ms` is null. */
class IdleWatch {
  readonly #ms: number | null;
  readonly #expire: () => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number | null, expire: () => void) {
    this.#ms = ms;
    this.#expire = expire;
  }

  touch(): void {
    if (this.#ms === null) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#expire, this.#ms);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}

function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LlmError('unavailable', `Ollama base URL is not a URL: ${raw}`, { endpoint: raw });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LlmError('unavailable', `Ollama base URL must be http(s): ${raw}`, { endpoint: raw });
  }
  return url.href.replace(/\/+$/, '');
}

async function statusError(res: Response, endpoint: string, model: string | undefined): Promise<LlmError> {
  const text = await readHead(res);
  const parsed = errorBodySchema.safeParse(safeParse(text));
  const message = parsed.success ? parsed.data.error : text.slice(0, 200);
  const context = { endpoint, model };
  const options = { status: res.status };
  if (res.status === 404 && /not found/i.test(message)) {
    return new LlmError('model-not-found', `model not installed on the Ollama server: ${message}`, context, options);
  }
  // A 503 (queue full, loading) is an answer, not an absence: the server is there, so it is a
  // bounded retry like any 5xx. Waiting on the availability gate instead made a server healthy on
  // /api/tags and 503 on chat a retry storm, since the gate's probe found it up at once.
  return new LlmError('http-status', `Ollama answered HTTP ${res.status}: ${message}`, context, options);
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseJson(text: string, endpoint: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new LlmError('bad-response', `reply is not JSON: ${text.slice(0, 120)}`, { endpoint });
  }
}

interface Assembled {
  content: string;
  doneReason: string | null;
  model: string | null;
}

function assembleSingle(body: unknown, context: { endpoint: string; model: string }): Assembled {
  const parsed = chatChunkSchema.safeParse(body);
  if (!parsed.success || !parsed.data.message) {
    throw new LlmError('bad-response', 'chat reply has no message', context);
  }
  return { content: parsed.data.message.content, doneReason: parsed.data.done_reason ?? null, model: parsed.data.model ?? null };
}

/** Reads an NDJSON chat stream to its `done` line, concatenating the message contents. */
async function readStream(res: Response, context: { endpoint: string; model: string }, idle: IdleWatch): Promise<Assembled> {
  if (!res.body) throw new LlmError('bad-response', 'streamed reply has no body', context);
  refuseDeclared(res, context, MAX_REPLY_BYTES);
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let pending = '';
  let size = 0;
  let model: string | null = null;
  idle.touch();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    idle.touch();
    size += chunk.byteLength;
    if (size > MAX_REPLY_BYTES) throw tooLarge(context, MAX_REPLY_BYTES);
    pending += decoder.decode(chunk, { stream: true });
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
      if (!line) continue;
      const done = consumeLine(line, parts, context);
      model ??= done.model;
      if (done.finished) return { content: parts.join(''), doneReason: done.doneReason, model };
    }
  }
  const last = pending.trim();
  if (last) {
    const done = consumeLine(last, parts, context);
    if (done.finished) return { content: parts.join(''), doneReason: done.doneReason, model: model ?? done.model };
  }
  throw new LlmError('bad-response', 'stream ended before its done line', context);
}

function consumeLine(line: string, parts: string[], context: { endpoint: string; model: string }): { finished: boolean; doneReason: string | null; model: string | null } {
  const value = safeParse(line);
  const error = errorBodySchema.safeParse(value);
  if (error.success) throw new LlmError('http-status', `Ollama failed mid-stream: ${error.data.error}`, context);
  const parsed = chatChunkSchema.safeParse(value);
  if (!parsed.success) throw new LlmError('bad-response', `stream line is not a chat chunk: ${line.slice(0, 120)}`, context);
  if (parsed.data.message) parts.push(parsed.data.message.content);
  return { finished: parsed.data.done, doneReason: parsed.data.done_reason ?? null, model: parsed.data.model ?? null };
}
