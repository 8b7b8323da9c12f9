import type { Command } from 'commander';
import { notYet } from './pending.ts';

export function register(program: Command): void {
  program.command('bench').description('measure throughput against the ceiling of this machine').action(notYet('bench', 4));
}
