/** Registers every subcommand; each lives in its own module named for the command. */
import type { Command } from 'commander';
import { register as bench } from './bench.ts';
import { register as gold } from './gold.ts';
import { register as ingest } from './ingest.ts';
import { register as processCmd } from './process.ts';
import { register as query } from './query.ts';
import { register as registry } from './registry.ts';
import { register as replay } from './replay.ts';
import { register as run } from './run.ts';
import { register as sim } from './sim.ts';
import { register as sink } from './sink.ts';
import { register as status } from './status.ts';
import { register as tagger } from './tagger.ts';
import { register as topics } from './topics.ts';

export function registerAll(program: Command): void {
  for (const register of [run, ingest, processCmd, sink, query, replay, gold, sim, tagger, bench, status, topics, registry]) {
    register(program);
  }
}
