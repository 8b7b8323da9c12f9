import type { Command } from 'commander';
import { notYet } from './pending.ts';

export function register(program: Command): void {
  program.command('run').description('run ingest, process and sinks in one process (what npm start runs)').action(notYet('run', 4));
}
