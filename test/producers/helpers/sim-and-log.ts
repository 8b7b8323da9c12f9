/** A simulator and a fresh test log per test, closed after it whether it passed or not. */
import { type SimOptionsInput, type Simulator, startSimulator } from '../../../simulator/index.ts';
import { openTestLog, type TestLog } from './log.ts';

/** Call inside a `describe`: registers the `afterEach` that closes what the returned function started. */
export function simAndLogPerTest(): (options: SimOptionsInput) => Promise<{ sim: Simulator; log: TestLog }> {
  let opened: Array<Simulator | TestLog> = [];
  afterEach(async () => {
    // Newest first, as the specs closed them by hand: the log before the simulator it was fed from.
    for (const it of opened.reverse()) await it.close();
    opened = [];
  });
  return async (options) => {
    const sim = await startSimulator(options);
    opened.push(sim);
    const log = await openTestLog();
    opened.push(log);
    return { sim, log };
  };
}
