/**
 * `pma bench <target>`: benchmarks that measure a part of the pipeline beside the ceiling of the
 * same machine, measured in the same run. Each target lives in bench/<target>.ts and exports
 * `register(bench)`; add it to the list below.
 */
import type { Command } from 'commander';
import { register as ingest } from '../../bench/ingest.ts';
import { register as serde } from '../../bench/serde.ts';
import { register as sim } from '../../bench/sim.ts';
import { register as sink } from '../../bench/sink.ts';
import { register as tagger } from '../../bench/tagger.ts';
import { register as transport } from '../../bench/transport.ts';

const targets: Array<(bench: Command) => void> = [transport, serde, sink, tagger, sim, ingest];

export function register(program: Command): void {
  const bench = program.command('bench').description('measure throughput beside the ceiling of this machine, in one run');
  for (const add of targets) add(bench);
}
