/**
 * An Ollama stand-in that speaks the real HTTP API (`GET /api/tags`, `POST /api/chat`, streamed
 * NDJSON and single JSON replies, Ollama's error bodies), answering from a script instead of a
 * model. Tests script it to agree, disagree, stall, fail or break the output schema; the tagger
 * benchmark gives it a fixed latency. It listens on 127.0.0.1 only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatMessage } from './types.ts';

export type FakeReply =
  /** A well-formed structured answer. */
  | { answer: 'yes' | 'no' | 'unsure'; confidence?: number; reason?: string }
  /** Raw assistant content, sent as is (e.g. not JSON, or JSON of the wrong shape). */
  | { content: string }
  /** An HTTP error with Ollama's `{"error": …}` body. */
  | { status: number; error: string }
  /** Accepts the request and never answers (until the server closes). */
  | { hang: true };

export interface FakeChatRequest {
  model: string;
  messages: ChatMessage[];
  format: unknown;
  stream: boolean;
  options: Record<string, unknown> | undefined;
}

export interface FakeOllamaOptions {
  models: string[];
  /** Decides each chat reply; may be async. */
  reply: (request: FakeChatRequest) => FakeReply | Promise<FakeReply>;
  /** Delay before each chat reply, ms. */
  latencyMs?: number;
  /** Listen on this port (0: any free port). */
  port?: number;
}

export interface FakeOllama {
  readonly url: string;
  readonly port: number;
  /** Every chat request received, in arrival order. */
  readonly requests: FakeChatRequest[];
  /** Chat requests being answered right now, and the most at once so far. */
  readonly inFlight: { now: number; max: number };
  /** Stops listening and drops open connections (the server looks down). */
  pause(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

const MARKET_BLOCK = /<<<MARKET_DATA\n([^\n]*)\nMARKET_DATA>>>/;

/** The market a tagger prompt asks about (the JSON inside its MARKET_DATA block), or null. */
export function marketInPrompt(messages: ChatMessage[]): { question: string | null; description: string | null; category: string | null } | null {
  const user = messages.find((m) => m.role === 'user');
  const match = user ? MARKET_BLOCK.exec(user.content) : null;
  return match ? JSON.parse(match[1]!) : null;
}

export async function startFakeOllama(options: FakeOllamaOptions): Promise<FakeOllama> {
  const requests: FakeChatRequest[] = [];
  const inFlight = { now: 0, max: 0 };
  const hanging = new Set<ServerResponse>();
  let server: Server = createServer();
  let port = options.port ?? 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/api/tags') {
      return json(res, 200, {
        models: options.models.map((name) => ({
          name,
          model: name,
          modified_at: '2026-01-01T00:00:00Z',
          size: 2_000_000_000,
          digest: 'sha256:0',
          details: { format: 'gguf', family: 'fake', parameter_size: '3B', quantization_level: 'Q4_K_M' },
        })),
      });
    }
    if (req.method === 'POST' && req.url === '/api/chat') {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return json(res, 400, { error: 'invalid JSON body' });
      }
      const request: FakeChatRequest = {
        model: String(body.model ?? ''),
        messages: (body.messages as ChatMessage[]) ?? [],
        format: body.format,
        stream: body.stream !== false,
        options: body.options as Record<string, unknown> | undefined,
      };
      requests.push(request);
      if (!options.models.includes(request.model)) {
        return json(res, 404, { error: `model "${request.model}" not found, try pulling it first` });
      }
      inFlight.now++;
      inFlight.max = Math.max(inFlight.max, inFlight.now);
      try {
        if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
        const reply = await options.reply(request);
        if ('hang' in reply) {
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          return;
        }
        if ('status' in reply) return json(res, reply.status, { error: reply.error });
        const content = 'content' in reply ? reply.content : JSON.stringify({ answer: reply.answer, confidence: reply.confidence ?? 0.9, reason: reply.reason ?? `scripted ${reply.answer}` });
        if (request.stream) return streamChat(res, request.model, content);
        return json(res, 200, chatBody(request.model, content, true));
      } finally {
        inFlight.now--;
      }
    }
    json(res, 404, { error: 'not found' });
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((req, res) => {
        handle(req, res).catch((err) => {
          if (!res.headersSent) json(res, 500, { error: String(err) });
        });
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    });

  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    requests,
    inFlight,
    pause: stop,
    resume: listen,
    close: async () => {
      if (server.listening) await stop();
    },
  };
}

function chatBody(model: string, content: string, done: boolean): Record<string, unknown> {
  return {
    model,
    created_at: new Date().toISOString(),
    message: { role: 'assistant', content },
    done,
    ...(done ? { done_reason: 'stop', total_duration: 1, load_duration: 0, prompt_eval_count: 1, eval_count: 1 } : {}),
  };
}

function streamChat(res: ServerResponse, model: string, content: string): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  for (let i = 0; i < content.length; i += 7) res.write(`${JSON.stringify(chatBody(model, content.slice(i, i + 7), false))}\n`);
  res.end(`${JSON.stringify({ ...chatBody(model, '', true) })}\n`);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
