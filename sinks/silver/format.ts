/** Renders query rows for a terminal (aligned table), for programs (JSON), or for spreadsheets (CSV). */
import type { JsonValue, QueryColumn } from './read-only-query.ts';

export type RowFormat = 'table' | 'json' | 'csv';

const MAX_CELL = 60;

const cellText = (v: JsonValue): string => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

export function formatRows(columns: QueryColumn[], rows: JsonValue[][], format: RowFormat): string {
  if (format === 'json') {
    return `${JSON.stringify(
      rows.map((r) => Object.fromEntries(columns.map((c, i) => [c.name, r[i] ?? null]))),
      null,
      2,
    )}\n`;
  }
  if (format === 'csv') {
    const line = (cells: string[]) => cells.map(csvCell).join(',');
    return `${[line(columns.map((c) => c.name)), ...rows.map((r) => line(r.map(cellText)))].join('\r\n')}\r\n`;
  }
  const text = rows.map((r) => r.map((v) => clip(v === null ? 'NULL' : cellText(v))));
  const widths = columns.map((c, i) => Math.max(c.name.length, ...text.map((r) => r[i]!.length)));
  const right = columns.map((c) => NUMERIC.test(c.type));
  const render = (cells: string[]) =>
    cells
      .map((s, i) => (right[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!)))
      .join(' │ ')
      .trimEnd();
  return `${[render(columns.map((c) => c.name)), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...text.map(render)].join('\n')}\n`;
}

/** RFC 4180: quote cells holding a comma, quote, CR or LF; double the quotes. */
export function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function clip(s: string): string {
  const oneLine = s.replace(/\s+/g, ' ');
  return oneLine.length > MAX_CELL ? `${oneLine.slice(0, MAX_CELL - 1)}…` : oneLine;
}
