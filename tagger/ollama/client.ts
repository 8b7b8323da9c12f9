/**
 * A small client for Ollama's HTTP API. One request per call, no retries here (the caller owns
 * the retry policy): every failure becomes an LlmError whose `reason` tells the caller whether to
 * wait for the server, retry, or give up. The caller's AbortSignal always wins and surfaces as
 * AbortedError.
 */
import { AbortedError, LlmError } from '../../runtime/errors.ts';
import { type ChatReply, type ChatRequest, chatChunkSchema, errorBodySchema, type ModelInfo, tagsReplySchema } from './types.ts';

export interface OllamaClientOptions {
  /** e.g. http://127.0.0.1:11434 */
  baseUrl: string;
  /** Whole-request timeout for chat, ms. Default 120 s (a cold model load can take a while). */
  timeoutMs?: number;
  /** Streamed chat: the longest silence between two chunks, ms. Default 30 s. */
  idleTimeoutMs?: number;
  /** Timeout for `GET /api/tags`, ms. Default 5 s. */
  listTimeoutMs?: number;
}

export interface ChatCallOptions {
  signal?: AbortSignal;
  /** Ask for a streamed (NDJSON) reply and assemble it. Default false. */
  stream?: boolean;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class OllamaClient {
  readonly baseUrl: string;
  readonly #timeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #listTimeoutMs: number;

  constructor(options: OllamaClientOptions) {
    this.baseUrl = normaliseBaseUrl(options.baseUrl);
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.#listTimeoutMs = options.listTimeoutMs ?? 5_000;
  }

  /** The server's installed models (`GET /api/tags`). */
  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    const endpoint = `${this.baseUrl}/api/tags`;
    const body = await this.#exchange(endpoint, { method: 'GET' }, this.#listTimeoutMs, signal, async (res) => parseJson(await readCapped(res, endpoint), endpoint));
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
      const reply = stream ? await readStream(res, context, idle) : assembleSingle(parseJson(await readCapped(res, endpoint), endpoint), context);
      return { model: reply.model ?? request.model, content: reply.content, doneReason: reply.doneReason, elapsedMs: performance.now() - started };
    };
    return this.#exchange(endpoint, init, this.#timeoutMs, options.signal, read, request.model);
  }

  /**
   * Runs one HTTP exchange under a timeout and the caller's signal, mapping every failure to an
   * LlmError (or AbortedError when the caller aborted).
   */
  async #exchange<T>(endpoint: string, init: RequestInit, timeoutMs: number, signal: AbortSignal | undefined, read: (res: Response, idle: IdleWatch) => Promise<T>, model?: string): Promise<T> {
    if (signal?.aborted) throw new AbortedError('ollama request aborted', { endpoint });
    const controller = new AbortController();
    let timedOut = false;
    const expire = () => {
      timedOut = true;
      controller.abort();
    };
    const timer = setTimeout(expire, timeoutMs);
    const idle = new IdleWatch(this.#idleTimeoutMs, expire);
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await fetch(endpoint, { ...init, signal: controller.signal });
      if (!res.ok) throw await statusError(res, endpoint, model);
      return await read(res, idle);
    } catch (err) {
      if (signal?.aborted) throw new AbortedError('ollama request aborted', { endpoint });
      if (timedOut) {
        throw new LlmError('timeout', `no complete answer within the timeout`, { endpoint, model, timeoutMs }, { cause: err });
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

/** Fires `expire` when no chunk arrived for `ms`; armed only while a stream is being read. */
class IdleWatch {
  readonly #ms: number;
  readonly #expire: () => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number, expire: () => void) {
    this.#ms = ms;
    this.#expire = expire;
  }

  touch(): void {
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
  const text = await res.text().catch(() => '');
  const parsed = errorBodySchema.safeParse(safeParse(text));
  const message = parsed.success ? parsed.data.error : text.slice(0, 200);
  const context = { endpoint, model };
  const options = { status: res.status };
  if (res.status === 404 && /not found/i.test(message)) {
    return new LlmError('model-not-found', `model not installed on the Ollama server: ${message}`, context, options);
  }
  // 503: Ollama's queue is full or it is loading; like a refused connection, wait for it.
  if (res.status === 503) return new LlmError('unavailable', `Ollama is busy: ${message}`, context, options);
  return new LlmError('http-status', `Ollama answered HTTP ${res.status}: ${message}`, context, options);
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

async function readCapped(res: Response, endpoint: string): Promise<string> {
  const text = await res.text();
  if (text.length > MAX_BODY_BYTES) throw new LlmError('bad-response', `reply larger than ${MAX_BODY_BYTES} bytes`, { endpoint });
  return text;
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
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let pending = '';
  let size = 0;
  let model: string | null = null;
  idle.touch();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    idle.touch();
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new LlmError('bad-response', `stream larger than ${MAX_BODY_BYTES} bytes`, context);
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
