import type { Command } from 'commander';
import { notYet } from './pending.ts';

export function register(program: Command): void {
  program.command('sink').description('write clean topics to Bronze Parquet or Silver DuckDB').action(notYet('sink', 8));
}
