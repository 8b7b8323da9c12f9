/**
 * The chaos results as a table: printed per scenario by `pma bench chaos`, and written between
 * README's `<!-- chaos:begin -->` and `<!-- chaos:end -->` markers by the suite itself.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { BenchError } from '../../runtime/errors.ts';
import type { ScenarioResult } from './run.ts';

export const README_BEGIN = '<!-- chaos:begin -->';
export const README_END = '<!-- chaos:end -->';

const HEADER = ['scenario', 'transport', 'profile', 'seed', 'kills', 'storage faults', 'HTTP faults', 'records checked', 'lost', 'duplicated', 'seconds', 'result'];

function row(r: ScenarioResult): string[] {
  const o = r.oracle;
  return [
    r.plan.kind,
    r.plan.transport,
    r.plan.profile,
    String(r.plan.seed),
    String(r.kills),
    String(r.storageFaults),
    String(r.faultsInjected),
    o ? String(o.checked) : r.verify ? 'n/a (log lost records)' : 'n/a (did not finish)',
    o ? String(o.lost) : 'n/a',
    o ? String(o.duplicated) : 'n/a',
    String(Math.round(r.seconds)),
    r.problems.length === 0 ? 'pass' : `FAIL: ${r.problems[0]!.replaceAll('|', '/').slice(0, 120)}`,
  ];
}

export function totals(results: readonly ScenarioResult[]) {
  return {
    scenarios: results.length,
    passed: results.filter((r) => r.problems.length === 0).length,
    kills: results.reduce((n, r) => n + r.kills, 0),
    storageFaults: results.reduce((n, r) => n + r.storageFaults, 0),
    faultsInjected: results.reduce((n, r) => n + r.faultsInjected, 0),
    checked: results.reduce((n, r) => n + (r.oracle?.checked ?? 0), 0),
    lost: results.reduce((n, r) => n + (r.oracle?.lost ?? 0), 0),
    duplicated: results.reduce((n, r) => n + (r.oracle?.duplicated ?? 0), 0),
    seconds: results.reduce((n, r) => n + r.seconds, 0),
  };
}

export function markdownTable(results: readonly ScenarioResult[]): string {
  const t = totals(results);
  const lines = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => '---').join('|')}|`, ...results.map((r) => `| ${row(r).join(' | ')} |`)];
  lines.push(
    `| **total** (${t.passed}/${t.scenarios} passed) | | | | **${t.kills}** | **${t.storageFaults}** | **${t.faultsInjected}** | **${t.checked}** | **${t.lost}** | **${t.duplicated}** | ${Math.round(t.seconds)} | |`,
  );
  return lines.join('\n');
}

/** Replaces the marked block of README (the markers must be there, once each). */
export function writeReadmeTable(readme: string, results: readonly ScenarioResult[], how: string): void {
  const text = readFileSync(readme, 'utf8');
  const begin = text.indexOf(README_BEGIN);
  const end = text.indexOf(README_END);
  if (begin < 0 || end < begin) throw new BenchError(`${readme} has no ${README_BEGIN} … ${README_END} block for the chaos table`, { path: readme });
  const block = `${README_BEGIN}\n${how}\n\n${markdownTable(results)}\n`;
  writeFileSync(readme, text.slice(0, begin) + block + text.slice(end));
}
