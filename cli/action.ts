/**
 * Wraps a subcommand's work: builds the context (validated config, logger), installs graceful
 * shutdown, and closes what the command opened, whatever happened.
 */
import type { Command } from 'commander';
import { installShutdown } from '../runtime/shutdown.ts';
import { type CommandContext, createContext } from './context.ts';

export type ActionContext = CommandContext & { signal: AbortSignal; stop(reason: string): void };

export function action<O extends Record<string, unknown>>(
  fn: (ctx: ActionContext, options: O, args: string[]) => Promise<void> | void,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const positional = args.slice(0, -2).filter((a): a is string => typeof a === 'string');
    const ctx = createContext(command);
    const shutdown = installShutdown({ logger: ctx.logger });
    try {
      await fn({ ...ctx, signal: shutdown.signal, stop: shutdown.trigger }, command.opts() as O, positional);
    } finally {
      shutdown.dispose();
      await ctx.close();
    }
  };
}
