/**
 * Runs a `pma` subcommand as a real child process again and again, SIGKILLing it at random
 * moments (seeded, so a failure replays), for crash-safety tests.
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

export function startPma(dataDir: string, args: string[]): { child: ChildProcess; done: Promise<RunOutcome> } {
  const child = spawn(process.execPath, [PMA, '--data-dir', dataDir, '--log-level', 'error', ...args], {
    cwd: ROOT,
    env: { ...process.env, PMA_LOG_LEVEL: 'error' },
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

export interface KillLoopResult {
  killed: number;
  finished: number;
}

/**
 * Starts the command again and again until `times` runs were SIGKILLed, or `maxRounds` runs
 * were started (default twice `times`). Each run is killed after a random delay in
 * [minMs, maxMs), unless it ended by itself first (which must be a clean exit). A run that
 * ends by itself narrows the window to its own duration (until the next one ends by itself), so a fast machine still sees its
 * runs killed mid-work rather than after they finished. `between` runs after each round
 * (e.g. to publish more input).
 */
export async function killLoop(
  dataDir: string,
  args: string[],
  options: { times: number; maxRounds?: number; random: () => number; minMs: number; maxMs: number; between?: (round: number) => Promise<void> },
): Promise<KillLoopResult> {
  const result: KillLoopResult = { killed: 0, finished: 0 };
  const maxRounds = options.maxRounds ?? options.times * 2;
  let upper = options.maxMs;
  for (let round = 0; round < maxRounds && result.killed < options.times; round++) {
    const started = Date.now();
    const { child, done } = startPma(dataDir, args);
    const delay = options.minMs + options.random() * Math.max(0, upper - options.minMs);
    const timer = setTimeout(() => child.kill('SIGKILL'), delay);
    const outcome = await done;
    clearTimeout(timer);
    if (outcome.signal === 'SIGKILL') result.killed++;
    else if (outcome.code === 0) {
      result.finished++;
      upper = Math.max(options.minMs, Math.min(options.maxMs, Date.now() - started));
    } else throw new Error(`pma ${args.join(' ')} failed in round ${round} (code ${outcome.code}): ${outcome.stderr}`);
    await options.between?.(round);
  }
  return result;
}
