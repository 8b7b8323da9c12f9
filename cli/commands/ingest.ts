import type { Command } from 'commander';
import { notYet } from './pending.ts';

export function register(program: Command): void {
  program.command('ingest').description('fetch Polymarket APIs into raw topics').action(notYet('ingest', 7));
}
