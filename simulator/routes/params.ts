/**
 * Query parameter parsing shared by the routes. Each parser returns the value, `undefined` when
 * the parameter is absent, or a `Bad` naming what is wrong (the route turns it into its API's
 * error body).
 */

export class Bad {
  readonly message: string;
  readonly parameter: string;
  constructor(parameter: string, message: string) {
    this.parameter = parameter;
    this.message = message;
  }
}

export function intParam(q: URLSearchParams, name: string, min = 0): number | undefined | Bad {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw.trim())) return new Bad(name, `invalid ${name}: must be an integer`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) return new Bad(name, `invalid ${name}: must be >= ${min}`);
  return n;
}

export function numParam(q: URLSearchParams, name: string): number | undefined | Bad {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) return new Bad(name, `invalid ${name}: must be a number`);
  return n;
}

export function boolParam(q: URLSearchParams, name: string): boolean | undefined | Bad {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  const s = raw.toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  return new Bad(name, `invalid ${name}: must be true or false`);
}

/** ISO date-time (or date) to Unix seconds. */
export function dateParam(q: URLSearchParams, name: string): number | undefined | Bad {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms)) return new Bad(name, `invalid ${name}: must be a date-time`);
  return Math.floor(ms / 1000);
}

/** Values of a repeated key, also accepting comma-separated lists inside each value. */
export function listParam(q: URLSearchParams, name: string): string[] {
  return q
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** The first Bad among parsed values, if any. */
export function firstBad(...values: unknown[]): Bad | undefined {
  return values.find((v): v is Bad => v instanceof Bad);
}

export function base64Encode(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export function base64Decode(text: string): string | null {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return null;
  return Buffer.from(text, 'base64').toString('utf8');
}
