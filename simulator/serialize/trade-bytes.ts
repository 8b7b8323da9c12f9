/**
 * The hot path of the simulator: `/trades` pages written straight into bytes. A row is mostly
 * constant per (market, outcome) and per wallet, so those parts are encoded once and cached as
 * buffers; only the varying values (wallet, side, size, price, time, hash) are written per row.
 * The output is byte-identical to joining `tradeRowJson` rows (a test holds it to that); it
 * exists because building and flattening ~100,000 row strings per second made the garbage
 * collector the busiest part of the server. Pages are written into buffers from a small pool that
 * the server hands back once the response is sent: a fresh buffer per page made the C heap grow
 * (glibc keeps freed page-sized blocks) far beyond what the pages need.
 */
import type { TradeRow } from '../query/trades.ts';
import type { World } from '../world/world.ts';
import { plainProfileKey, profileKeysJson } from '../world/text.ts';
import { q } from './format.ts';

const enc = (s: string) => Buffer.from(s, 'utf8');
const OPEN = enc('{"proxyWallet":"');
const SIDE_BUY = enc('","side":"BUY","asset":');
const SIDE_SELL = enc('","side":"SELL","asset":');
const SIZE = enc(',"size":');
const PRICE = enc(',"price":');
const TIME = enc(',"timestamp":');
const HASH = enc(',"transactionHash":"');
const CLOSE = enc('"}');

interface MarketBytes {
  /** `<asset>,"conditionId":<id>` per outcome. */
  head: [Buffer, Buffer];
  /** `,"title":…,"outcomeIndex":<o>,` per outcome. */
  tail: [Buffer, Buffer];
}

export class TradePageWriter {
  private readonly world: World;
  private readonly markets = new Map<number, MarketBytes>();
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private readonly free: Buffer[] = [];

  constructor(world: World) {
    this.world = world;
  }

  private market(m: number): MarketBytes {
    let b = this.markets.get(m);
    if (!b) {
      const v = this.world.market(m);
      const eventSlug = q(this.world.event(v.event).slug);
      const head = (o: number) => enc(`${q(v.tokens[o]!)},"conditionId":${q(v.conditionId)}`);
      const tail = (o: number) => enc(`,"title":${q(v.question)},"slug":${q(v.slug)},"icon":${q(v.icon)},"eventSlug":${eventSlug},"outcome":${q(v.outcomes[o]!)},"outcomeIndex":${o},`);
      b = { head: [head(0), head(1)], tail: [tail(0), tail(1)] };
      if (this.markets.size >= 4_096) this.markets.clear();
      this.markets.set(m, b);
    }
    return b;
  }

  private readonly plain = new Map<number, Buffer>();
  private static readonly NO_PROFILE = enc('"name":"","pseudonym":"","bio":"","profileImage":"","profileImageOptimized":""');

  private profile(index: number): Buffer {
    if (index < 0) return TradePageWriter.NO_PROFILE;
    const seed = this.world.seed;
    const key = plainProfileKey(seed, index);
    if (key < 0) return enc(profileKeysJson(seed, index));
    let b = this.plain.get(key);
    if (!b) {
      b = enc(profileKeysJson(seed, index));
      this.plain.set(key, b);
    }
    return b;
  }

  private take(size: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= size);
    if (i >= 0) return this.free.splice(i, 1)[0]!;
    return Buffer.allocUnsafe(Math.max(size, 1 << 18));
  }

  /** Returns a page's buffer to the pool (the server calls it once the response is written). */
  release(page: Buffer): void {
    if (this.free.length < 16) this.free.push(Buffer.from(page.buffer, page.byteOffset, page.buffer.byteLength - page.byteOffset));
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = this.take(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.release(this.buf);
    this.buf = next;
  }

  private put(b: Buffer): void {
    this.room(b.length);
    this.pos += b.copy(this.buf, this.pos);
  }

  /** ASCII text (numbers, hex). */
  private ascii(s: string): void {
    this.room(s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  private byte(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  /** `[row,row,…]` as bytes: a view of a pooled buffer, to be given back with `release` once sent. */
  render(rows: readonly TradeRow[]): Buffer {
    this.buf = this.take(rows.length * 900 + 2);
    this.pos = 0;
    this.byte(0x5b);
    let lastTx = -1;
    let lastM = -1;
    let lastS = -1;
    for (let i = 0; i < rows.length; i++) {
      if (i > 0) this.byte(0x2c);
      const row = rows[i]!;
      const f = row.fill;
      const maker = row.role === 1;
      const side = maker ? (f.takerSide === 'BUY' ? 'SELL' : 'BUY') : f.takerSide;
      const wallet = maker ? f.maker : f.taker;
      const mb = this.market(f.m);
      this.put(OPEN);
      if (!maker && f.takerAddress !== null) this.ascii(f.takerAddress);
      else {
        this.room(42);
        this.pos = this.world.ids.writeWallet(this.buf, this.pos, wallet);
      }
      this.put(side === 'BUY' ? SIDE_BUY : SIDE_SELL);
      this.put(mb.head[f.outcome]!);
      this.put(SIZE);
      this.ascii(String(f.size));
      this.put(PRICE);
      this.ascii(String(f.price));
      this.put(TIME);
      this.ascii(String(f.ts));
      this.put(mb.tail[f.outcome]!);
      this.put(this.profile(!maker && f.takerAddress !== null ? -1 : wallet));
      this.put(HASH);
      if (f.captured) this.ascii(f.tx);
      else if (lastTx >= 0 && lastM === f.m && lastS === f.s) {
        // Rows of one match (taker and maker rows, several fills) share the hash: copy it.
        this.room(66);
        this.buf.copy(this.buf, this.pos, lastTx, lastTx + 66);
        this.pos += 66;
      } else {
        this.room(66);
        lastTx = this.pos;
        lastM = f.m;
        lastS = f.s;
        this.pos = this.world.ids.writeTxHash(this.buf, this.pos, f.m, f.s);
      }
      this.put(CLOSE);
    }
    this.byte(0x5d);
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.alloc(0);
    return out;
  }
}
