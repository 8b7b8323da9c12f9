import type { Command } from 'commander';
import { notYet } from './pending.ts';

export function register(program: Command): void {
  program.command('topics').description('list, create and inspect topics').action(notYet('topics', 4));
}
