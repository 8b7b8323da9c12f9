/**
 * Charts as inline SVG, drawn here so the report needs no script, no CDN and no network: a line
 * chart, a signed column chart and a horizontal bar chart, each with a labelled value axis.
 */

export interface Point {
  label: string;
  value: number;
}

export interface ChartOptions {
  title: string;
  /** Formats axis ticks and value labels. */
  format: (v: number) => string;
  width?: number;
  height?: number;
}

const POSITIVE = '#2e7d32';
const NEGATIVE = '#c62828';
const LINE = '#1565c0';
const GRID = '#e0e0e0';
const AXIS = '#616161';

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Round tick values covering [min, max] (0 always included). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  if (hi === lo) return [lo, lo + 1];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  if (ticks[ticks.length - 1]! < hi) ticks.push(ticks[ticks.length - 1]! + step);
  return ticks;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function frame(o: ChartOptions, left = 64): Frame {
  return { width: o.width ?? 640, height: o.height ?? 260, left, right: 30, top: 34, bottom: 46 };
}

/**
 * Widths of a character, a little over the average of the report's sans-serif at the chart's
 * font sizes: text is cut to fit by these, so a longer estimate only costs a few characters.
 */
const TITLE_CHAR_PX = 8.2;
const TICK_CHAR_PX = 6.6;

/** The text cut with an ellipsis to fit `px` (SVG text does not wrap or clip by itself). */
function fitText(text: string, px: number, charPx: number): string {
  const max = Math.max(1, Math.floor(px / charPx));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function open(f: Frame, o: ChartOptions): string {
  const left = Math.min(f.left, 12);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${escapeXml(o.title)}" class="chart">` +
    `<text x="${left}" y="20" class="chart-title">${escapeXml(fitText(o.title, f.width - 2 * left, TITLE_CHAR_PX))}<title>${escapeXml(o.title)}</title></text>`
  );
}

function valueAxis(f: Frame, ticks: number[], y: (v: number) => number, o: ChartOptions): string {
  return ticks
    .map(
      (t) =>
        `<line x1="${f.left}" x2="${f.width - f.right}" y1="${y(t)}" y2="${y(t)}" stroke="${t === 0 ? AXIS : GRID}" stroke-width="1"/>` +
        `<text x="${f.left - 6}" y="${y(t) + 4}" text-anchor="end" class="tick">${escapeXml(o.format(t))}</text>`,
    )
    .join('');
}

function categoryLabels(f: Frame, points: Point[], x: (i: number) => number): string {
  // As many labels as fit side by side at the widest one's width, counted back from the last
  // label, so it is always shown and never crowds its neighbour.
  const widest = Math.max(...points.map((p) => p.label.length)) * TICK_CHAR_PX + 12;
  const slot = points.length > 1 ? Math.abs(x(1) - x(0)) : widest;
  const every = Math.max(1, Math.ceil(widest / slot));
  return points
    .map((p, i) => {
      if ((points.length - 1 - i) % every !== 0) return '';
      // A label at either edge is pulled in rather than cut by the chart's border.
      const half = (p.label.length * TICK_CHAR_PX) / 2;
      const [at, anchor] = x(i) + half > f.width - 2 ? [f.width - 2, 'end'] : x(i) - half < 2 ? [2, 'start'] : [x(i), 'middle'];
      return `<text x="${at}" y="${f.height - f.bottom + 16}" text-anchor="${anchor}" class="tick">${escapeXml(p.label)}</text>`;
    })
    .join('');
}

const empty = (f: Frame, o: ChartOptions) => `${open(f, o)}<text x="${f.width / 2}" y="${f.height / 2}" text-anchor="middle" class="tick">no data</text></svg>`;

/** The value axis of a line or column chart: round ticks that take in zero, and the y of a value between them. */
function valueScale(f: Frame, points: Point[]): { ticks: number[]; y: (v: number) => number } {
  const ticks = niceTicks(Math.min(...points.map((p) => p.value)), Math.max(...points.map((p) => p.value)));
  const [lo, hi] = [ticks[0]!, ticks[ticks.length - 1]!];
  return { ticks, y: (v) => +(f.top + ((hi - v) / (hi - lo)) * (f.height - f.top - f.bottom)).toFixed(1) };
}

/** A line over ordered labels (months), with a dot and a title on each point. */
export function lineChart(points: Point[], o: ChartOptions): string {
  const f = frame(o);
  if (points.length === 0) return empty(f, o);
  const { ticks, y } = valueScale(f, points);
  const span = f.width - f.left - f.right;
  const x = (i: number) => +(f.left + (points.length === 1 ? span / 2 : (i / (points.length - 1)) * span)).toFixed(1);
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i)},${y(p.value)}`).join(' ');
  const dots = points.map((p, i) => `<circle cx="${x(i)}" cy="${y(p.value)}" r="3" fill="${LINE}"><title>${escapeXml(`${p.label}: ${o.format(p.value)}`)}</title></circle>`).join('');
  return `${open(f, o)}${valueAxis(f, ticks, y, o)}<path d="${path}" fill="none" stroke="${LINE}" stroke-width="2"/>${dots}${categoryLabels(f, points, x)}</svg>`;
}

/** Columns up from (or down from) zero, green above and red below. */
export function columnChart(points: Point[], o: ChartOptions): string {
  const f = frame(o);
  if (points.length === 0) return empty(f, o);
  const { ticks, y } = valueScale(f, points);
  const slot = (f.width - f.left - f.right) / points.length;
  const x = (i: number) => +(f.left + slot * (i + 0.5)).toFixed(1);
  const bars = points
    .map((p, i) => {
      const top = y(Math.max(p.value, 0));
      const h = Math.max(0.5, Math.abs(y(p.value) - y(0)));
      return `<rect x="${(x(i) - slot * 0.35).toFixed(1)}" y="${top}" width="${(slot * 0.7).toFixed(1)}" height="${h.toFixed(1)}" fill="${p.value < 0 ? NEGATIVE : POSITIVE}"><title>${escapeXml(`${p.label}: ${o.format(p.value)}`)}</title></rect>`;
    })
    .join('');
  return `${open(f, o)}${valueAxis(f, ticks, y, o)}${bars}${categoryLabels(f, points, x)}</svg>`;
}

/** Horizontal bars, one labelled row each, value printed at the bar's end. */
export function barChart(points: Point[], o: ChartOptions): string {
  const row = 22;
  const labelWidth = 170;
  const f: Frame = { width: o.width ?? 640, height: 34 + Math.max(1, points.length) * row + 12, left: labelWidth, right: 90, top: 34, bottom: 12 };
  if (points.length === 0) return empty(f, o);
  const lo = Math.min(0, ...points.map((p) => p.value));
  const hi = Math.max(0, ...points.map((p) => p.value));
  const span = f.width - f.left - f.right;
  const x = (v: number) => +(f.left + ((v - lo) / (hi - lo || 1)) * span).toFixed(1);
  const bars = points
    .map((p, i) => {
      const yTop = f.top + i * row;
      const from = x(Math.min(0, p.value));
      const w = Math.max(0.5, Math.abs(x(p.value) - x(0)));
      const label = fitText(p.label, labelWidth - 14, TICK_CHAR_PX);
      return (
        `<text x="${f.left - 8}" y="${yTop + 15}" text-anchor="end" class="tick">${escapeXml(label)}<title>${escapeXml(p.label)}</title></text>` +
        `<rect x="${from}" y="${yTop + 3}" width="${w.toFixed(1)}" height="${row - 6}" fill="${p.value < 0 ? NEGATIVE : LINE}"/>` +
        `<text x="${(Math.max(x(p.value), x(0)) + 6).toFixed(1)}" y="${yTop + 15}" class="tick">${escapeXml(o.format(p.value))}</text>`
      );
    })
    .join('');
  return `${open(f, o)}<line x1="${x(0)}" x2="${x(0)}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="${AXIS}"/>${bars}</svg>`;
}

export interface ReliabilitySeries {
  name: string;
  /** x: mean forecast probability of a bucket, y: how often the outcome happened; n: forecasts. */
  points: Array<{ x: number; y: number; n: number }>;
}

const SERIES_COLOURS = ['#1565c0', '#ef6c00', '#6a1b9a', '#2e7d32'];

/**
 * A reliability diagram: observed frequency against forecast probability on [0, 1] × [0, 1],
 * with the diagonal a calibrated market would follow; one line per series (horizon).
 */
export function reliabilityChart(series: ReliabilitySeries[], o: ChartOptions): string {
  const f = frame({ ...o, height: o.height ?? 320 });
  if (series.every((s) => s.points.length === 0)) return empty(f, o);
  const side = Math.min(f.width - f.left - f.right - 120, f.height - f.top - f.bottom);
  const x = (v: number) => +(f.left + v * side).toFixed(1);
  const y = (v: number) => +(f.top + (1 - v) * side).toFixed(1);
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const grid = ticks
    .map(
      (t) =>
        `<line x1="${x(0)}" x2="${x(1)}" y1="${y(t)}" y2="${y(t)}" stroke="${GRID}"/><line x1="${x(t)}" x2="${x(t)}" y1="${y(0)}" y2="${y(1)}" stroke="${GRID}"/>` +
        `<text x="${x(0) - 6}" y="${y(t) + 4}" text-anchor="end" class="tick">${o.format(t)}</text>` +
        `<text x="${x(t)}" y="${y(0) + 16}" text-anchor="middle" class="tick">${o.format(t)}</text>`,
    )
    .join('');
  const diagonal = `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="${AXIS}" stroke-dasharray="4 4"/>`;
  const lines = series
    .map((s, i) => {
      const colour = SERIES_COLOURS[i % SERIES_COLOURS.length]!;
      const pts = [...s.points].sort((a, b) => a.x - b.x);
      const path = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.x)},${y(p.y)}`).join(' ');
      const dots = pts
        .map(
          (p) =>
            `<circle cx="${x(p.x)}" cy="${y(p.y)}" r="3.5" fill="${colour}"><title>${escapeXml(`${s.name}: forecast ${p.x.toFixed(3)}, happened ${p.y.toFixed(3)} (${p.n} forecasts)`)}</title></circle>`,
        )
        .join('');
      const legend = `<rect x="${x(1) + 20}" y="${f.top + 8 + i * 20}" width="12" height="12" fill="${colour}"/><text x="${x(1) + 38}" y="${f.top + 18 + i * 20}" class="tick">${escapeXml(s.name)}</text>`;
      return `<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"/>${dots}${legend}`;
    })
    .join('');
  return `${open(f, o)}${grid}${diagonal}${lines}<text x="${x(0.5)}" y="${y(0) + 34}" text-anchor="middle" class="tick">market-implied probability</text></svg>`;
}
