/** Server-rendered SVG line charts (no script, nothing inline for the CSP to refuse). */
import { html, type SafeHtml } from './html.ts';

export interface Series {
  label: string;
  /** CSS class giving the line its colour. */
  cls: string;
  values: number[];
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

export function lineChart(series: Series[], options: { width?: number; height?: number; xLabels: [string, string, string]; unit: string }): SafeHtml {
  const width = options.width ?? 900;
  const height = options.height ?? 220;
  const pad = { left: 56, right: 12, top: 12, bottom: 28 };
  const n = Math.max(2, ...series.map((s) => s.values.length));
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const x = (i: number) => pad.left + (i / (n - 1)) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  return html`<svg class="chart" viewBox="0 0 ${String(width)} ${String(height)}" role="img" aria-label="${series.map((s) => s.label).join(', ')} per second, last hour">
  ${ticks.map(
    (t) => html`<line class="grid" x1="${String(pad.left)}" x2="${String(width - pad.right)}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}"></line>
    <text class="axis" x="${String(pad.left - 6)}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${formatTick(t)}</text>`,
  )}
  <text class="axis" x="${String(pad.left)}" y="${String(height - 8)}">${options.xLabels[0]}</text>
  <text class="axis" x="${((pad.left + width - pad.right) / 2).toFixed(0)}" y="${String(height - 8)}" text-anchor="middle">${options.xLabels[1]}</text>
  <text class="axis" x="${String(width - pad.right)}" y="${String(height - 8)}" text-anchor="end">${options.xLabels[2]}</text>
  ${series.map((s) => html`<polyline class="line ${s.cls}" points="${s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"></polyline>`)}
</svg>
<ul class="legend">${series.map((s) => html`<li><span class="swatch ${s.cls}"></span>${s.label} <span class="muted">(now ${formatTick(s.values[s.values.length - 1] ?? 0)} ${options.unit})</span></li>`)}</ul>`;
}

export function sparkline(values: number[], width = 120, height = 24): SafeHtml {
  const max = Math.max(1e-9, ...values);
  const n = Math.max(2, values.length);
  const points = values.map((v, i) => `${((i / (n - 1)) * width).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`).join(' ');
  return html`<svg class="spark" viewBox="0 0 ${String(width)} ${String(height)}" aria-hidden="true"><polyline points="${points}"></polyline></svg>`;
}

function formatTick(v: number): string {
  if (v >= 1000) return `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k`;
  if (v >= 10 || v === 0) return v.toFixed(0);
  return v.toFixed(1);
}
