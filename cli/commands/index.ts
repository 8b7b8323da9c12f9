/**
 * Registers the subcommands, each in its own module named for the command. Only the module of
 * the command being run is loaded, so a `pma sim` or `pma ingest` process does not carry DuckDB,
 * Arrow and kafkajs it never calls; help, and anything that is not a known command, loads them all.
 */
import type { Command } from 'commander';

interface CommandModule {
  register(program: Command): void;
}

/** In the order help lists them. */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  run: () => import('./run.ts'),
  ingest: () => import('./ingest.ts'),
  process: () => import('./process.ts'),
  sink: () => import('./sink.ts'),
  compact: () => import('./compact.ts'),
  query: () => import('./query.ts'),
  replay: () => import('./replay.ts'),
  gold: () => import('./gold.ts'),
  sim: () => import('./sim.ts'),
  tagger: () => import('./tagger.ts'),
  bench: () => import('./bench.ts'),
  status: () => import('./status.ts'),
  verify: () => import('./verify.ts'),
  topics: () => import('./topics.ts'),
  registry: () => import('./registry.ts'),
};

/**
 * The subcommand named in `args` (the user's arguments, without node and the script): the first
 * argument that is neither an option of the program nor the value of one.
 */
export function commandNameIn(program: Command, args: readonly string[]): string | undefined {
  const takesValue = new Set(program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short].filter((n): n is string => n !== undefined)));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return args[i + 1];
    if (!arg.startsWith('-')) return arg;
    if (!arg.includes('=') && takesValue.has(arg)) i++;
  }
  return undefined;
}

export async function registerAll(program: Command, args: readonly string[]): Promise<void> {
  const name = commandNameIn(program, args);
  const names = name !== undefined && Object.hasOwn(COMMANDS, name) ? [name] : Object.keys(COMMANDS);
  const modules = await Promise.all(names.map((n) => COMMANDS[n]!()));
  for (const m of modules) m.register(program);
}
