/**
 * One connection to the CLOB market channel for a set of tokens: subscribes on open (initial
 * dump on, custom features on), sends the text PING on schedule, treats a socket that delivers
 * no events for a while as dead even if it answers PINGs (a known failure of the real service),
 * and reconnects with backoff and full jitter, resubscribing. Each reconnection reports the span
 * the socket was blind, so the caller can backfill it over REST.
 */
import WebSocket from 'ws';
import type { Logger } from '../../runtime/logger.ts';
import { backoffMs } from '../limits/retry.ts';

export interface SocketGap {
  /** Unix ms: the last moment the socket was known to deliver (its last event, or its close). */
  from: number;
  /** Unix ms: when it was receiving again. */
  to: number;
  tokens: readonly string[];
}

export interface MarketSocketOptions {
  url: string;
  tokens: string[];
  pingMs: number;
  /** No event for this long: reconnect. */
  silenceMs: number;
  logger: Logger;
  /** Events of one frame (a frame may hold one event or an array), with the arrival time. */
  onEvents(events: Record<string, unknown>[], receivedAt: number): void;
  onGap(gap: SocketGap): void;
  onState?(state: 'open' | 'closed'): void;
  random?: () => number;
}

export class MarketSocket {
  readonly #o: MarketSocketOptions;
  readonly #tokens: Set<string>;
  #ws: WebSocket | undefined;
  #lastData = 0;
  #blindSince: number | undefined;
  #stopped = false;
  reconnects = 0;

  constructor(options: MarketSocketOptions) {
    this.#o = options;
    this.#tokens = new Set(options.tokens);
  }

  get tokens(): readonly string[] {
    return [...this.#tokens];
  }

  /** Adds tokens: sent as a dynamic subscription on an open socket, and on every resubscribe. */
  add(tokens: string[]): void {
    const fresh = tokens.filter((t) => !this.#tokens.has(t));
    if (fresh.length === 0) return;
    for (const t of fresh) this.#tokens.add(t);
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify({ operation: 'subscribe', assets_ids: fresh }));
  }

  /** Runs until the signal aborts, reconnecting as needed. */
  async run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      const opened = await this.#connectOnce(signal);
      if (signal.aborted) break;
      attempt = opened ? 1 : attempt + 1;
      this.reconnects++;
      const wait = backoffMs({ attempts: Number.POSITIVE_INFINITY, baseMs: 250, maxMs: 15_000 }, attempt, this.#o.random);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
    }
    this.#stopped = true;
  }

  /** One connection's life; resolves when it closes. True if it opened. */
  #connectOnce(signal: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let opened = false;
      let ping: NodeJS.Timeout | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      const ws = new WebSocket(this.#o.url, { handshakeTimeout: 10_000 });
      this.#ws = ws;
      const finish = () => {
        if (ping) clearInterval(ping);
        if (watchdog) clearInterval(watchdog);
        signal.removeEventListener('abort', onAbort);
        if (opened) {
          this.#blindSince ??= this.#lastData || Date.now();
          this.#o.onState?.('closed');
        }
        resolve(opened);
      };
      const onAbort = () => ws.terminate();
      signal.addEventListener('abort', onAbort, { once: true });
      ws.on('open', () => {
        opened = true;
        this.#lastData = Date.now();
        ws.send(JSON.stringify({ assets_ids: [...this.#tokens], type: 'market', initial_dump: true, level: 2, custom_feature_enabled: true }));
        ping = setInterval(() => {
          if (ws.readyState === WebSocket.OPEN) ws.send('PING');
        }, this.#o.pingMs);
        watchdog = setInterval(
          () => {
            if (Date.now() - this.#lastData > this.#o.silenceMs) {
              this.#o.logger.warn('market socket silent; reconnecting', { tokens: this.#tokens.size, silentMs: Date.now() - this.#lastData });
              ws.terminate();
            }
          },
          Math.max(50, Math.min(this.#o.silenceMs / 4, 5_000)),
        );
        this.#o.onState?.('open');
      });
      ws.on('message', (data, isBinary) => {
        const text = isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString();
        if (text === 'PONG' || text === 'pong') return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          this.#o.logger.debug('non-JSON frame on the market socket', { frame: text.slice(0, 80) });
          return;
        }
        const events = (Array.isArray(parsed) ? parsed : [parsed]).filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null && !Array.isArray(e));
        const now = Date.now();
        if (this.#blindSince !== undefined) {
          this.#o.onGap({ from: this.#blindSince, to: now, tokens: [...this.#tokens] });
          this.#blindSince = undefined;
        }
        this.#lastData = now;
        if (events.length > 0) this.#o.onEvents(events, now);
      });
      ws.on('error', (err) => {
        if (!signal.aborted && !this.#stopped) this.#o.logger.debug('market socket error', { err: err.message });
      });
      ws.on('close', finish);
    });
  }
}
