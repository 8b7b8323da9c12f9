/**
 * What every command gets: validated global config, a logger, a shutdown signal, and lazily
 * opened shared resources (the transport and the schema registry), closed once at the end.
 */
import type { Command } from 'commander';
import { type GlobalConfig, loadGlobalConfig } from '../runtime/config.ts';
import { createLogger, type Logger } from '../runtime/logger.ts';

export interface CommandContext {
  readonly config: GlobalConfig;
  readonly logger: Logger;
  /** Runs `fn` at the end of the command, last registered first. */
  onClose(fn: () => Promise<void> | void): void;
}

/** Builds the context from the command's own flags merged with the program's global flags. */
export function createContext(command: Command): CommandContext & { close(): Promise<void> } {
  const config = loadGlobalConfig(command.optsWithGlobals());
  const logger = createLogger({ format: config.logFormat, level: config.logLevel });
  const closers: Array<() => Promise<void> | void> = [];
  return {
    config,
    logger,
    onClose: (fn) => closers.push(fn),
    async close() {
      for (const fn of closers.reverse()) await fn();
    },
  };
}
