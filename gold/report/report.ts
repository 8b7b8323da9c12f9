/**
 * `pma gold report`: one HTML page that opens offline (inline CSS and SVG, no script, nothing
 * fetched) with the copy-trading results (cumulative and monthly PnL, monthly ROI and win rate),
 * the top traders, volume by category and the main tables; and a CSV file per Gold table.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { lit } from '../tables/types.ts';
import { barChart, columnChart, escapeXml, lineChart, type Point, reliabilityChart } from './svg.ts';

/**
 * A CSV lists its rows in the order the report shows them; a table the report does not show is
 * sorted by all its columns, so two builds of the same Silver give the same file.
 */
const CSV_ORDER: Record<string, string> = {
  gold_market_summary: 'volume DESC, condition_id',
  gold_trader_profile: 'realised_pnl DESC, wallet_address',
  bt_monthly: 'month',
  bt_daily: 'day',
  bt_best_users: 'profit_rank',
  bt_user_summary: 'pnl DESC, wallet_address',
  bt_category: 'pnl DESC, category',
  gold_calibration_reliability: 'horizon_days, bucket_low',
  gold_calibration_brier: "horizon_days, category = 'All' DESC, forecasts DESC, category",
  gold_top_market_daily: 'volume_rank, day',
};

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
const day = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : v == null ? '–' : String(v).slice(0, 10));

/** A table cell: text (escaped), or HTML built here from escaped parts. */
type Cell = string | { html: string };
const profileLink = (wallet: string): Cell => ({
  html: `<a href="https://polymarket.com/profile/${encodeURIComponent(wallet)}"><code>${escapeXml(wallet)}</code></a>`,
});
const marketCell = (question: unknown, slug: unknown, conditionId: unknown): Cell => {
  const title = escapeXml(String(question ?? '(question unknown)'));
  const id = escapeXml(String(conditionId ?? ''));
  if (slug == null || slug === '') return { html: `${title}<br><code>${id}</code>` };
  return { html: `<a href="https://polymarket.com/market/${encodeURIComponent(String(slug))}">${title}</a><br><code>${escapeXml(String(slug))}</code> · <code>${id}</code>` };
};

/** The copy-trading result columns, the same for a wallet as for a category, so the two tables read alike. */
const COPY_RESULT_HEADER = ['Trades', 'Realisations', 'Win rate', 'PnL', 'ROI', 'Worst drawdown'];
const copyResultCells = (r: Record<string, unknown>): Cell[] => [
  count(num(r.trades)),
  count(num(r.realisations)),
  pct(num(r.win_rate_pct)),
  money(num(r.pnl)),
  pct(num(r.roi_pct)),
  money(num(r.max_drawdown)),
];

/** One line per definition the numbers on the page rest on. */
const DEFINITIONS: Array<[string, string]> = [
  [
    'Volume and trades',
    "each match counted once, by its taker row: TradeFact holds the taker's row and every maker's row of a match, so summing them doubles both; a row whose role was not recorded counts as half a match (its transaction once).",
  ],
  ["Gamma's volume", "Gamma's own market volume can differ: Polymarket computes it over the market's whole life and by its own rules, while ours covers only the trades Silver holds."],
  ['Per-wallet figures', "every row of the wallet counts, maker rows included: the maker traded too; traders' PnL comes from their positions, as in the backtest."],
  ['Positions', 'per copied wallet and token at average cost: a BUY adds shares at its price, a SELL closes at most the shares held and realises (price − average cost) per share.'],
  ['Unheld sells', 'what a SELL sells beyond the shares held (split, merge, transfer or bought before the data) is counted apart and never valued, not treated as a naked short.'],
  ['Settlement', 'shares still held when the market resolves are worth 1 (winner) or 0, realised at the resolution time; positions on open markets stay at cost, unvalued.'],
  ['PnL, ROI, win rate', 'over realisations (closing sells and settlements): PnL = proceeds − cost basis; ROI = PnL / cost basis; win rate = realisations with PnL > 0 / realisations.'],
  ['Drawdown', 'running peak of cumulative realised PnL (from 0) minus cumulative PnL; realisations at the same instant are netted first.'],
  [
    'Fixed stake',
    "the copier buys the stake at the wallet's price on each BUY (never more shares than the wallet's fill had) and sells the same fraction of its position as the wallet sold of its held shares, so no position loses more than its stake.",
  ],
  [
    'Calibration',
    'the last CLOB price-history sample 1 and 7 days before resolution (not older than the horizon again) against the outcome (1 winner, 0 not), every outcome token; Brier score = mean squared error.',
  ],
];

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
      await conn.run(`COPY (SELECT * FROM ${t.name} ORDER BY ${CSV_ORDER[String(t.name)] ?? 'ALL'}) TO ${lit(file)} (FORMAT csv, HEADER)`);
      csvFiles.push(file);
    }

    const build = (await rows('SELECT built_at, silver_source, silver_path, parameters FROM gold_build'))[0]!;
    const overview = (
      await rows(`SELECT (SELECT count(*) FROM gold_market_summary) AS markets, (SELECT count(*) FILTER (WHERE is_resolved) FROM gold_market_summary) AS resolved,
        (SELECT count(*) FROM gold_event_summary) AS events, (SELECT sum(trade_count) FROM gold_market_summary) AS trades,
        (SELECT sum(volume) FROM gold_market_summary) AS volume, (SELECT count(*) FROM gold_trader_profile) AS traders,
        (SELECT count(*) FILTER (WHERE samples > 0) FROM gold_price_features) AS priced_tokens,
        (SELECT min(first_trade_at) FROM gold_market_summary) AS first_trade_at, (SELECT max(last_trade_at) FROM gold_market_summary) AS last_trade_at,
        (SELECT sum(gamma_volume) FROM gold_market_summary WHERE trade_count > 0) AS gamma_volume`)
    )[0]!;
    const overall = (await rows('SELECT * FROM bt_overall'))[0]!;
    const fixed = (await rows('SELECT * FROM bt_fixed_size_summary'))[0]!;
    const monthly = await rows(`SELECT strftime(month, '%Y-%m') AS month, * EXCLUDE (month) FROM bt_monthly ORDER BY 1`);
    const traders = await rows(`SELECT coalesce(user_name, wallet_address) AS who, wallet_address, realised_pnl, realisations, win_rate, volume
      FROM gold_trader_profile WHERE realisations > 0 ORDER BY realised_pnl DESC, wallet_address LIMIT 15`);
    const categories = await rows(`SELECT category, sum(volume) AS volume, sum(trade_count) AS trades, count(*) AS markets FROM gold_market_summary
      GROUP BY category HAVING sum(volume) > 0 ORDER BY volume DESC, category LIMIT 12`);
    let best = await rows(`SELECT * FROM bt_best_users ORDER BY profit_rank LIMIT 20`);
    const bestNote = best.length === 0 ? 'No copied wallet has enough resolved trades to be listed; showing every copied wallet by PnL.' : '';
    if (best.length === 0) best = await rows(`SELECT *, NULL AS win_rate_rank FROM bt_user_summary ORDER BY pnl DESC, wallet_address LIMIT 20`);
    const btCategories = await rows('SELECT * FROM bt_category ORDER BY pnl DESC, category');
    const markets = await rows(`SELECT question, market_slug, condition_id, category, trade_count, volume, gamma_volume, distinct_traders, is_resolved, winning_outcome FROM gold_market_summary
      ORDER BY volume DESC, condition_id LIMIT 15`);
    const daily = await rows(`SELECT strftime(day, '%Y-%m-%d') AS day, drawdown FROM bt_daily ORDER BY day`);
    const reliability = await rows('SELECT horizon_days, mean_probability, observed_frequency, forecasts FROM gold_calibration_reliability ORDER BY horizon_days, bucket_low');
    const brier = await rows(
      "SELECT horizon_days, category, forecasts, markets, brier_score, mean_probability, observed_frequency FROM gold_calibration_brier ORDER BY horizon_days, category = 'All' DESC, forecasts DESC, category",
    );
    const topDaily = await rows(`SELECT volume_rank, question, strftime(day, '%Y-%m-%d') AS day, volume, price FROM gold_top_market_daily WHERE volume_rank <= 3 ORDER BY volume_rank, day`);
    const walletPnl = await rows(`SELECT u.wallet_address, u.copy_rank, u.pnl, u.max_drawdown, u.roi_pct FROM bt_user_summary u ORDER BY u.pnl DESC, u.wallet_address LIMIT 15`);

    const series = (field: string, scale = 1): Point[] => monthly.map((m) => ({ label: String(m.month), value: num(m[field]) * scale })).filter((p) => Number.isFinite(p.value));
    const charts = [
      lineChart(series('cumulative_pnl'), { title: 'Copy-trading: cumulative PnL by month', format: money }),
      columnChart(series('pnl'), { title: 'Copy-trading: PnL per month', format: money }),
      columnChart(series('roi', 100), { title: 'Copy-trading: monthly ROI (PnL / cost basis realised)', format: (v) => `${v.toFixed(0)}%` }),
      lineChart(series('win_rate', 100), { title: 'Copy-trading: monthly win rate (realisations)', format: (v) => `${v.toFixed(0)}%` }),
      columnChart(
        daily.map((d) => ({ label: String(d.day), value: -num(d.drawdown) })).filter((p) => Number.isFinite(p.value)),
        { title: 'Copy-trading: drawdown from the running peak, by day', format: money },
      ),
      reliabilityChart(
        [...new Set(reliability.map((r) => num(r.horizon_days)))].map((h) => ({
          name: `${h} day${h === 1 ? '' : 's'} before`,
          points: reliability.filter((r) => num(r.horizon_days) === h).map((r) => ({ x: num(r.mean_probability), y: num(r.observed_frequency), n: num(r.forecasts) })),
        })),
        { title: 'Calibration: how often outcomes priced at p happened', format: (v) => v.toFixed(1) },
      ),
      barChart(
        traders.map((t) => ({ label: String(t.who).startsWith('0x') ? shortWallet(String(t.who)) : String(t.who), value: num(t.realised_pnl) })),
        { title: 'Top traders by PnL of their positions (closing sells and settlements)', format: money },
      ),
      barChart(
        categories.map((c) => ({ label: String(c.category), value: num(c.volume) })),
        { title: 'Volume by market category (each match once)', format: money },
      ),
    ];
    for (const rank of [...new Set(topDaily.map((d) => num(d.volume_rank)))]) {
      const days = topDaily.filter((d) => num(d.volume_rank) === rank);
      const name = String(days[0]!.question ?? '(question unknown)');
      const short = name.length > 60 ? `${name.slice(0, 59)}…` : name;
      charts.push(
        lineChart(
          days.map((d) => ({ label: String(d.day), value: num(d.price) })).filter((p) => Number.isFinite(p.value)),
          { title: `#${rank} ${short}: outcome-0 price by day`, format: (v) => v.toFixed(2) },
        ),
        columnChart(
          days.map((d) => ({ label: String(d.day), value: num(d.volume) })),
          { title: `#${rank} ${short}: volume by day`, format: money },
        ),
      );
    }

    const cards: Array<[string, string]> = [
      ['Markets', `${count(num(overview.markets))} (${count(num(overview.resolved))} resolved)`],
      ['Events', count(num(overview.events))],
      ['Matches (each once)', count(num(overview.trades))],
      ['Volume (each match once)', money(num(overview.volume))],
      ["Gamma's volume of the same markets", money(num(overview.gamma_volume))],
      ['Trades from – to (UTC)', `${day(overview.first_trade_at)} – ${day(overview.last_trade_at)}`],
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
      [`Fixed $${JSON.parse(String(build.parameters)).stake}: capital staked / worst drawdown`, `${money(num(fixed.capital_needed))} / ${money(num(fixed.max_drawdown))}`],
    ];

    const html = page({
      range: `${day(overview.first_trade_at)} to ${day(overview.last_trade_at)}`,
      built: `${String(build.built_at instanceof Date ? build.built_at.toISOString() : build.built_at)}`,
      source: `${build.silver_source === 'snapshot' ? 'the Silver snapshot' : 'Silver'} ${build.silver_path}`,
      cards,
      btCards,
      charts,
      sections: [
        {
          title: 'Definitions',
          table: table(
            ['Figure', 'Definition'],
            DEFINITIONS.map(([k, v]) => [k, v]),
          ),
        },
        {
          title: 'Calibration: Brier score by horizon and category',
          note: 'Lower is better: 0 is a perfect forecast, 0.25 what always saying 50% scores.',
          table: table(
            ['Days before resolution', 'Category', 'Forecasts', 'Markets', 'Brier score', 'Mean probability', 'Observed frequency'],
            brier.map((b) => [
              String(b.horizon_days),
              String(b.category),
              count(num(b.forecasts)),
              count(num(b.markets)),
              num(b.brier_score).toFixed(4),
              num(b.mean_probability).toFixed(3),
              num(b.observed_frequency).toFixed(3),
            ]),
          ),
        },
        {
          title: 'Copied wallets by PnL, with their worst drawdown',
          table: table(
            ['Copy rank', 'Wallet (Polymarket profile)', 'PnL', 'ROI', 'Worst drawdown'],
            walletPnl.map((w) => [String(w.copy_rank), profileLink(String(w.wallet_address)), money(num(w.pnl)), pct(num(w.roi_pct)), money(num(w.max_drawdown))]),
          ),
        },
        {
          title: 'Best wallets to copy',
          note: bestNote,
          table: table(
            ['Rank', 'Wallet', ...COPY_RESULT_HEADER, 'Unheld sells', 'Win-rate rank'],
            best.map((b) => [
              String(b.profit_rank ?? b.copy_rank),
              profileLink(String(b.wallet_address)),
              ...copyResultCells(b),
              count(num(b.unheld_sells)),
              b.win_rate_rank == null ? '–' : String(b.win_rate_rank),
            ]),
          ),
        },
        {
          title: 'Copy-trading by category',
          table: table(
            ['Category', ...COPY_RESULT_HEADER, 'Volume'],
            btCategories.map((c) => [String(c.category), ...copyResultCells(c), money(num(c.volume))]),
          ),
        },
        {
          title: 'Markets with the most volume',
          table: table(
            ['Market (slug · condition id)', 'Category', 'Matches', 'Volume', "Gamma's volume", 'Traders', 'Outcome'],
            markets.map((m) => [
              marketCell(m.question, m.market_slug, m.condition_id),
              String(m.category),
              count(num(m.trade_count)),
              money(num(m.volume)),
              money(num(m.gamma_volume)),
              count(num(m.distinct_traders)),
              m.is_resolved ? String(m.winning_outcome) : 'open',
            ]),
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

function table(header: string[], body: Cell[][]): string {
  const th = header.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const tr = body.map((r) => `<tr>${r.map((c) => `<td>${typeof c === 'string' ? escapeXml(c) : c.html}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${tr || `<tr><td colspan="${header.length}">no rows</td></tr>`}</tbody></table>`;
}

interface PageParts {
  range: string;
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
.note{color:#616161;font-size:13px}code{font-size:12px;word-break:break-all}footer{color:#757575;font-size:12px;margin-top:30px}
</style></head><body>
<header><h1>PolyMarketAnalytics — Gold report</h1><p>Trades from ${escapeXml(p.range)}. Built ${escapeXml(p.built)} UTC from ${escapeXml(p.source)}. All times and months are UTC.</p></header>
<main>
<h2>What Silver holds</h2>${cardHtml(p.cards)}
<h2>Copying the leaderboard's top wallets</h2>
<p class="note">The copied wallets' positions are followed at average cost: closing sells and settlements at resolution (only markets with a real winner) are realised; sells of shares the wallet did not hold are counted apart, never valued; open positions stay at cost. See the definitions below.</p>
${cardHtml(p.btCards)}
<h2>Charts</h2><div class="charts">${p.charts.join('\n')}</div>
${p.sections.map((s) => `<h2>${escapeXml(s.title)}</h2>${s.note ? `<p class="note">${escapeXml(s.note)}</p>` : ''}${s.table}`).join('\n')}
<h2>Gold tables (one CSV each)</h2>
${table(
  ['Table', 'Rows', 'What a row is'],
  p.tables.map((t) => [t.name, t.rows.toLocaleString('en-US'), t.description]),
).replace(/<td>([a-z_]+)<\/td>/g, (_m, name: string) => (p.tables.some((t) => t.name === name) ? `<td><a href="csv/${name}.csv">${name}</a></td>` : `<td>${name}</td>`))}
<footer>Parameters: <code>${escapeXml(p.parameters)}</code></footer>
</main></body></html>
`;
}
