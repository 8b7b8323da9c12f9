import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { buildGold, GOLD_TABLES, writeGoldReport } from '../../gold/index.ts';
import { escapeXml } from '../../gold/report/svg.ts';
import { chromiumPath, itNeeding } from '../prerequisite.ts';
import { writeHandSilver } from './hand-silver.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { chromium: CHROMIUM, missing: noChromium } = chromiumPath();

describe('gold report', function () {
  this.timeout(120_000);
  let dir: string;
  let html: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-gold-report-'));
    const silver = join(dir, 'silver.duckdb');
    await writeHandSilver(silver);
    // Hostile text from an API must come out as text.
    const instance = await DuckDBInstance.create(silver);
    const conn = await instance.connect();
    await conn.run(`UPDATE MarketDim SET question = '<script>alert(1)</script> & "M1"' WHERE condition_id = '0xm1'`);
    conn.closeSync();
    instance.closeSync();
    await buildGold({ silverPath: silver, goldPath: join(dir, 'gold', 'gold.duckdb'), parameters: { topUsers: 2 } });
    const r = await writeGoldReport({ goldPath: join(dir, 'gold', 'gold.duckdb'), outDir: join(dir, 'gold') });
    html = readFileSync(r.html, 'utf8');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('opens offline: no script, no stylesheet or image fetched from anywhere, charts inline (links to Polymarket are links, not fetches)', () => {
    expect(html).to.not.match(/<script/i);
    expect(html).to.not.match(/\bsrc="(https?:)?\/\//i);
    expect(html).to.not.match(/<link\b/i);
    expect(html).to.not.match(/@import|url\(/i);
    for (const [, url] of html.matchAll(/href="([^"]+)"/g)) expect(url).to.match(/^(csv\/[a-z_]+\.csv|https:\/\/polymarket\.com\/(profile|market)\/[^"]+)$/);
    // 6 backtest and market charts, the drawdown, the reliability diagram, price and volume of the top 3 markets.
    expect(html.match(/<svg /g)).to.have.length(14);
    for (const title of [
      'cumulative PnL',
      'PnL per month',
      'monthly ROI',
      'monthly win rate',
      'Top traders',
      'Volume by market category',
      'drawdown from the running peak',
      'Calibration',
      'outcome-0 price by day',
      'volume by day',
    ]) {
      expect(html).to.include(title);
    }
    expect(html).to.include('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;M1&quot;');
  });

  it('shows the hand-computed results (PnL 122, ROI 118.45%, W1 first)', () => {
    expect(html).to.include('$122');
    expect(html).to.include('118.5%');
    expect(html).to.include('<a href="https://polymarket.com/profile/0xw1"><code>0xw1</code></a>');
  });

  it('states its definitions, the data range, the calibration and the drawdown', () => {
    for (const line of ['each match counted once, by its taker row', "Gamma's own market volume can differ", 'at average cost', 'counted apart and never valued', 'Brier score']) {
      expect(html).to.include(escapeXml(line));
    }
    expect(html).to.include('Trades from 2024-01-10 to 2024-03-24');
    expect(html).to.include('Worst drawdown');
    expect(html).to.include('<td>0.0163</td>'); // Brier, 1 day before, all categories
  });

  it('writes a CSV per Gold table with every row, linked from the page', async () => {
    const gold = await DuckDBInstance.create(join(dir, 'gold', 'gold.duckdb'), { access_mode: 'READ_ONLY' });
    const conn = await gold.connect();
    try {
      for (const t of GOLD_TABLES) {
        const file = join(dir, 'gold', 'csv', `${t.name}.csv`);
        expect(existsSync(file), t.name).to.equal(true);
        expect(html).to.include(`href="csv/${t.name}.csv"`);
        const back = await conn.runAndReadAll(`SELECT (SELECT count(*) FROM read_csv('${file}', header = true)) = (SELECT count(*) FROM ${t.name})`);
        expect(back.getRows()[0]![0], t.name).to.equal(true);
      }
    } finally {
      conn.closeSync();
      gold.closeSync();
    }
    // Sorted as the report lists them: the copied wallets by PnL, the markets by volume.
    const column = async (table: string, name: string): Promise<number[]> => {
      const memory = await DuckDBInstance.create(':memory:');
      const c = await memory.connect();
      try {
        const file = join(dir, 'gold', 'csv', `${table}.csv`);
        return (await c.runAndReadAll(`SELECT ${name}::DOUBLE FROM read_csv('${file}', header = true)`)).getRows().map((r) => Number(r[0]));
      } finally {
        c.closeSync();
        memory.closeSync();
      }
    };
    for (const [table, name] of [
      ['bt_user_summary', 'pnl'],
      ['gold_market_summary', 'volume'],
    ] as const) {
      const values = await column(table, name);
      expect(values.length, table).to.be.greaterThan(1);
      expect(values, table).to.deep.equal([...values].sort((a, b) => b - a));
    }
    const monthly = readFileSync(join(dir, 'gold', 'csv', 'bt_monthly.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(monthly[0]).to.match(/^month,trades,volume,realisations,wins,pnl,cumulative_pnl/);
    expect(monthly).to.have.length(5);
  });

  itNeeding('renders in a headless browser with every chart drawn', noChromium, async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${join(dir, 'gold', 'report.html')}`);
      const sizes = await page.$$eval('svg.chart', (svgs) => svgs.map((s) => s.getBoundingClientRect().height));
      expect(sizes).to.have.length(14);
      for (const h of sizes) expect(h).to.be.greaterThan(100);
      expect(requests.filter((u) => !u.startsWith('file://'))).to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });

  it('builds from the snapshot while another process holds the Silver file', async () => {
    const silver = join(dir, 'silver.duckdb');
    copyFileSync(silver, join(dir, 'silver.snapshot.duckdb'));
    const holder: ChildProcess = spawn(
      process.execPath,
      ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; await DuckDBInstance.create(${JSON.stringify(silver)}); console.log('held'); setInterval(() => {}, 1000);`],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
      const r = await buildGold({ silverPath: silver, goldPath: join(dir, 'gold2', 'gold.duckdb'), parameters: { topUsers: 2 } });
      expect(r.source.kind).to.equal('snapshot');
      expect(r.tables.find((t) => t.name === 'bt_trades')!.rows).to.equal(12);
    } finally {
      const gone = new Promise((resolve) => holder.once('exit', resolve));
      holder.kill('SIGTERM');
      await gone;
    }
  });
});
