/** The soak as a command: samples printed as they come, then the table of samples and the verdicts. */
import type { Goal } from './goals.ts';
import { runSoak, type SoakReport } from './index.ts';
import type { SoakSample } from './sample.ts';

const mb = (b: number) => (b / 2 ** 20).toFixed(1);
const SAMPLE_HEADER = ['t (s)', 'RSS MB', 'heap MB', 'fds', 'log MB', 'raw MB', 'clean MB', 'lag', 'Bronze lag', 'Silver age s'];
const sampleRow = (s: SoakSample) => [
  s.at.toFixed(0),
  mb(s.rssBytes),
  mb(s.heapUsedBytes),
  String(s.openFds),
  mb(s.logBytes),
  mb(s.rawHeldBytes),
  mb(s.otherHeldBytes),
  String(s.lag),
  String(s.bronzeLag),
  // NaN before Silver's first fill (null once the report went through JSON).
  Number.isFinite(s.silverTradeAgeSeconds) ? s.silverTradeAgeSeconds.toFixed(0) : '-',
];

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatReport(r: SoakReport): string {
  const goals = (gs: Goal[]) => table([['goal', 'measured', 'target', ''], ...gs.map((g) => [g.goal, g.measured, g.target, g.met ? 'met' : 'MISSED'])]);
  const faults = Object.entries(r.faults)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return [
    `soak: ${r.settings.minutes} min (first ${r.settings.warmupMinutes.toFixed(1)} min not judged), a sample every ${r.settings.sampleSeconds} s, raw topics kept ${r.settings.rawRetentionMinutes.toFixed(1)} min`,
    table([SAMPLE_HEADER, ...r.samples.map(sampleRow)]),
    '',
    `faults injected: ${faults || 'none'}; ${r.settled ? `every fill up to the cut-off was in the Silver snapshot ${r.settleSeconds.toFixed(0)} s after the soak` : `fills up to the cut-off still missing from the Silver snapshot after ${r.settleSeconds.toFixed(0)} s`}`,
    goals(r.goals),
    ...(r.fills.missing.length ? [`missing (first 3): ${r.fills.missing.slice(0, 3).join(' | ')}`] : []),
    ...(r.fills.extra.length ? [`unknown (first 3): ${r.fills.extra.slice(0, 3).join(' | ')}`] : []),
    ...(r.run.code === 0 ? [] : [`pma run stderr:\n${r.run.stderr}`]),
  ].join('\n');
}

/** Runs the soak, printing each sample as it is taken; true when every goal is met. */
export async function benchSoak(flags: Record<string, unknown>, signal: AbortSignal, write: (text: string) => void = (t) => process.stdout.write(t)): Promise<boolean> {
  const json = flags.json === true;
  const { json: _, ...rest } = flags;
  if (!json) write(`${table([SAMPLE_HEADER])}\n`);
  const report = await runSoak(rest, {
    signal,
    onSample: (s) => {
      if (!json) write(`${table([SAMPLE_HEADER, sampleRow(s)]).split('\n')[1]}\n`);
    },
  });
  write(json ? `${JSON.stringify(report)}\n` : `\n${formatReport(report)}\n`);
  return report.goals.every((g) => g.met);
}
