/**
 * Value encodings the real APIs mix (spec 1.3): ISO date-times with a variable number of
 * fractional digits, Postgres-style `YYYY-MM-DD HH:MM:SS+00`, bare dates, and JSON text.
 */
import { hash } from '../core/hash.ts';

export const q = JSON.stringify as (s: string) => string;

/** `2026-10-15T02:00:00Z` */
export function isoZ(t: number): string {
  return `${new Date(t * 1000).toISOString().slice(0, 19)}Z`;
}

/** `2026-10-01T13:00:18.241978Z`: 1 to 6 fractional digits, chosen by a hash of `salt`. */
export function isoFrac(t: number, salt: number): string {
  const h = hash(salt, 5, t);
  const digits = 1 + (h % 6);
  const frac = String(h % 1_000_000).padStart(6, '0').slice(0, digits);
  return `${new Date(t * 1000).toISOString().slice(0, 19)}.${frac}Z`;
}

/** `2020-11-02 16:31:01+00` */
export function pgTime(t: number): string {
  return `${new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ')}+00`;
}

/** `2020-11-04` */
export function dateOnly(t: number): string {
  return new Date(t * 1000).toISOString().slice(0, 10);
}

/** A JSON array serialised into a string, Gamma style: `"[\"Yes\", \"No\"]"`. */
export function stringArray(items: readonly string[]): string {
  return q(`[${items.map((s) => q(s)).join(', ')}]`);
}

/** Rounds to n decimals and prints the shortest form. */
export function dec(x: number, n: number): string {
  const f = 10 ** n;
  return String(Math.round(x * f) / f);
}
