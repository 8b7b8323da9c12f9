import type { Command } from 'commander';
import { notYet } from './pending.ts';

export function register(program: Command): void {
  program.command('status').description('show cursors, lag and layer progress').action(notYet('status', 4));
}
