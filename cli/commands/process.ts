import type { Command } from 'commander';
import { notYet } from './pending.ts';

export function register(program: Command): void {
  program.command('process').description('normalise and enrich raw topics into clean topics').action(notYet('process', 8));
}
