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
import { plainProfileKey, profileKeysJson } from '../world/text.ts';
import type { World } from '../world/world.ts';
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

/** Bytes of page buffers kept for reuse, and the smallest buffer made. */
const POOL_BYTES = 16 << 20;
const MIN_BUFFER = 1 << 18;

interface MarketBytes {
  /** `<asset>,"conditionId":<id>` per outcome. */
  head: [Buffer, Buffer];
  /** `,"title":…,"outcomeIndex":<o>,` per outcome. */
  tail: [Buffer, Buffer];
}

export class TradePageWriter {
  readonly #world: World;
  readonly #markets = new Map<number, MarketBytes>();
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;
  readonly #free: Buffer[] = [];
  #pooledBytes = 0;

  constructor(world: World) {
    this.#world = world;
  }

  #market(m: number): MarketBytes {
    let b = this.#markets.get(m);
    if (!b) {
      const v = this.#world.market(m);
      const eventSlug = q(this.#world.event(v.event).slug);
      const head = (o: number) => enc(`${q(v.tokens[o]!)},"conditionId":${q(v.conditionId)}`);
      const tail = (o: number) => enc(`,"title":${q(v.question)},"slug":${q(v.slug)},"icon":${q(v.icon)},"eventSlug":${eventSlug},"outcome":${q(v.outcomes[o]!)},"outcomeIndex":${o},`);
      b = { head: [head(0), head(1)], tail: [tail(0), tail(1)] };
      if (this.#markets.size >= 4_096) this.#markets.clear();
      this.#markets.set(m, b);
    }
    return b;
  }

  readonly #plain = new Map<number, Buffer>();
  static readonly #NO_PROFILE = enc('"name":"","pseudonym":"","bio":"","profileImage":"","profileImageOptimized":""');

  /** The profile keys of a wallet: shared bytes for most wallets, the text of the few with their own profile. */
  #profile(index: number): Buffer | string {
    if (index < 0) return TradePageWriter.#NO_PROFILE;
    const seed = this.#world.seed;
    const key = plainProfileKey(seed, index);
    // Written as text: a small Buffer per row would cut a new 8 KB pool slab every few dozen rows.
    if (key < 0) return profileKeysJson(seed, index);
    let b = this.#plain.get(key);
    if (!b) {
      b = enc(profileKeysJson(seed, index));
      this.#plain.set(key, b);
    }
    return b;
  }

  /** The smallest pooled buffer that holds `size` bytes, or a new one of a power-of-two size. */
  #take(size: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      const len = this.#free[i]!.length;
      if (len >= size && (best < 0 || len < this.#free[best]!.length)) best = i;
    }
    if (best >= 0) {
      const b = this.#free.splice(best, 1)[0]!;
      this.#pooledBytes -= b.length;
      return b;
    }
    // Power-of-two sizes make a released buffer fit the next page of about the same size.
    return Buffer.allocUnsafeSlow(Math.max(MIN_BUFFER, 2 ** Math.ceil(Math.log2(size))));
  }

  /**
   * Returns a page's buffer to the pool (the server calls it once the response is written). The
   * pool keeps at most POOL_BYTES, preferring large buffers, so steady serving allocates nothing.
   */
  release(page: Buffer): void {
    const whole = Buffer.from(page.buffer, page.byteOffset, page.buffer.byteLength - page.byteOffset);
    if (whole.length < MIN_BUFFER || whole.length > POOL_BYTES / 4) return;
    while (this.#pooledBytes + whole.length > POOL_BYTES) {
      let smallest = 0;
      for (let i = 1; i < this.#free.length; i++) if (this.#free[i]!.length < this.#free[smallest]!.length) smallest = i;
      if (this.#free.length === 0 || this.#free[smallest]!.length >= whole.length) return;
      this.#pooledBytes -= this.#free.splice(smallest, 1)[0]!.length;
    }
    this.#free.push(whole);
    this.#pooledBytes += whole.length;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = this.#take(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.release(this.#buf);
    this.#buf = next;
  }

  #put(b: Buffer): void {
    this.#room(b.length);
    this.#pos += b.copy(this.#buf, this.#pos);
  }

  #utf8(s: string): void {
    this.#room(Buffer.byteLength(s));
    this.#pos += this.#buf.write(s, this.#pos, 'utf8');
  }

  /** ASCII text (numbers, hex). */
  #ascii(s: string): void {
    this.#room(s.length);
    this.#pos += this.#buf.write(s, this.#pos, 'latin1');
  }

  #byte(c: number): void {
    this.#room(1);
    this.#buf[this.#pos++] = c;
  }

  /** `[row,row,…]` as bytes: a view of a pooled buffer, to be given back with `release` once sent. */
  render(rows: readonly TradeRow[]): Buffer {
    this.#buf = this.#take(rows.length * 900 + 2);
    this.#pos = 0;
    this.#byte(0x5b);
    let lastTx = -1;
    let lastM = -1;
    let lastS = -1;
    for (let i = 0; i < rows.length; i++) {
      if (i > 0) this.#byte(0x2c);
      const row = rows[i]!;
      const f = row.fill;
      const maker = row.role === 1;
      const side = maker ? (f.takerSide === 'BUY' ? 'SELL' : 'BUY') : f.takerSide;
      const wallet = maker ? f.maker : f.taker;
      const mb = this.#market(f.m);
      this.#put(OPEN);
      if (!maker && f.takerAddress !== null) this.#ascii(f.takerAddress);
      else {
        this.#room(42);
        this.#pos = this.#world.ids.writeWallet(this.#buf, this.#pos, wallet);
      }
      this.#put(side === 'BUY' ? SIDE_BUY : SIDE_SELL);
      this.#put(mb.head[f.outcome]!);
      this.#put(SIZE);
      this.#ascii(String(f.size));
      this.#put(PRICE);
      this.#ascii(String(f.price));
      this.#put(TIME);
      this.#ascii(String(f.ts));
      this.#put(mb.tail[f.outcome]!);
      const profile = this.#profile(!maker && f.takerAddress !== null ? -1 : wallet);
      if (typeof profile === 'string') this.#utf8(profile);
      else this.#put(profile);
      this.#put(HASH);
      if (f.captured) this.#ascii(f.tx);
      else if (lastTx >= 0 && lastM === f.m && lastS === f.s) {
        // Rows of one match (taker and maker rows, several fills) share the hash: copy it.
        this.#room(66);
        this.#buf.copy(this.#buf, this.#pos, lastTx, lastTx + 66);
        this.#pos += 66;
      } else {
        this.#room(66);
        lastTx = this.#pos;
        lastM = f.m;
        lastS = f.s;
        this.#pos = this.#world.ids.writeTxHash(this.#buf, this.#pos, f.m, f.s);
      }
      this.#put(CLOSE);
    }
    this.#byte(0x5d);
    const out = this.#buf.subarray(0, this.#pos);
    this.#buf = Buffer.alloc(0);
    return out;
  }
}
