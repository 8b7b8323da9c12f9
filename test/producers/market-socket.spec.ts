import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { type WebSocket, WebSocketServer } from 'ws';
import { MarketSocket, type SocketGap } from '../../producers/follow/market-socket.ts';
import { silentLogger } from '../../runtime/logger.ts';

interface Conn {
  ws: WebSocket;
  frames: string[];
}

async function wsServer(onConnection: (c: Conn) => void) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const conns: Conn[] = [];
  wss.on('connection', (ws) => {
    const c: Conn = { ws, frames: [] };
    conns.push(c);
    ws.on('message', (d) => {
      const text = d.toString();
      c.frames.push(text);
      if (text === 'PING') ws.send('PONG');
    });
    onConnection(c);
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws/market`,
    conns,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
};

describe('producers/follow/market-socket', () => {
  it('subscribes, pings, and after a drop reconnects, resubscribes and reports the blind span', async () => {
    const server = await wsServer((c) => {
      c.ws.on('message', (d) => {
        const text = d.toString();
        if (text.includes('"type":"market"')) c.ws.send(JSON.stringify([{ event_type: 'book', asset_id: 't1', market: 'm1', timestamp: String(Date.now()) }]));
      });
    });
    const events: Record<string, unknown>[] = [];
    const gaps: SocketGap[] = [];
    const stop = new AbortController();
    const sock = new MarketSocket({
      url: server.url,
      tokens: ['t1', 't2'],
      pingMs: 30,
      silenceMs: 60_000,
      logger: silentLogger,
      onEvents: (e) => events.push(...e),
      onGap: (g) => gaps.push(g),
      random: () => 0,
    });
    const running = sock.run(stop.signal);
    try {
      await until(() => events.length === 1 && (server.conns[0]?.frames.includes('PING') ?? false));
      const sub = JSON.parse(server.conns[0]!.frames[0]!);
      expect(sub).to.deep.include({ assets_ids: ['t1', 't2'], type: 'market', initial_dump: true });
      sock.add(['t3']);
      await until(() => server.conns[0]!.frames.some((f) => f.includes('"operation"')));
      server.conns[0]!.ws.terminate();
      await until(() => gaps.length === 1);
      expect(server.conns).to.have.length(2);
      expect(JSON.parse(server.conns[1]!.frames[0]!).assets_ids).to.deep.equal(['t1', 't2', 't3']);
      expect(gaps[0]!.to).to.be.at.least(gaps[0]!.from);
      expect(gaps[0]!.tokens).to.deep.equal(['t1', 't2', 't3']);
      expect(events).to.have.length(2);
    } finally {
      stop.abort();
      await running;
      await server.close();
    }
  });

  it('treats a socket that answers PING but delivers nothing as dead', async () => {
    let n = 0;
    const server = await wsServer((c) => {
      n++;
      // Only the second connection ever sends data.
      if (n === 2) c.ws.on('message', (d) => d.toString().startsWith('{') && c.ws.send(JSON.stringify({ event_type: 'book', asset_id: 't1' })));
    });
    const gaps: SocketGap[] = [];
    const stop = new AbortController();
    const sock = new MarketSocket({ url: server.url, tokens: ['t1'], pingMs: 20, silenceMs: 150, logger: silentLogger, onEvents: () => {}, onGap: (g) => gaps.push(g), random: () => 0 });
    const running = sock.run(stop.signal);
    try {
      await until(() => gaps.length === 1);
      expect(server.conns.length).to.be.at.least(2);
      expect(server.conns[0]!.frames).to.include('PING');
    } finally {
      stop.abort();
      await running;
      await server.close();
    }
  });
});
