import type { Command } from 'commander';
import { notYet } from './pending.ts';

export function register(program: Command): void {
  program.command('sim').description('run the offline Polymarket simulator').action(notYet('sim', 6));
}
