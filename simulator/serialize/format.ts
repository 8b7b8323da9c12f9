/**
 * Value encodings the real APIs mix (spec 1.3): ISO date-times with a variable number of
 * fractional digits, Postgres-style `YYYY-MM-DD HH:MM:SS+00`, bare dates, and JSON text.
 */
import { hash } from '../core/hash.ts';

export const q = JSON.stringify as (s: string) => string;

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
const dayCache = new Map<number, string>();

/** `YYYY-MM-DD` of a day number since the epoch (civil-from-days, cached: dates repeat a lot). */
function ymd(days: number): string {
  let s = dayCache.get(days);
  if (s === undefined) {
    const z = days + 719_468;
    const era = Math.floor(z / 146_097);
    const doe = z - era * 146_097;
    const yoe = Math.floor((doe - Math.floor(doe / 1_460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const m = mp < 10 ? mp + 3 : mp - 9;
    const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    s = `${y}-${pad2(m)}-${pad2(d)}`;
    if (dayCache.size > 100_000) dayCache.clear();
    dayCache.set(days, s);
  }
  return s;
}

/** `YYYY-MM-DD` and `HH:MM:SS` of Unix seconds. */
function parts(t: number): [string, string] {
  const whole = Math.floor(t);
  const days = Math.floor(whole / 86_400);
  const r = whole - days * 86_400;
  return [ymd(days), `${pad2(Math.floor(r / 3_600))}:${pad2(Math.floor((r % 3_600) / 60))}:${pad2(r % 60)}`];
}

/** `2026-10-15T02:00:00Z` */
export function isoZ(t: number): string {
  const [d, h] = parts(t);
  return `${d}T${h}Z`;
}

/** `2026-10-01T13:00:18.241978Z`: 1 to 6 fractional digits, chosen by a hash of `salt`. */
export function isoFrac(t: number, salt: number): string {
  const hv = hash(salt, 5, t);
  const digits = 1 + (hv % 6);
  const frac = String(hv % 1_000_000)
    .padStart(6, '0')
    .slice(0, digits);
  const [d, h] = parts(t);
  return `${d}T${h}.${frac}Z`;
}

/** `2020-11-02 16:31:01+00` */
export function pgTime(t: number): string {
  const [d, h] = parts(t);
  return `${d} ${h}+00`;
}

/** `2020-11-04` */
export function dateOnly(t: number): string {
  return ymd(Math.floor(Math.floor(t) / 86_400));
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
