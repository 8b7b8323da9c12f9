/**
 * Faults on demand. Each rule has a kind, a rate in [0, 1] and optional route selectors; whether
 * it fires on a request is a pure function of (fault seed, rule, request URL, how many times that
 * URL was asked before), so a run that sends the same requests gets the same faults, whatever the
 * interleaving of different URLs, and a retried request gets a fresh draw.
 *
 * Kinds (HTTP): `error` (5xx with the API's error body), `reset` (socket destroyed, no response),
 * `hang` (no response until `delayMs`, then the socket is destroyed), `slow` (the body trickles
 * out over `delayMs`), `malformed` (invalid JSON, status 200), `truncated` (JSON cut short, status
 * 200, framing intact), `duplicate` (a page repeats `rows` rows of the page before it),
 * `shift` (the newest `rows` fills of a market arrive while it is being paged: pages after the
 * first shift by that many rows), `unknown-field` (every record gains a key nobody knows),
 * `missing-field` (an optional key is dropped from every record), `rate-limit` (429,
 * `error code: 1015`, Retry-After). WebSocket: `ws-drop` (the connection is cut), `ws-silent`
 * (it stays open and answers PING but sends nothing more); their rate is per connection per second.
 * An `unknown-field` rule whose routes include "ws" also reaches the WebSocket (new key on every
 * event, and events of an unknown `event_type`).
 */
import { z } from 'zod';
import { ConfigError } from '../../runtime/errors.ts';
import { hash, S, unit } from '../core/hash.ts';

export const FAULT_KINDS = ['error', 'reset', 'hang', 'slow', 'malformed', 'truncated', 'duplicate', 'shift', 'unknown-field', 'missing-field', 'rate-limit', 'ws-drop', 'ws-silent'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const faultRuleSchema = z
  .object({
    kind: z.enum(FAULT_KINDS),
    rate: z.coerce.number().min(0).max(1),
    /** Route ids ("data:/trades", "gamma:/markets/{id}"), API wildcards ("clob:*"), or "*" (default). */
    routes: z.array(z.string().min(1)).optional(),
    /** `error`: the status (default: one of 500, 502, 503, 504). */
    status: z.coerce.number().int().min(400).max(599).optional(),
    /** `hang`: how long before the socket is destroyed; `slow`: how long the body takes. */
    delayMs: z.coerce.number().int().min(0).max(600_000).optional(),
    /** `duplicate`, `shift`: how many rows. */
    rows: z.coerce.number().int().min(1).max(10_000).optional(),
    /** `missing-field`, `unknown-field`: the key. */
    field: z.string().min(1).optional(),
    /** Fire at most this many times (then the rule rests). */
    max: z.coerce.number().int().min(0).optional(),
  })
  .strict();

export type FaultRule = z.infer<typeof faultRuleSchema>;

export const faultConfigSchema = z.object({ seed: z.coerce.number().int().min(0).max(0xffffffff).default(1), rules: z.array(faultRuleSchema).default([]) }).strict();
export type FaultConfig = z.infer<typeof faultConfigSchema>;

/** Parses `kind:rate[:key=value,...]` as given to `--fault` (e.g. `error:0.1`, `slow:0.05:delayMs=3000`). */
export function parseFaultFlag(text: string): FaultRule {
  const [kind, rate, ...rest] = text.split(':');
  const extra: Record<string, unknown> = {};
  for (const kv of rest.join(':').split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    if (!k || v === undefined) throw new ConfigError(`fault option "${kv}" is not key=value`, { flag: '--fault', value: text });
    extra[k] = k === 'routes' ? v.split('|') : v;
  }
  return faultRuleSchema.parse({ kind, rate, ...extra });
}

/** Default key dropped by `missing-field`, per API. */
export const DEFAULT_MISSING_FIELD: Record<string, string> = {
  'data:/trades': 'pseudonym',
  'data:/v2/trades': 'pseudonym',
  'data:/v1/leaderboard': 'xUsername',
  gamma: 'description',
  clob: 'icon',
  data: 'profileImage',
};

function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface FiredFault {
  kind: FaultKind;
  rule: FaultRule;
  /** A draw for the fault's own choices (status, cut point). */
  draw: number;
}

function matches(rule: FaultRule, routeId: string): boolean {
  const routes = rule.routes ?? ['*'];
  const api = routeId.slice(0, routeId.indexOf(':'));
  return routes.some((r) => r === '*' || r === routeId || r === `${api}:*` || r === api);
}

export class FaultInjector {
  #config: FaultConfig;
  readonly #attempts = new Uint16Array(1 << 20);
  #fired = new Map<FaultRule, number>();
  readonly counts = new Map<FaultKind, number>();

  constructor(config: FaultConfig = { seed: 1, rules: [] }) {
    this.#config = config;
  }

  get current(): FaultConfig {
    return this.#config;
  }

  set(config: FaultConfig): void {
    this.#config = config;
    this.#attempts.fill(0);
    this.#fired = new Map();
  }

  get active(): boolean {
    return this.#config.rules.length > 0;
  }

  /** Decides every rule for one request; returns those that fire. */
  decide(routeId: string, url: string): FiredFault[] {
    if (this.#config.rules.length === 0) return [];
    const key = fnv(url);
    const slot = key & (this.#attempts.length - 1);
    const attempt = this.#attempts[slot]!;
    this.#attempts[slot] = attempt + 1;
    const out: FiredFault[] = [];
    this.#config.rules.forEach((rule, i) => {
      if (rule.kind.startsWith('ws-') || rule.kind === 'shift' || !matches(rule, routeId)) return;
      if (rule.max !== undefined && (this.#fired.get(rule) ?? 0) >= rule.max) return;
      if (unit(this.#config.seed, S.fault, key, attempt, i) >= rule.rate) return;
      this.#fired.set(rule, (this.#fired.get(rule) ?? 0) + 1);
      this.counts.set(rule.kind, (this.counts.get(rule.kind) ?? 0) + 1);
      out.push({ kind: rule.kind, rule, draw: hash(this.#config.seed, S.fault, key, attempt, i + 1000) });
    });
    return out;
  }

  /** Per-connection, per-tick WebSocket decision for `ws-drop` / `ws-silent`. */
  decideWs(kind: 'ws-drop' | 'ws-silent', connection: number, tick: number, tickSeconds: number): boolean {
    for (const [i, rule] of this.#config.rules.entries()) {
      if (rule.kind !== kind) continue;
      if (rule.max !== undefined && (this.#fired.get(rule) ?? 0) >= rule.max) continue;
      const p = 1 - (1 - rule.rate) ** tickSeconds;
      if (unit(this.#config.seed, S.fault, connection, tick, 5000 + i) < p) {
        this.#fired.set(rule, (this.#fired.get(rule) ?? 0) + 1);
        this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
        return true;
      }
    }
    return false;
  }

  /**
   * The `unknown-field` rule that applies to the WebSocket (its routes name "ws"), if any: every
   * event then carries the unknown key, and each tick sends an event of an unknown type with the
   * rule's rate (per connection per second).
   */
  wsUnknownField(): FaultRule | null {
    return this.#config.rules.find((r) => r.kind === 'unknown-field' && (r.routes ?? []).includes('ws')) ?? null;
  }

  /** Counts a fault that a component applied on its own terms. */
  note(kind: FaultKind): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  /** Counts a `shift` that happened (the hidden rows of a market arrived). */
  noteShift(): void {
    this.counts.set('shift', (this.counts.get('shift') ?? 0) + 1);
  }

  /** Does a `shift` rule select market m (decided once per market, by the seed)? */
  shiftRows(m: number, routeId: string): number {
    for (const [i, rule] of this.#config.rules.entries()) {
      if (rule.kind !== 'shift' || !matches(rule, routeId)) continue;
      if (unit(this.#config.seed, S.fault, m, 7, 9000 + i) < rule.rate) return rule.rows ?? 5;
    }
    return 0;
  }
}

/** Adds an unknown key to every record (after its opening brace). */
export function addUnknownField(record: string, field: string): string {
  if (!record.startsWith('{')) return record;
  return `{${JSON.stringify(field)}:{"added":"by the simulator","version":2},${record.slice(1)}`;
}

/** Removes a top-level scalar key from a record's text (string, number, boolean or null value). */
export function dropField(record: string, field: string): string {
  const key = JSON.stringify(field);
  const re = new RegExp(`,?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(?:"(?:[^"\\\\]|\\\\.)*"|-?[0-9.eE+-]+|true|false|null)`);
  const out = record.replace(re, '');
  return out.startsWith('{,') ? `{${out.slice(2)}` : out;
}
