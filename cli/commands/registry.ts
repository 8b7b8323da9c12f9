import type { Command } from 'commander';
import { notYet } from './pending.ts';

export function register(program: Command): void {
  program.command('registry').description('schema registry: serve, list, register').action(notYet('registry', 4));
}
