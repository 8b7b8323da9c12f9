import type { Command } from 'commander';
import { notYet } from './pending.ts';

export function register(program: Command): void {
  program.command('gold').description('build Gold analytics on Silver').action(notYet('gold', 9));
}
