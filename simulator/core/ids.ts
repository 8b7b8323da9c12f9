/**
 * Realistic identifiers that map back to their record: condition ids and question ids
 * (0x + 64 hex), outcome token ids (77 decimal digits), proxy wallets (0x + 40 hex) and
 * transaction hashes. Invertible ids carry a Feistel-permuted index in their first digits and
 * a hash of it in the rest, so decoding checks the whole id and rejects anything we never issued.
 */
import { Feistel, hash, S } from './hash.ts';

const HEX_CODES = Buffer.from('0123456789abcdef', 'latin1');

/** Writes `x` as exactly `width` decimal digits (zero-padded) at `pos`. */
function writeDigits(buf: Buffer, pos: number, x: number, width: number): void {
  let v = x;
  for (let i = width - 1; i >= 0; i--) {
    buf[pos + i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
}

/** Writes a uint32 as 8 hex digits into `buf` at `pos`; returns the position after them. */
function writeWord(buf: Buffer, pos: number, x: number): number {
  let p = pos;
  for (let shift = 28; shift >= 0; shift -= 4) buf[p++] = HEX_CODES[(x >>> shift) & 15]!;
  return p;
}

/** Scratch bytes for building ids as one string each (no intermediate strings to collect). */
const scratch = Buffer.allocUnsafe(128);

/** `words` uint32 words from (stream, a, b) as lower-case hex. */
export function hexWords(seed: number, stream: number, a: number, b: number, words: number): string {
  let p = 0;
  for (let i = 0; i < words; i++) p = writeWord(scratch, p, hash(seed, stream, a, b, i));
  return scratch.toString('latin1', 0, p);
}

/** `0x` + the hex of `head` + `words` more words from (stream, head, b). */
function prefixedHex(seed: number, stream: number, head: number, b: number, words: number): string {
  scratch[0] = 0x30;
  scratch[1] = 0x78;
  let p = writeWord(scratch, 2, head);
  for (let i = 0; i < words; i++) p = writeWord(scratch, p, hash(seed, stream, head, b, i));
  return scratch.toString('latin1', 0, p);
}

/** Encodes and decodes the ids of one world. */
export class IdCodec {
  readonly #seed: number;
  readonly #condition: Feistel;
  readonly #token: Feistel;
  readonly #walletPerm: Feistel;
  readonly #question: Feistel;
  readonly #walletCache = new Map<number, string>();

  constructor(seed: number) {
    this.#seed = seed;
    this.#condition = new Feistel(32, seed, S.feistelCondition);
    this.#token = new Feistel(32, seed, S.feistelToken);
    this.#walletPerm = new Feistel(32, seed, S.feistelWallet);
    this.#question = new Feistel(32, seed, S.feistelQuestion);
  }

  /** Condition id of synthetic market `m`: 0x, 8 hex of the permuted index, 56 hex of hash. */
  conditionId(m: number): string {
    return prefixedHex(this.#seed, S.hexWord, this.#condition.encode(m), 1, 7);
  }

  /** Market index of a condition id, or -1 if this world never issued it. */
  marketOfCondition(id: string): number {
    return indexOfHex(id, 66, this.#condition, (m) => this.conditionId(m));
  }

  questionId(m: number): string {
    return prefixedHex(this.#seed, S.hexWord, this.#question.encode(m), 2, 7);
  }

  /** Market index of a question id, or -1. */
  marketOfQuestion(id: string): number {
    return indexOfHex(id, 66, this.#question, (m) => this.questionId(m));
  }

  /**
   * Token id of outcome `o` (0 or 1) of synthetic market `m`: one non-zero digit, ten digits of the
   * permuted (2m + o), 66 hash digits: 77 digits, above 2^64 like the real ones.
   */
  tokenId(m: number, o: number): string {
    const head = this.#token.encode(m * 2 + o);
    scratch[0] = 0x30 + 1 + (hash(this.#seed, S.tokenDigits, head, 0) % 9);
    writeDigits(scratch, 1, head, 10);
    // 66 digits: seven 9-digit groups, the last cut to 3.
    for (let i = 1; i <= 8; i++) writeDigits(scratch, 11 + (i - 1) * 9, hash(this.#seed, S.tokenDigits, head, i) % 1_000_000_000, 9);
    return scratch.toString('latin1', 0, 77);
  }

  /** [market, outcome] of a token id, or null if this world never issued it. */
  tokenOf(id: string): [number, number] | null {
    if (id.length !== 77 || !/^[1-9][0-9]{76}$/.test(id)) return null;
    const head = Number(id.slice(1, 11));
    if (head > 0xffffffff) return null;
    const x = this.#token.decode(head);
    const m = Math.floor(x / 2);
    const o = x % 2;
    return this.tokenId(m, o) === id ? [m, o] : null;
  }

  /** Proxy wallet `w` of the pool: 0x + 40 hex, lower case as the Data API serves it. */
  wallet(w: number): string {
    let a = this.#walletCache.get(w);
    if (a === undefined) {
      a = prefixedHex(this.#seed, S.walletWord, this.#walletPerm.encode(w), 0, 4);
      // Wallets repeat across rows (crowds, boards): a bounded cache saves most of the work.
      if (this.#walletCache.size >= 65_536) this.#walletCache.clear();
      this.#walletCache.set(w, a);
    }
    return a;
  }

  /** Pool index of a wallet address (any case), or -1. */
  walletIndex(address: string): number {
    return indexOfHex(address, 42, this.#walletPerm, (w) => this.wallet(w));
  }

  /** Transaction hash of the match that starts at fill `k` of market `m`. */
  txHash(m: number, k: number): string {
    const end = this.writeTxHash(scratch, 0, m, k);
    return scratch.toString('latin1', 0, end);
  }

  /** Writes `txHash(m, k)` as ASCII into `buf` at `pos` (66 bytes); returns the position after it. */
  writeTxHash(buf: Buffer, pos: number, m: number, k: number): number {
    buf[pos] = 0x30;
    buf[pos + 1] = 0x78;
    let p = pos + 2;
    for (let i = 0; i < 8; i++) p = writeWord(buf, p, hash(this.#seed, S.txWord, m, k, i));
    return p;
  }

  /** Writes `wallet(w)` as ASCII into `buf` at `pos` (42 bytes); returns the position after it. */
  writeWallet(buf: Buffer, pos: number, w: number): number {
    const head = this.#walletPerm.encode(w);
    buf[pos] = 0x30;
    buf[pos + 1] = 0x78;
    let p = writeWord(buf, pos + 2, head);
    for (let i = 0; i < 4; i++) p = writeWord(buf, p, hash(this.#seed, S.walletWord, head, 0, i));
    return p;
  }

  /** 40-hex order-book hash (no 0x), as the CLOB serves it. */
  bookHash(m: number, o: number, epoch: number): string {
    return hexWords(this.#seed, S.bookHashWord, m * 2 + o, epoch, 5);
  }
}

/**
 * Inverts a 0x id (any case) of `length` characters whose first 8 hex digits are an index under
 * `permutation`: the index, or -1 when rebuilding the id from it does not give `id` back (never issued).
 */
function indexOfHex(id: string, length: number, permutation: Feistel, idOf: (i: number) => string): number {
  if (id.length !== length || !id.startsWith('0x')) return -1;
  const head = Number.parseInt(id.slice(2, 10), 16);
  if (!Number.isFinite(head)) return -1;
  const i = permutation.decode(head);
  return idOf(i) === id.toLowerCase() ? i : -1;
}
