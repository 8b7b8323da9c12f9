/**
 * The CLOB market WebSocket (spec section 6) at `/ws/market`: subscribe by token ids, initial
 * dump as one JSON array of `book` objects, then single-object events computed from the world as
 * the simulated clock moves: `last_trade_price` for each fill (the same fills `/trades` serves),
 * `book` after trades, `price_change` when book levels change, `tick_size_change`, and with
 * `custom_feature_enabled` also `best_bid_ask`, `new_market`, `market_resolved`.
 *
 * Heartbeat rules: text `PING` → text `PONG`; a connection that sends nothing for the idle
 * timeout is dropped; a `PING` before the first subscription closes it (1008); one that never
 * subscribes is closed after the subscribe timeout. Beyond `tokensPerConnection` tokens a
 * connection silently stops delivering updates (it still answers PING), as observed live.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { S, unit } from '../core/hash.ts';
import { addUnknownField, type FaultInjector } from '../http/faults.ts';
import type { SimStats } from '../http/observe.ts';
import type { Profile } from '../profiles.ts';
import { currentBook, wsBookJson } from '../serialize/clob.ts';
import { q } from '../serialize/format.ts';
import { type Book, bestAsk, bestBid, bookAt, bookEpoch, formatPrice, formatSize, hasBook } from '../world/books.ts';
import { fillAt, fillCount } from '../world/fills.ts';
import type { World } from '../world/world.ts';

interface Connection {
  id: number;
  ws: WebSocket;
  tokens: Map<string, [number, number]>;
  subscribed: boolean;
  custom: boolean;
  silent: boolean;
  lastHeard: number;
  opened: number;
}

export interface MarketChannelOptions {
  world: World;
  profile: Profile;
  faults: FaultInjector;
  stats: SimStats;
  tickMs: number;
  /** Handshakes allowed per 10 s before answering 429 (0 = no limit). */
  handshakesPer10s: number;
}

export class MarketChannel {
  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  readonly #conns = new Set<Connection>();
  readonly #o: MarketChannelOptions;
  #nextId = 0;
  #ticks = 0;
  #last: number;
  readonly #timer: NodeJS.Timeout;
  readonly #handshakes: number[] = [];

  constructor(o: MarketChannelOptions) {
    this.#o = o;
    this.#last = o.world.clock.now();
    this.#timer = setInterval(() => this.#tick(), o.tickMs);
    this.#timer.unref();
  }

  /** Takes over an HTTP upgrade for `/ws/market`; false when the path is not ours. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/ws/market') return false;
    const now = Date.now();
    while (this.#handshakes.length > 0 && this.#handshakes[0]! < now - 10_000) this.#handshakes.shift();
    if (this.#o.handshakesPer10s > 0 && this.#handshakes.length >= this.#o.handshakesPer10s) {
      socket.end('HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nRetry-After: 10\r\nContent-Length: 17\r\n\r\nerror code: 1015\n');
      return true;
    }
    this.#handshakes.push(now);
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
    return true;
  }

  #send(c: Connection, frame: string): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    c.ws.send(frame);
    this.#o.stats.ws.framesOut++;
  }

  #accept(ws: WebSocket): void {
    const c: Connection = { id: this.#nextId++, ws, tokens: new Map(), subscribed: false, custom: false, silent: false, lastHeard: Date.now(), opened: Date.now() };
    this.#conns.add(c);
    this.#o.stats.ws.connections++;
    this.#o.stats.ws.open++;
    ws.on('message', (data, isBinary) => this.#onMessage(c, isBinary ? '' : data.toString()));
    ws.on('close', () => {
      this.#conns.delete(c);
      this.#o.stats.ws.open--;
    });
    ws.on('error', () => ws.terminate());
  }

  #onMessage(c: Connection, text: string): void {
    this.#o.stats.ws.framesIn++;
    c.lastHeard = Date.now();
    if (text === 'PING') {
      if (!c.subscribed && this.#o.profile.ws.pingBeforeSubscribeCloses) {
        this.#o.stats.ws.closedByRules++;
        c.ws.close(1008, 'subscribe first');
        return;
      }
      this.#send(c, 'PONG');
      return;
    }
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null || !Array.isArray(msg.assets_ids)) return;
    const ids = (msg.assets_ids as unknown[]).filter((x): x is string => typeof x === 'string');
    const operation = msg.operation;
    if (operation === 'unsubscribe') {
      if (!this.#o.profile.ws.dynamicSubscribe || !c.subscribed) return;
      for (const id of ids) c.tokens.delete(id);
      return;
    }
    if (operation === 'subscribe') {
      if (!this.#o.profile.ws.dynamicSubscribe || !c.subscribed) return;
      if (typeof msg.custom_feature_enabled === 'boolean') c.custom = msg.custom_feature_enabled && this.#o.profile.ws.customFeatures;
      const fresh = ids.filter((id) => !c.tokens.has(id));
      this.#addTokens(c, fresh);
      this.#dump(c, fresh);
      return;
    }
    const type = String(msg.type ?? '').toLowerCase();
    if (type !== 'market' || c.subscribed) return;
    c.subscribed = true;
    c.custom = msg.custom_feature_enabled === true && this.#o.profile.ws.customFeatures;
    this.#addTokens(c, ids);
    if (msg.initial_dump !== false) this.#dump(c, ids);
  }

  #addTokens(c: Connection, ids: string[]): void {
    for (const id of ids) {
      const tok = this.#o.world.tokenOf(id);
      c.tokens.set(id, tok ?? [-1, -1]);
    }
  }

  /** Initial dump: one array of `book` objects for the tokens that have a book. */
  #dump(c: Connection, ids: string[]): void {
    const { world } = this.#o;
    const t = world.clock.now();
    const books: string[] = [];
    for (const id of ids) {
      const fixture = world.fixtures.wsBooks.get(id);
      if (fixture) {
        books.push(fixture);
        continue;
      }
      const tok = c.tokens.get(id);
      if (!tok || tok[0] < 0) continue;
      const b = currentBook(world, tok[0], tok[1], t);
      if (b) books.push(wsBookJson(world, b, Math.floor(t * 1000)));
    }
    this.#send(c, `[${books.join(',')}]`);
  }

  #stalled(c: Connection): boolean {
    return c.silent || !c.subscribed || c.tokens.size > this.#o.profile.ws.tokensPerConnection;
  }

  /** One step of the clock: heartbeat rules, faults, and the events of (last, now]. */
  #tick(): void {
    const { world, profile, faults, stats } = this.#o;
    const realNow = Date.now();
    this.#ticks++;
    for (const c of this.#conns) {
      if (realNow - c.lastHeard > profile.ws.idleTimeoutMs) {
        stats.ws.closedByRules++;
        c.ws.terminate();
        continue;
      }
      if (!c.subscribed && realNow - c.opened > profile.ws.subscribeTimeoutMs) {
        stats.ws.closedByRules++;
        c.ws.close(1008, 'no subscription');
        continue;
      }
      if (faults.decideWs('ws-drop', c.id, this.#ticks, this.#o.tickMs / 1000)) {
        stats.ws.dropped++;
        c.ws.terminate();
        continue;
      }
      if (!c.silent && faults.decideWs('ws-silent', c.id, this.#ticks, this.#o.tickMs / 1000)) {
        stats.ws.silenced++;
        c.silent = true;
      }
    }
    const now = world.clock.now();
    const prev = this.#last;
    if (now <= prev) return;
    this.#last = now;
    const perMarket = new Map<number, string[]>();
    const eventsOf = (m: number, outcomes: Set<number>, custom: boolean) => {
      const key = m * 2 + (custom ? 1 : 0);
      let events = perMarket.get(key);
      if (!events) {
        events = this.#marketEvents(m, prev, now, custom);
        perMarket.set(key, events);
      }
      if (outcomes.size === 2) return events;
      const [t0, t1] = world.market(m).tokens;
      // Keep events about a subscribed token, and those naming neither token (resolution).
      return events.filter((e) => {
        const has0 = e.includes(t0);
        const has1 = e.includes(t1);
        return (outcomes.has(0) && has0) || (outcomes.has(1) && has1) || (!has0 && !has1);
      });
    };
    const newMarkets = this.#newMarketEvents(prev, now);
    for (const c of this.#conns) {
      if (this.#stalled(c)) continue;
      const byMarket = new Map<number, Set<number>>();
      for (const [, tok] of c.tokens) {
        if (tok[0] < 0) continue;
        const set = byMarket.get(tok[0]) ?? new Set<number>();
        set.add(tok[1]);
        byMarket.set(tok[0], set);
      }
      const unknown = faults.wsUnknownField();
      const decorate = unknown ? (e: string) => addUnknownField(e, unknown.field ?? 'simUnknownField') : (e: string) => e;
      for (const [m, outcomes] of byMarket) for (const e of eventsOf(m, outcomes, c.custom)) this.#send(c, decorate(e));
      if (c.custom) for (const e of newMarkets) this.#send(c, decorate(e));
      if (unknown && unit(faults.current.seed, S.fault, c.id, this.#ticks, 7000) < 1 - (1 - unknown.rate) ** (this.#o.tickMs / 1000)) {
        faults.note('unknown-field');
        this.#send(c, `{"event_type":"sim_unannounced","market":"","timestamp":"${Math.floor(now * 1000)}","detail":{"note":"an event type no client knows"}}`);
      }
    }
  }

  #newMarketEvents(prev: number, now: number): string[] {
    const { world } = this.#o;
    if (!world.options.live) return [];
    const out: string[] = [];
    const before = world.marketCount(prev);
    const after = world.marketCount(now);
    for (let m = before; m < after; m++) {
      const v = world.market(m);
      const ev = world.event(v.event);
      out.push(
        `{"event_type":"new_market","id":${q(v.id)},"question":${q(v.question)},"market":${q(v.conditionId)},"slug":${q(v.slug)},"description":${q(v.description)},"assets_ids":${JSON.stringify(v.tokens)},"outcomes":${JSON.stringify(v.outcomes)},"event_message":{"id":${q(ev.id)},"ticker":${q(ev.ticker)},"slug":${q(ev.slug)},"title":${q(ev.title)},"description":${q(ev.description)}},"timestamp":"${Math.floor(v.createdAt * 1000)}","tags":${JSON.stringify(v.tags.map(String))},"condition_id":${q(v.conditionId)},"active":true,"clob_token_ids":${JSON.stringify(v.tokens)},"sports_market_type":"","line":"","game_start_time":"","order_price_min_tick_size":"${v.baseTick}","group_item_title":${q(v.groupItem)}}`,
      );
    }
    return out;
  }

  /** Events of market m in (prev, now]: trades, books after trades, level changes, tick changes, resolution. */
  #marketEvents(m: number, prev: number, now: number, custom: boolean): string[] {
    const { world } = this.#o;
    const out: string[] = [];
    const v = world.market(m);
    const kPrev = fillCount(world, m, prev);
    const kNow = fillCount(world, m, now);
    const traded = new Set<number>();
    for (let k = kPrev; k < kNow; k++) {
      const f = fillAt(world, m, k);
      traded.add(f.outcome);
      out.push(
        `{"asset_id":${q(v.tokens[f.outcome]!)},"event_type":"last_trade_price","fee_rate_bps":"0","market":${q(v.conditionId)},"price":"${Math.round(f.price * 1000) / 1000}","side":"${f.takerSide}","size":"${f.size}","timestamp":"${f.ts * 1000}","transaction_hash":"${f.tx}"}`,
      );
    }
    if (hasBook(world, m, now)) {
      const ePrev = bookEpoch(world, prev);
      const eNow = bookEpoch(world, now);
      const tMs = Math.floor(now * 1000);
      for (const o of traded) out.push(wsBookJson(world, bookAt(world, m, o, eNow), tMs));
      if (eNow !== ePrev && hasBook(world, m, prev)) {
        const changes: string[] = [];
        for (const o of [0, 1]) {
          const a = bookAt(world, m, o, ePrev);
          const b = bookAt(world, m, o, eNow);
          for (const ch of diffBooks(a, b)) {
            changes.push(
              `{"asset_id":${q(v.tokens[o]!)},"price":"${formatPrice(ch.price)}","size":"${formatSize(ch.size)}","side":"${ch.side}","hash":"${b.hash}","best_bid":"${top(bestBid(b))}","best_ask":"${top(bestAsk(b))}"}`,
            );
          }
          if (a.tick !== b.tick) {
            out.push(
              `{"asset_id":${q(v.tokens[o]!)},"event_type":"tick_size_change","market":${q(v.conditionId)},"new_tick_size":"${formatPrice(b.tick)}","old_tick_size":"${formatPrice(a.tick)}","timestamp":"${tMs}"}`,
            );
          }
          if (custom && (bestBid(a) !== bestBid(b) || bestAsk(a) !== bestAsk(b))) {
            const bb = bestBid(b);
            const ba = bestAsk(b);
            out.push(
              `{"event_type":"best_bid_ask","market":${q(v.conditionId)},"asset_id":${q(v.tokens[o]!)},"best_bid":"${top(bb)}","best_ask":"${top(ba)}","spread":"${bb !== null && ba !== null ? formatPrice(ba - bb) : ''}","timestamp":"${tMs}"}`,
            );
          }
        }
        if (changes.length > 0) out.push(`{"market":${q(v.conditionId)},"price_changes":[${changes.join(',')}],"timestamp":"${tMs}","event_type":"price_change"}`);
      }
    }
    if (custom && v.closeTime > prev && v.closeTime <= now && v.winner !== null) {
      const ev = world.event(v.event);
      out.push(
        `{"event_type":"market_resolved","id":${q(v.id)},"market":${q(v.conditionId)},"assets_ids":${JSON.stringify(v.tokens)},"winning_asset_id":${q(v.tokens[v.winner]!)},"winning_outcome":${q(v.outcomes[v.winner]!)},"event_message":{"id":${q(ev.id)},"ticker":${q(ev.ticker)},"slug":${q(ev.slug)},"title":${q(ev.title)},"description":${q(ev.description)}},"timestamp":"${Math.floor(v.closeTime * 1000)}","tags":${JSON.stringify(v.tags.map(String))}}`,
      );
    }
    return out;
  }

  /** Cuts every connection at once (tests, `/__sim/ws/drop`). */
  dropAll(): number {
    const n = this.#conns.size;
    for (const c of this.#conns) c.ws.terminate();
    this.#o.stats.ws.dropped += n;
    return n;
  }

  get openConnections(): number {
    return this.#conns.size;
  }

  close(): void {
    clearInterval(this.#timer);
    for (const c of this.#conns) c.ws.terminate();
    this.#wss.close();
  }
}

function top(p: number | null): string {
  return p === null ? '' : formatPrice(p);
}

/** Level changes from book a to book b: new aggregate size per (side, price), 0 = removed. */
export function diffBooks(a: Book, b: Book): Array<{ side: 'BUY' | 'SELL'; price: number; size: number }> {
  const out: Array<{ side: 'BUY' | 'SELL'; price: number; size: number }> = [];
  const sides: Array<['BUY' | 'SELL', Book['bids'], Book['bids']]> = [
    ['BUY', a.bids, b.bids],
    ['SELL', a.asks, b.asks],
  ];
  for (const [side, before, after] of sides) {
    const old = new Map(before.map(([p, s]) => [p, s]));
    const now = new Map(after.map(([p, s]) => [p, s]));
    for (const [p, s] of now) if (old.get(p) !== s) out.push({ side, price: p, size: s });
    for (const [p] of old) if (!now.has(p)) out.push({ side, price: p, size: 0 });
  }
  return out;
}
