/**
 * The `pma` program, loaded by cli/pma.ts. Exit codes: 0 done, 1 failed while running, 2 bad usage or configuration
 * (unknown command or flag, invalid value), 130/143 interrupted twice.
 */
import { CommanderError } from 'commander';
import { ConfigError, describeError } from '../runtime/errors.ts';
import { buildProgram } from './program.ts';

// A reader that closes early (`pma topics | head`) is not a failure of ours: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

const program = await buildProgram(process.argv.slice(2));
program.exitOverride();
for (const cmd of program.commands) cmd.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof ConfigError) {
    process.stderr.write(`pma: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`pma: ${describeError(err)}\n`);
    if (process.env.PMA_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  }
}
