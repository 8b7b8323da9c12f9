/**
 * Parsers for the value encodings Polymarket's APIs mix (see shared/spec/polymarket-api.md §1.3):
 * numeric strings beside numbers, JSON arrays serialised into strings, Unix seconds beside
 * milliseconds beside half a dozen ISO-8601 dialects, and "" where a value is absent. Each parser
 * returns null for an absent value and throws a NormaliseError naming the field for a present
 * value it cannot read: a bad value is never silently turned into null.
 */
import { NormaliseError } from '../../runtime/errors.ts';

/** A decoded raw record: the fields its raw schema names, plus `extra` (field name to JSON text) for the rest. */
export type RawRecord = Record<string, unknown> & { extra?: Record<string, string> | null };

/**
 * A field of a raw record, wherever the raw schema put it: a named field, or the JSON text in
 * `extra` for fields the schema does not name. Undefined when the API omitted it.
 */
export function field(raw: RawRecord, name: string): unknown {
  const direct = raw[name];
  if (direct !== undefined && direct !== null) return direct;
  const text = raw.extra?.[name];
  if (text === undefined) return direct ?? undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new NormaliseError(`extra field is not valid JSON text`, { field: name, value: text });
  }
}

/** No value: omitted, null, or blank text (the WebSocket sends "" where a value is absent). */
const absent = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** Text as sent; null when absent. Numbers and booleans are rendered as JSON would render them. */
export function text(value: unknown, name: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  throw new NormaliseError(`expected text`, { field: name, value });
}

/** Text that must be present and non-empty (identities: ids, hashes, wallets). */
export function requiredText(value: unknown, name: string): string {
  const s = text(value, name);
  if (s === null || s === '') throw new NormaliseError(`required field is missing`, { field: name, value });
  return s;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A number from a JSON number or a decimal string ("0.535", "9e-6", " 12 "). "" and null are
 * absent. Non-finite values and anything else are errors.
 */
export function decimal(value: unknown, name: string): number | null {
  if (absent(value)) return null;
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const s = value.trim();
    if (!DECIMAL.test(s)) throw new NormaliseError(`expected a decimal number`, { field: name, value });
    n = Number(s);
  } else throw new NormaliseError(`expected a decimal number`, { field: name, value });
  if (!Number.isFinite(n)) throw new NormaliseError(`number is not finite`, { field: name, value });
  return n;
}

export function requiredDecimal(value: unknown, name: string): number {
  const n = decimal(value, name);
  if (n === null) throw new NormaliseError(`required number is missing`, { field: name, value });
  return n;
}

/** An integer from a JSON number or an integer string ("1", "42"). */
export function integer(value: unknown, name: string): number | null {
  const n = decimal(value, name);
  if (n === null) return null;
  if (!Number.isSafeInteger(n)) throw new NormaliseError(`expected an integer`, { field: name, value });
  return n;
}

/** A 32-bit integer (Avro int). */
export function int32(value: unknown, name: string): number | null {
  const n = integer(value, name);
  if (n !== null && (n < -2_147_483_648 || n > 2_147_483_647)) {
    throw new NormaliseError(`integer does not fit in 32 bits`, { field: name, value });
  }
  return n;
}

/** A boolean from true/false or the strings "true"/"false" (any case). */
export function bool(value: unknown, name: string): boolean | null {
  if (absent(value)) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
  }
  throw new NormaliseError(`expected a boolean`, { field: name, value });
}

/** One of a closed set of symbols, compared case-insensitively; returned in the set's spelling. */
export function symbol<S extends string>(value: unknown, symbols: readonly S[], name: string): S | null {
  if (absent(value)) return null;
  if (typeof value === 'string') {
    const upper = value.trim().toUpperCase();
    for (const s of symbols) if (s.toUpperCase() === upper) return s;
  }
  throw new NormaliseError(`expected one of ${symbols.join(', ')}`, { field: name, value });
}

/**
 * A JSON array that may arrive as a real array or serialised into a string
 * (`"[\"Yes\", \"No\"]"`). Absent, "" and "[]" give an empty array.
 */
export function jsonArray(value: unknown, name: string): unknown[] {
  if (absent(value)) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new NormaliseError(`expected a JSON array in a string`, { field: name, value });
    }
    if (parsed === null) return [];
    if (Array.isArray(parsed)) return parsed;
  }
  throw new NormaliseError(`expected a JSON array`, { field: name, value });
}

/** A JSON array of text items (outcomes, token ids); numbers inside are rendered as text. */
export function textArray(value: unknown, name: string): string[] {
  return jsonArray(value, name).map((item, i) => requiredTextItem(item, `${name}[${i}]`));
}

function requiredTextItem(item: unknown, name: string): string {
  const s = text(item, name);
  if (s === null) throw new NormaliseError(`array item is null`, { field: name, value: item });
  return s;
}

/** A JSON array of numbers or decimal strings (outcomePrices). */
export function decimalArray(value: unknown, name: string): number[] {
  return jsonArray(value, name).map((item, i) => requiredDecimal(item, `${name}[${i}]`));
}

// Dates as the APIs write them: "2020-10-02T16:10:01.467Z", "2025-09-22T21:37:46.914643Z",
// "2020-11-02 16:31:01+00", "2020-11-04", "...+00:00:00", "...-05:00", or no zone at all (UTC).
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(?:(Z|z|UTC)|([+-])(\d{2})(?::?(\d{2})(?::?(\d{2}))?)?)?$/;

/** Timestamps below this many units are seconds, at or above it milliseconds (1e11 s is the year 5138; 1e11 ms is 1973-03-03). */
const SECONDS_BELOW = 1e11;

/** Latest instant Avro timestamp-millis and JS Date both hold comfortably: year 9999. */
const MAX_MS = 253_402_300_799_999;
const MIN_MS = -62_135_596_800_000; // 0001-01-01

export type TimeUnit = 's' | 'ms' | 'auto';

/**
 * UTC epoch milliseconds from any timestamp the APIs send: a number or digit string in seconds or
 * milliseconds (`unit` says which; `auto` decides by magnitude), or an ISO-8601 date in any of
 * the dialects above (fractions beyond milliseconds are truncated, offsets applied). Absent or ""
 * gives null.
 */
export function timestamp(value: unknown, name: string, unit: TimeUnit = 'auto'): number | null {
  if (absent(value)) return null;
  let ms: number;
  if (typeof value === 'number') ms = fromEpoch(value, unit, name, value);
  else if (typeof value === 'string') {
    const s = value.trim();
    if (/^[+-]?\d+(?:\.\d+)?$/.test(s)) ms = fromEpoch(Number(s), unit, name, value);
    else ms = fromIso(s, name, value);
  } else throw new NormaliseError(`expected a timestamp`, { field: name, value });
  if (!(ms >= MIN_MS && ms <= MAX_MS)) throw new NormaliseError(`timestamp out of range`, { field: name, value });
  return ms;
}

export function requiredTimestamp(value: unknown, name: string, unit: TimeUnit = 'auto'): number {
  const ms = timestamp(value, name, unit);
  if (ms === null) throw new NormaliseError(`required timestamp is missing`, { field: name, value });
  return ms;
}

function fromEpoch(n: number, unit: TimeUnit, name: string, value: unknown): number {
  if (!Number.isFinite(n)) throw new NormaliseError(`timestamp is not finite`, { field: name, value });
  const seconds = unit === 's' || (unit === 'auto' && Math.abs(n) < SECONDS_BELOW);
  return Math.floor(seconds ? n * 1000 : n);
}

function fromIso(s: string, name: string, value: unknown): number {
  const m = ISO.exec(s);
  if (!m) throw new NormaliseError(`unrecognised timestamp format`, { field: name, value });
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', , sign, oh = '0', om = '0', os = '0'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(sec);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw new NormaliseError(`timestamp has an impossible date or time`, { field: name, value });
  }
  const millis = Number(frac.slice(0, 3).padEnd(3, '0'));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0-99 to 1900-1999; set the year exactly.
  const exact = year < 100 ? new Date(utc).setUTCFullYear(year) : utc;
  const offsetMs = sign ? (sign === '-' ? -1 : 1) * ((Number(oh) * 60 + Number(om)) * 60 + Number(os)) * 1000 : 0;
  return exact - offsetMs;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** The UTC calendar date (YYYY-MM-DD) of epoch milliseconds: Bronze's `dt`. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
