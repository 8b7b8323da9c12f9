import type { Command } from 'commander';
import { notYet } from './pending.ts';

export function register(program: Command): void {
  program.command('replay').description('rebuild a layer from the topics').action(notYet('replay', 9));
}
