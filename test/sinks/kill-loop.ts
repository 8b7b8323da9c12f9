/**
 * Runs a `pma` subcommand as a real child process again and again, SIGKILLing it at random
 * moments (seeded, so a failure replays), for crash-safety tests.
 */
import { startPma } from '../../bench/chaos/pma-child.ts';

export { startPma } from '../../bench/chaos/pma-child.ts';

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
