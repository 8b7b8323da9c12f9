/** DuckDB's JS values as plain comparable values: timestamps to epoch ms, BIGINT to number. */
export function plain(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** A JSON-comparable copy: -0 as 0, infinities as text. */
export function comparable(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x) => (Object.is(x, -0) ? 0 : x === Infinity ? 'Inf' : x === -Infinity ? '-Inf' : x)));
}
