/**
 * `pma gold report`: one HTML page that opens offline (inline CSS and SVG, no script, nothing
 * fetched) with the copy-trading results (cumulative and monthly PnL, monthly ROI and win rate),
 * the top traders, volume by category and the main tables; and a CSV file per Gold table.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { lit } from '../tables/types.ts';
import { barChart, columnChart, escapeXml, lineChart, type Point } from './svg.ts';

export interface GoldReportOptions {
  goldPath: string;
  /** Where report.html and csv/ go. */
  outDir: string;
}

export interface GoldReportResult {
  html: string;
  csvDir: string;
  csvFiles: string[];
}

type Row = Record<string, unknown>;

const num = (v: unknown) => (v === null || v === undefined ? Number.NaN : Number(v));
const money = (v: number) => {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  const s = a >= 1e9 ? `${(a / 1e9).toFixed(2)}B` : a >= 1e6 ? `${(a / 1e6).toFixed(2)}M` : a >= 1e4 ? `${(a / 1e3).toFixed(1)}k` : a.toFixed(a >= 100 ? 0 : 2);
  return `${v < 0 ? '−' : ''}$${s}`;
};
const count = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');
const pct = (v: number) => (Number.isFinite(v) ? `${v < 0 ? '−' : ''}${Math.abs(v).toFixed(1)}%` : '–');
const shortWallet = (w: string) => (w.length > 14 ? `${w.slice(0, 8)}…${w.slice(-4)}` : w);

export async function writeGoldReport(options: GoldReportOptions): Promise<GoldReportResult> {
  const instance = await DuckDBInstance.create(options.goldPath, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  const rows = async (sql: string): Promise<Row[]> => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Row[];
  try {
    const csvDir = join(options.outDir, 'csv');
    rmSync(csvDir, { recursive: true, force: true });
    mkdirSync(csvDir, { recursive: true });
    const tables = await rows('SELECT name, rows, description FROM gold_tables ORDER BY name');
    const csvFiles: string[] = [];
    for (const t of tables) {
      const file = join(csvDir, `${t.name}.csv`);
      await conn.run(`COPY (SELECT * FROM ${t.name}) TO ${lit(file)} (FORMAT csv, HEADER)`);
      csvFiles.push(file);
    }

    const build = (await rows('SELECT built_at, silver_source, silver_path, parameters FROM gold_build'))[0]!;
    const overview = (
      await rows(`SELECT (SELECT count(*) FROM gold_market_summary) AS markets, (SELECT count(*) FILTER (WHERE is_resolved) FROM gold_market_summary) AS resolved,
        (SELECT count(*) FROM gold_event_summary) AS events, (SELECT sum(trade_count) FROM gold_market_summary) AS trades,
        (SELECT sum(volume) FROM gold_market_summary) AS volume, (SELECT count(*) FROM gold_trader_profile) AS traders,
        (SELECT count(*) FILTER (WHERE samples > 0) FROM gold_price_features) AS priced_tokens`)
    )[0]!;
    const overall = (await rows('SELECT * FROM bt_overall'))[0]!;
    const fixed = (await rows('SELECT * FROM bt_fixed_size_summary'))[0]!;
    const monthly = await rows(`SELECT strftime(month, '%Y-%m') AS month, * EXCLUDE (month) FROM bt_monthly ORDER BY 1`);
    const traders = await rows(`SELECT coalesce(user_name, wallet_address) AS who, wallet_address, realised_pnl, resolved_trades, win_rate, volume
      FROM gold_trader_profile WHERE resolved_trades > 0 ORDER BY realised_pnl DESC, wallet_address LIMIT 15`);
    const categories = await rows(`SELECT category, sum(volume) AS volume, sum(trade_count) AS trades, count(*) AS markets FROM gold_market_summary
      GROUP BY category HAVING sum(volume) > 0 ORDER BY volume DESC, category LIMIT 12`);
    let best = await rows(`SELECT * FROM bt_best_users ORDER BY profit_rank LIMIT 20`);
    const bestNote = best.length === 0 ? 'No copied wallet has enough resolved trades to be listed; showing every copied wallet by PnL.' : '';
    if (best.length === 0) best = await rows(`SELECT *, NULL AS win_rate_rank FROM bt_user_summary ORDER BY pnl DESC, wallet_address LIMIT 20`);
    const btCategories = await rows('SELECT * FROM bt_category ORDER BY pnl DESC, category');
    const markets = await rows(`SELECT question, category, trade_count, volume, distinct_traders, is_resolved, winning_outcome FROM gold_market_summary
      ORDER BY volume DESC, condition_id LIMIT 15`);

    const series = (field: string, scale = 1): Point[] => monthly.map((m) => ({ label: String(m.month), value: num(m[field]) * scale })).filter((p) => Number.isFinite(p.value));
    const charts = [
      lineChart(series('cumulative_pnl'), { title: 'Copy-trading: cumulative PnL by month', format: money }),
      columnChart(series('pnl'), { title: 'Copy-trading: PnL per month', format: money }),
      columnChart(series('roi', 100), { title: 'Copy-trading: monthly ROI (PnL / volume of resolved trades)', format: (v) => `${v.toFixed(0)}%` }),
      lineChart(series('win_rate', 100), { title: 'Copy-trading: monthly win rate (resolved trades)', format: (v) => `${v.toFixed(0)}%` }),
      barChart(
        traders.map((t) => ({ label: String(t.who).startsWith('0x') ? shortWallet(String(t.who)) : String(t.who), value: num(t.realised_pnl) })),
        { title: 'Top traders by realised PnL on resolved markets', format: money },
      ),
      barChart(
        categories.map((c) => ({ label: String(c.category), value: num(c.volume) })),
        { title: 'Volume by market category', format: money },
      ),
    ];

    const cards: Array<[string, string]> = [
      ['Markets', `${count(num(overview.markets))} (${count(num(overview.resolved))} resolved)`],
      ['Events', count(num(overview.events))],
      ['Trades', count(num(overview.trades))],
      ['Volume', money(num(overview.volume))],
      ['Traders', count(num(overview.traders))],
      ['Tokens with price history', count(num(overview.priced_tokens))],
    ];
    const btCards: Array<[string, string]> = [
      ['Wallets copied', count(num(overall.users))],
      ['Copied trades (realisations)', `${count(num(overall.trades))} (${count(num(overall.realisations))})`],
      ['PnL (realised and settled)', money(num(overall.total_pnl))],
      ['Cost basis realised', money(num(overall.capital_deployed))],
      ['Win rate (realisations)', pct(num(overall.win_rate_pct))],
      ['ROI (PnL / cost basis)', pct(num(overall.roi_pct))],
      ['Worst drawdown', money(num(overall.max_drawdown))],
      ['Sells of unheld shares (not valued)', `${count(num(overall.unheld_sells))} (${money(num(overall.unheld_proceeds))})`],
      ['Open positions at cost', money(num(overall.open_cost))],
      [`Fixed $${JSON.parse(String(build.parameters)).stake} per copied buy: PnL / ROI`, `${money(num(fixed.total_pnl))} / ${pct(num(fixed.roi_pct))}`],
      [`Fixed $${JSON.parse(String(build.parameters)).stake}: staked / worst drawdown`, `${money(num(fixed.capital_needed))} / ${money(num(fixed.max_drawdown))}`],
    ];

    const html = page({
      built: `${String(build.built_at instanceof Date ? build.built_at.toISOString() : build.built_at)}`,
      source: `${build.silver_source === 'snapshot' ? 'the Silver snapshot' : 'Silver'} ${build.silver_path}`,
      cards,
      btCards,
      charts,
      sections: [
        {
          title: 'Best wallets to copy',
          note: bestNote,
          table: table(
            ['Rank', 'Wallet', 'Trades', 'Realisations', 'Win rate', 'PnL', 'ROI', 'Worst drawdown', 'Unheld sells', 'Win-rate rank'],
            best.map((b) => [String(b.profit_rank ?? b.copy_rank), shortWallet(String(b.wallet_address)), count(num(b.trades)), count(num(b.realisations)), pct(num(b.win_rate_pct)), money(num(b.pnl)), pct(num(b.roi_pct)), money(num(b.max_drawdown)), count(num(b.unheld_sells)), b.win_rate_rank == null ? '–' : String(b.win_rate_rank)]),
          ),
        },
        {
          title: 'Copy-trading by category',
          table: table(
            ['Category', 'Trades', 'Realisations', 'Win rate', 'PnL', 'ROI', 'Worst drawdown', 'Volume'],
            btCategories.map((c) => [String(c.category), count(num(c.trades)), count(num(c.realisations)), pct(num(c.win_rate_pct)), money(num(c.pnl)), pct(num(c.roi_pct)), money(num(c.max_drawdown)), money(num(c.volume))]),
          ),
        },
        {
          title: 'Markets with the most volume',
          table: table(
            ['Market', 'Category', 'Trades', 'Volume', 'Traders', 'Outcome'],
            markets.map((m) => [String(m.question ?? '(question unknown)'), String(m.category), count(num(m.trades ?? m.trade_count)), money(num(m.volume)), count(num(m.distinct_traders)), m.is_resolved ? String(m.winning_outcome) : 'open']),
          ),
        },
      ],
      tables: tables.map((t) => ({ name: String(t.name), rows: num(t.rows), description: String(t.description) })),
      parameters: String(build.parameters),
    });
    const file = join(options.outDir, 'report.html');
    writeFileSync(`${file}.tmp`, html);
    renameSync(`${file}.tmp`, file);
    return { html: file, csvDir, csvFiles };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function table(header: string[], body: string[][]): string {
  const th = header.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const tr = body.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${tr || `<tr><td colspan="${header.length}">no rows</td></tr>`}</tbody></table>`;
}

interface PageParts {
  built: string;
  source: string;
  cards: Array<[string, string]>;
  btCards: Array<[string, string]>;
  charts: string[];
  sections: Array<{ title: string; note?: string; table: string }>;
  tables: Array<{ name: string; rows: number; description: string }>;
  parameters: string;
}

function page(p: PageParts): string {
  const cardHtml = (cards: Array<[string, string]>) =>
    `<div class="cards">${cards.map(([k, v]) => `<div class="card"><div class="k">${escapeXml(k)}</div><div class="v">${escapeXml(v)}</div></div>`).join('')}</div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>PolyMarketAnalytics — Gold report</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#212121;background:#fafafa}
header{background:#263238;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}header p{margin:6px 0 0;color:#cfd8dc;font-size:13px}
main{max-width:1340px;margin:0 auto;padding:16px 28px 40px}h2{font-size:17px;margin:28px 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:10px}
.card{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:10px 12px}.k{font-size:12px;color:#616161}.v{font-size:19px;font-weight:600;margin-top:4px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px}
.chart{background:#fff;border:1px solid #e0e0e0;border-radius:6px;width:100%;height:auto}
.chart-title{font-size:14px;font-weight:600;fill:#212121}.tick{font-size:11px;fill:#616161}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}th,td{border-bottom:1px solid #eee;padding:5px 8px;text-align:left}
th{background:#f5f5f5;font-weight:600}td:not(:first-child){font-variant-numeric:tabular-nums}
.note{color:#616161;font-size:13px}code{font-size:12px}footer{color:#757575;font-size:12px;margin-top:30px}
</style></head><body>
<header><h1>PolyMarketAnalytics — Gold report</h1><p>Built ${escapeXml(p.built)} UTC from ${escapeXml(p.source)}. All times and months are UTC.</p></header>
<main>
<h2>What Silver holds</h2>${cardHtml(p.cards)}
<h2>Copying the leaderboard's top wallets</h2>
<p class="note">Every trade of the copied wallets is judged at its market's resolution (only markets with a real winner count); trades on open markets are in no PnL and no win rate.</p>
${cardHtml(p.btCards)}
<h2>Charts</h2><div class="charts">${p.charts.join('\n')}</div>
${p.sections.map((s) => `<h2>${escapeXml(s.title)}</h2>${s.note ? `<p class="note">${escapeXml(s.note)}</p>` : ''}${s.table}`).join('\n')}
<h2>Gold tables (one CSV each)</h2>
${table(['Table', 'Rows', 'What a row is'], p.tables.map((t) => [t.name, t.rows.toLocaleString('en-US'), t.description])).replace(/<td>([a-z_]+)<\/td>/g, (_m, name: string) => (p.tables.some((t) => t.name === name) ? `<td><a href="csv/${name}.csv">${name}</a></td>` : `<td>${name}</td>`))}
<footer>Parameters: <code>${escapeXml(p.parameters)}</code></footer>
</main></body></html>
`;
}
