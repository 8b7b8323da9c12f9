/**
 * Counter-based randomness: every random value of the simulated world is a pure function of
 * (seed, stream, a, b, c), so any record can be computed on its own, in any order, without
 * generating the ones before it. Streams keep unrelated uses of the same counters independent.
 */

/** Murmur3's 32-bit finaliser: a bijection on uint32 with good avalanche. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uint32 drawn from (seed, stream, a, b, c). Counters must be integers below 2^32. */
export function hash(seed: number, stream: number, a = 0, b = 0, c = 0): number {
  let h = mix32((seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0);
  h = mix32((h ^ a) + 0x632be59b);
  h = mix32((h ^ Math.imul(b + 1, 0x85ebca6b)) >>> 0);
  h = mix32((h ^ Math.imul(c + 7, 0xc2b2ae35)) >>> 0);
  return h;
}

/** A uniform number in [0, 1). */
export function unit(seed: number, stream: number, a = 0, b = 0, c = 0): number {
  return hash(seed, stream, a, b, c) / 4294967296;
}

/** A standard normal deviate (Box-Muller over two independent draws). */
export function normal(seed: number, stream: number, a = 0, b = 0): number {
  const u1 = (hash(seed, stream, a, b, 1) + 1) / 4294967297;
  const u2 = hash(seed, stream, a, b, 2) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * A keyed permutation of [0, 2^bits) (balanced Feistel network, bits even, 2..32). Used to make
 * identifiers look random while staying invertible, so an id sent by a client maps back to its
 * record in O(1) without any lookup table.
 */
export class Feistel {
  readonly #half: number;
  readonly #mask: number;
  readonly #keys: number[];

  constructor(bits: number, seed: number, stream: number) {
    if (bits % 2 !== 0 || bits < 2 || bits > 32) throw new RangeError(`Feistel width must be even, 2..32 (got ${bits})`);
    this.#half = bits / 2;
    this.#mask = this.#half === 16 ? 0xffff : (1 << this.#half) - 1;
    this.#keys = [0, 1, 2, 3].map((r) => hash(seed, stream, r));
  }

  encode(x: number): number {
    let l = Math.floor(x / 2 ** this.#half) & this.#mask;
    let r = x & this.#mask;
    for (const k of this.#keys) {
      const next = (l ^ mix32(r ^ k)) & this.#mask;
      l = r;
      r = next;
    }
    return l * 2 ** this.#half + r;
  }

  decode(y: number): number {
    let l = Math.floor(y / 2 ** this.#half) & this.#mask;
    let r = y & this.#mask;
    for (let i = this.#keys.length - 1; i >= 0; i--) {
      const prev = (r ^ mix32(l ^ this.#keys[i]!)) & this.#mask;
      r = l;
      l = prev;
    }
    return l * 2 ** this.#half + r;
  }
}

/** Named streams, so every use of the hash draws from its own sequence. */
export const S = {
  marketDuration: 1,
  marketResolveDelay: 2,
  marketTradeWeight: 3,
  marketWinner: 4,
  marketTick: 5,
  marketMisc: 6,
  marketEarlyResolve: 7,
  eventSize: 10,
  eventCreated: 11,
  eventCategory: 12,
  eventText: 13,
  eventMisc: 14,
  hexWord: 20,
  tokenDigits: 21,
  walletWord: 22,
  txWord: 23,
  bookHashWord: 24,
  fillMatch: 30,
  fillTime: 31,
  fillTaker: 32,
  fillMaker: 33,
  fillSide: 34,
  fillAsset: 35,
  fillSize: 36,
  fillNoise: 37,
  priceBase: 40,
  priceNoise: 41,
  priceSeriesOffset: 42,
  book: 50,
  bookSize: 51,
  boardWallet: 60,
  boardValue: 61,
  walletProfile: 70,
  team: 80,
  feistelCondition: 90,
  feistelToken: 91,
  feistelWallet: 92,
  feistelQuestion: 94,
  liveMarket: 100,
  fault: 110,
} as const;
