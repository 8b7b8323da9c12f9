/**
 * Wraps a subcommand's work: builds the context (validated config, logger), installs graceful
 * shutdown, and closes what the command opened, whatever happened.
 */
import type { Command } from 'commander';
import type { GlobalConfig } from '../runtime/config.ts';
import { kafkaTlsOn } from '../runtime/config-security.ts';
import { redactUrl } from '../runtime/secrets.ts';
import { installShutdown } from '../runtime/shutdown.ts';
import { type CommandContext, createContext } from './context.ts';

export type ActionContext = CommandContext & { signal: AbortSignal; stop(reason: string): void };

/**
 * The graceful stop of a command that writes out buffered output (Bronze's files: after a
 * backfill a file per partition and day it touched, 1,900 files took 9 s here; Silver's commit):
 * more than the default 10 s. A second Ctrl+C still exits at once.
 */
export const FLUSHING_GRACE_MS = 120_000;

export interface ActionOptions {
  /** How long a graceful stop may take before the process exits anyway (installShutdown's default otherwise). */
  graceMs?: number;
}

export function action<O extends Record<string, unknown>>(
  fn: (ctx: ActionContext, options: O, args: string[]) => Promise<void> | void,
  options: ActionOptions = {},
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    // Commander passes each declared argument in order; a variadic one arrives as an array.
    const positional = args
      .slice(0, -2)
      .flat()
      .filter((a): a is string => typeof a === 'string');
    const ctx = createContext(command);
    if (command.optsWithGlobals().checkConfig) {
      await checkConfig(ctx, command, () => fn(checkingContext(ctx), command.opts() as O, positional));
      return;
    }
    const shutdown = installShutdown({ logger: ctx.logger, graceMs: options.graceMs });
    try {
      await fn({ ...ctx, signal: shutdown.signal, stop: shutdown.trigger }, command.opts() as O, positional);
    } finally {
      shutdown.dispose();
      await ctx.close();
    }
  };
}

/** Thrown inside a command run with --check-config when it reaches for a resource. */
class ConfigChecked extends Error {}

/** Settings whose use means "now open something" (transport, registry, data files). */
const RESOURCE_SETTINGS = new Set(['transport', 'brokers', 'registry', 'dataDir']);

/**
 * `--check-config`: the command runs only as far as validating its settings. Commands resolve
 * their sections first and then open the transport or registry, or touch the data dir; reading
 * any of those settings, or registering a closer (which is then run at once), ends the run, and
 * the signal is aborted from the start. A bad value still fails with the command's own
 * ConfigError (exit 2). A command that opens something without reading those settings (pma sim
 * binds its port) opens and closes it again.
 */
function checkingContext(ctx: CommandContext): ActionContext {
  const config = new Proxy(ctx.config, {
    get(target, key, receiver) {
      if (typeof key === 'string' && RESOURCE_SETTINGS.has(key)) throw new ConfigChecked();
      return Reflect.get(target, key, receiver);
    },
  });
  const controller = new AbortController();
  controller.abort(new Error('--check-config'));
  return {
    ...ctx,
    config,
    signal: controller.signal,
    onClose: (fn) => {
      // Something was opened already (a server bound, a file created): close it, then stop.
      ctx.onClose(fn);
      throw new ConfigChecked();
    },
    stop: () => undefined,
  };
}

async function checkConfig(ctx: CommandContext & { close(): Promise<void> }, command: Command, run: () => Promise<void> | void) {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof ConfigChecked)) throw err;
  } finally {
    await ctx.close();
  }
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  const { transport, brokers, registry, dataDir } = ctx.config;
  const where = transport === 'kafka' ? `kafka ${brokers.join(',')}${kafkaAccess(ctx.config)}, registry ${redactUrl(registry)}` : `embedded log in ${dataDir}`;
  process.stdout.write(`pma ${names.join(' ')}: configuration OK (${where})\n`);
}

/** How the brokers are reached, as --check-config reports it: never the password. */
function kafkaAccess(config: GlobalConfig): string {
  const tls = kafkaTlsOn(config);
  const sasl = config.kafkaSaslMechanism ? ` as ${config.kafkaSaslUsername} (${config.kafkaSaslMechanism.toUpperCase()})` : '';
  return tls || sasl ? ` over ${tls ? 'TLS' : 'plain TCP'}${sasl}` : '';
}
