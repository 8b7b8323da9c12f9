/**
 * Realistic identifiers that map back to their record: condition ids and question ids
 * (0x + 64 hex), outcome token ids (77 decimal digits), proxy wallets (0x + 40 hex) and
 * transaction hashes. Invertible ids carry a Feistel-permuted index in their first digits and
 * a hash of it in the rest, so decoding checks the whole id and rejects anything we never issued.
 */
import { Feistel, hash, S } from './hash.ts';

const HEX_WORD = (x: number) => x.toString(16).padStart(8, '0');

/** `words` uint32 words from (stream, a, b) as lower-case hex. */
export function hexWords(seed: number, stream: number, a: number, b: number, words: number): string {
  let out = '';
  for (let i = 0; i < words; i++) out += HEX_WORD(hash(seed, stream, a, b, i));
  return out;
}

/** Encodes and decodes the ids of one world. */
export class IdCodec {
  private readonly seed: number;
  private readonly condition: Feistel;
  private readonly token: Feistel;
  private readonly walletPerm: Feistel;

  constructor(seed: number) {
    this.seed = seed;
    this.condition = new Feistel(32, seed, S.feistelCondition);
    this.token = new Feistel(32, seed, S.feistelToken);
    this.walletPerm = new Feistel(32, seed, S.feistelWallet);
  }

  /** Condition id of synthetic market `m`: 0x, 8 hex of the permuted index, 56 hex of hash. */
  conditionId(m: number): string {
    const head = this.condition.encode(m);
    return `0x${HEX_WORD(head)}${hexWords(this.seed, S.hexWord, head, 1, 7)}`;
  }

  /** Market index of a condition id, or -1 if this world never issued it. */
  marketOfCondition(id: string): number {
    if (id.length !== 66 || !id.startsWith('0x')) return -1;
    const head = Number.parseInt(id.slice(2, 10), 16);
    if (!Number.isFinite(head)) return -1;
    const m = this.condition.decode(head);
    return this.conditionId(m) === id.toLowerCase() ? m : -1;
  }

  questionId(m: number): string {
    return `0x${hexWords(this.seed, S.hexWord, m, 2, 8)}`;
  }

  /**
   * Token id of outcome `o` (0 or 1) of synthetic market `m`: one non-zero digit, ten digits of the
   * permuted (2m + o), 66 hash digits: 77 digits, above 2^64 like the real ones.
   */
  tokenId(m: number, o: number): string {
    const head = this.token.encode(m * 2 + o);
    const lead = 1 + (hash(this.seed, S.tokenDigits, head, 0) % 9);
    let tail = '';
    for (let i = 1; tail.length < 66; i++) tail += String(hash(this.seed, S.tokenDigits, head, i) % 1_000_000_000).padStart(9, '0');
    return `${lead}${String(head).padStart(10, '0')}${tail.slice(0, 66)}`;
  }

  /** [market, outcome] of a token id, or null if this world never issued it. */
  tokenOf(id: string): [number, number] | null {
    if (id.length !== 77 || !/^[1-9][0-9]{76}$/.test(id)) return null;
    const head = Number(id.slice(1, 11));
    if (head > 0xffffffff) return null;
    const x = this.token.decode(head);
    const m = Math.floor(x / 2);
    const o = x % 2;
    return this.tokenId(m, o) === id ? [m, o] : null;
  }

  /** Proxy wallet `w` of the pool: 0x + 40 hex, lower case as the Data API serves it. */
  wallet(w: number): string {
    const head = this.walletPerm.encode(w);
    return `0x${HEX_WORD(head)}${hexWords(this.seed, S.walletWord, head, 0, 4)}`;
  }

  /** Pool index of a wallet address (any case), or -1. */
  walletIndex(address: string): number {
    if (address.length !== 42 || !address.startsWith('0x')) return -1;
    const lower = address.toLowerCase();
    const head = Number.parseInt(lower.slice(2, 10), 16);
    if (!Number.isFinite(head)) return -1;
    const w = this.walletPerm.decode(head);
    return this.wallet(w) === lower ? w : -1;
  }

  /** Transaction hash of the match that starts at fill `k` of market `m`. */
  txHash(m: number, k: number): string {
    return `0x${hexWords(this.seed, S.txWord, m, k, 8)}`;
  }

  /** 40-hex order-book hash (no 0x), as the CLOB serves it. */
  bookHash(m: number, o: number, epoch: number): string {
    return hexWords(this.seed, S.bookHashWord, m * 2 + o, epoch, 5);
  }
}
