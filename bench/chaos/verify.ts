/**
 * `pma verify --repair --json` as the storage scenarios call it, its report read against the
 * contract: exit 0 when nothing is wrong or everything was repaired, 1 when damage remains, and
 * `{ ok, findings: [{ layer, kind, topic?, partition?, from?, to?, detail, repaired?, action?, lost? }] }`.
 */
import { BenchError } from '../../runtime/errors.ts';
import type { Finding } from '../../runtime/verify.ts';
import { RUN_LIMIT_MS, runPmaToEnd } from './pma-child.ts';

export interface VerifyReport {
  ok: boolean;
  findings: Finding[];
  exitCode: number | null;
  /** What it printed, for the scenario's report when its answer is not what was expected. */
  raw: string;
}

export async function verifyRepair(dataDir: string, global: readonly string[]): Promise<VerifyReport> {
  const out = await runPmaToEnd(dataDir, ['verify', '--repair', '--json'], RUN_LIMIT_MS, { global });
  if (out.timedOut) throw new BenchError(`pma verify --repair did not finish within ${RUN_LIMIT_MS / 1000} s`, { path: dataDir });
  const raw = `exit ${out.code}; stdout: ${out.stdout.trim().slice(0, 600)}; stderr: ${out.stderr.trim().slice(0, 600)}`;
  const line = out.stdout
    .trim()
    .split('\n')
    .findLast((l) => l.startsWith('{'));
  if (!line) throw new BenchError(`pma verify --repair --json printed no JSON report (${raw})`, { path: dataDir });
  let parsed: { ok?: unknown; findings?: unknown };
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw new BenchError(`pma verify --repair --json printed a report that is not JSON (${raw})`, { path: dataDir }, { cause: err });
  }
  if (typeof parsed.ok !== 'boolean' || !Array.isArray(parsed.findings)) throw new BenchError(`pma verify --json report lacks ok or findings (${raw})`, { path: dataDir });
  return { ok: parsed.ok, findings: parsed.findings as Finding[], exitCode: out.code, raw };
}
