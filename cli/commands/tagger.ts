import type { Command } from 'commander';
import { notYet } from './pending.ts';

export function register(program: Command): void {
  program.command('tagger').description('run the Tag Manager web app').action(notYet('tagger', 10));
}
