/**
 * `pma` as a real child process, for the chaos engine and the crash-safety specs: started with
 * logging at error level, its output kept for the report, SIGKILLed by the caller when the
 * schedule says so.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PMA = join(ROOT, 'cli', 'pma.ts');

export interface RunOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface PmaChildOptions {
  /** Global flags put before the command (`--transport kafka --brokers …`). */
  global?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

export function startPma(dataDir: string, args: readonly string[], options: PmaChildOptions = {}): { child: ChildProcess; done: Promise<RunOutcome> } {
  const child = spawn(process.execPath, [PMA, '--data-dir', dataDir, '--log-level', 'error', ...(options.global ?? []), ...args], {
    cwd: ROOT,
    env: { ...process.env, PMA_LOG_LEVEL: 'error', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<RunOutcome>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** A run to completion on a chaos world takes seconds (half a minute on a loaded machine); one still going after this never ends by itself. */
export const RUN_LIMIT_MS = 90_000;

/** Runs `pma` to its end, SIGKILLing it after `limitMs` (then `timedOut`): a run that should end by itself may not hang a suite. */
export async function runPmaToEnd(dataDir: string, args: readonly string[], limitMs: number, options: PmaChildOptions = {}): Promise<RunOutcome & { timedOut: boolean }> {
  const { child, done } = startPma(dataDir, args, options);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, limitMs);
  const out = await done;
  clearTimeout(timer);
  return { ...out, timedOut };
}
