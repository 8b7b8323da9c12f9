/**
 * A model server that misbehaves on purpose, for the tagger's failure tests: healthy on
 * `/api/tags`, and on `/api/chat` whatever the test's handler does (503 forever, a body of
 * hundreds of megabytes, a stream that falls silent). It records when each chat request came
 * and how many body bytes it managed to hand to the socket, so a test can see what the tagger
 * did to it rather than what the tagger says it did.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Rogue {
  readonly url: string;
  /** performance.now() of every chat request received. */
  readonly chatTimes: number[];
  /** Body bytes written to sockets by the chat handler (accepted by the kernel, so sent or buffered). */
  readonly sent: { bytes: number };
  close(): Promise<void>;
}

export type ChatHandler = (req: IncomingMessage, res: ServerResponse, sent: { bytes: number }) => void | Promise<void>;

export async function startRogue(models: string[], chat: ChatHandler): Promise<Rogue> {
  const chatTimes: number[] = [];
  const sent = { bytes: 0 };
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/api/tags') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ models: models.map((name) => ({ name })) }));
      return;
    }
    if (req.method === 'POST' && req.url === '/api/chat') {
      chatTimes.push(performance.now());
      req.resume();
      req.on('end', () => {
        Promise.resolve(chat(req, res, sent)).catch(() => res.destroy());
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    chatTimes,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Writes `total` bytes of `chunk` repeated, honouring backpressure, until done or the client goes. */
export async function pour(res: ServerResponse, sent: { bytes: number }, chunk: Buffer, total: number): Promise<void> {
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  while (sent.bytes < total && !closed) {
    const ok = res.write(chunk);
    sent.bytes += chunk.byteLength;
    if (!ok && !closed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done).off('close', done);
          resolve();
        };
        res.on('drain', done).on('close', done);
      });
    }
  }
  if (!closed) res.end();
}
