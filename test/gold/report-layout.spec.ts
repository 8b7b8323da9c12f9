/**
 * The report as a reader sees it at 1280 px in headless Chromium: no chart title or label runs
 * past its chart, no two axis labels overlap, and the page does not scroll sideways. Checked on
 * the report of the hand-made Silver, and on charts of long series with long titles (a year of
 * days, market questions as titles), which is where text used to spill and pile up.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildGold, writeGoldReport } from '../../gold/index.ts';
import { barChart, columnChart, lineChart, type Point } from '../../gold/report/svg.ts';
import { chromiumPath, describeNeeding } from '../prerequisite.ts';
import { writeHandSilver } from './hand-silver.ts';

const { chromium: CHROMIUM, missing: noChromium } = chromiumPath();

interface Problem {
  chart: string;
  text: string;
  why: string;
}

/**
 * Runs in the page (plain JavaScript: the project is typed without the DOM): every chart's text
 * inside its viewBox, tick labels on one row apart, and no sideways scroll.
 */
const LAYOUT_PROBLEMS = `(() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const chart = svg.getAttribute('aria-label') || '?';
    const view = svg.viewBox.baseVal;
    const texts = Array.from(svg.querySelectorAll('text'));
    for (const t of texts) {
      const b = t.getBBox();
      const shown = Array.from(t.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('');
      if (b.x < view.x - 0.5 || b.x + b.width > view.x + view.width + 0.5) out.push({ chart, text: shown, why: 'runs past the chart' });
    }
    const rows = new Map();
    for (const t of texts.filter((e) => e.classList.contains('tick'))) {
      const b = t.getBBox();
      const key = b.y.toFixed(0);
      if (!rows.has(key)) rows.set(key, []);
      rows.get(key).push({ x: b.x, width: b.width });
    }
    for (const row of rows.values()) {
      row.sort((a, b) => a.x - b.x);
      for (let i = 1; i < row.length; i++) {
        if (row[i].x < row[i - 1].x + row[i - 1].width) out.push({ chart, text: 'label ' + i, why: 'overlaps the label before it' });
      }
    }
  }
  const wide = document.documentElement.scrollWidth;
  if (wide > window.innerWidth) out.push({ chart: 'page', text: '', why: 'page is ' + wide + ' px wide' });
  return out;
})()`;

describeNeeding('gold report layout at 1280 px (headless Chromium)', noChromium, function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-gold-layout-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function problemsOf(file: string): Promise<Problem[]> {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`file://${file}`);
      return (await page.evaluate(LAYOUT_PROBLEMS)) as Problem[];
    } finally {
      await browser.close();
    }
  }

  it('the report: nothing clipped, nothing overlapping, no sideways scroll', async () => {
    const silver = join(dir, 'silver.duckdb');
    await writeHandSilver(silver);
    await buildGold({ silverPath: silver, goldPath: join(dir, 'gold', 'gold.duckdb'), parameters: { topUsers: 2 } });
    const r = await writeGoldReport({ goldPath: join(dir, 'gold', 'gold.duckdb'), outDir: join(dir, 'gold') });
    expect(await problemsOf(r.html)).to.deep.equal([]);
  });

  it('charts of a year of days with long titles: titles cut to fit, labels thinned to fit', async () => {
    const day = (i: number) => new Date(Date.UTC(2025, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    const year: Point[] = Array.from({ length: 365 }, (_, i) => ({ label: day(i), value: Math.sin(i / 9) * 1_000 }));
    const long = 'Will the winner of the 2026 championship final be decided in extra time or on penalties? outcome-0 price by day';
    const bars: Point[] = Array.from({ length: 12 }, (_, i) => ({ label: `0x${'ab'.repeat(20)}${i}`, value: i * 1_000 }));
    const format = (v: number) => `$${Math.round(v)}`;
    // The report's fonts and chart styles, two charts side by side as the report lays them out.
    const css = readFileSync(new URL('../../gold/report/report.ts', import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('.chart') || line.startsWith('body{'))
      .join('');
    const page = `<!doctype html><html><head><meta charset="utf-8"><style>div{display:grid;grid-template-columns:1fr 1fr;gap:16px;padding:16px}svg{width:100%;height:auto}${css}</style></head><body><div>${[
      lineChart(year, { title: long, format }),
      columnChart(year, { title: long, format }),
      barChart(bars, { title: long, format }),
      lineChart(year.slice(0, 40), { title: 'Forty days', format }),
    ].join('')}</div></body></html>`;
    const file = join(dir, 'charts.html');
    writeFileSync(file, page);
    expect(await problemsOf(file)).to.deep.equal([]);
  });
});
