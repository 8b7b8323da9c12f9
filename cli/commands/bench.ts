/**
 * `pma bench <target>`: benchmarks that measure a part of the pipeline beside the ceiling of the
 * same machine, measured in the same run. Each target's work lives in bench/<target>.ts as a
 * plain function; its flags and how its result sets the exit code are declared here, so that
 * bench/ never depends on the CLI.
 */
import type { Command } from 'commander';
import { benchChaos } from '../../bench/chaos/index.ts';
import { benchFreshness } from '../../bench/freshness.ts';
import { benchIngest } from '../../bench/ingest.ts';
import { benchSerde } from '../../bench/serde.ts';
import { benchSim } from '../../bench/sim.ts';
import { benchSink } from '../../bench/sink.ts';
import { benchSoak } from '../../bench/soak/report.ts';
import { benchTagger } from '../../bench/tagger.ts';
import { benchTransport } from '../../bench/transport.ts';
import { action } from '../action.ts';

export function register(program: Command): void {
  const bench = program.command('bench').description('measure throughput beside the ceiling of this machine, in one run');
  bench
    .command('transport')
    .description("produce and consume trade-shaped Avro records through the transport, beside this machine's ceiling")
    .option('--records <n>', 'records to produce and consume (default 1000000)')
    .option('--batch <n>', 'records per send (default 1000)')
    .option('--partitions <n>', 'partitions of the bench topic (default 4)')
    .option('--inflight <n>', 'sends awaiting acknowledgement at once; 1 awaits each send before the next (default 2)')
    .option('--clients <list>', 'Kafka only: compare these clients instead (kafkajs,platformatic,confluent,java), each as a share of Java')
    .option('--json', 'print the result as JSON instead of a table')
    .action(action(benchTransport));
  bench
    .command('serde')
    .description('encode and decode trade-shaped records through the Avro serde, beside raw avsc')
    .option('--records <n>', 'records per phase (default 1000000)')
    .option('--rounds <n>', 'rounds of every phase; the median counts (default 3)')
    .option('--json', 'print the result as JSON instead of a table')
    .action(action(benchSerde));
  bench
    .command('sink')
    .description('replay clean trades from the embedded log into Bronze, beside writing the same rows from memory')
    .option('--layer <layer>', 'bronze (default) or silver')
    .option('--records <n>', 'trades to replay (default 5000000)')
    .option('--days <n>', 'days the trades spread over, i.e. dt partitions (default 14)')
    .option('--compare-rows <n>', 'rows for the writer comparison (default 1000000)')
    .option('--json', 'print the result as JSON instead of a table')
    .action(action(benchSink));
  bench
    .command('tagger')
    .description('classification throughput toward a fake Ollama with a fixed latency, beside the ideal of the configured concurrency')
    .option('--markets <n>', 'markets to classify (default 1500)')
    .option('--concurrency <n>', 'requests to Ollama at once (default 8)')
    .option('--models <n>', 'models in the judge pool; each market costs one request per model (default 1)')
    .option('--latency-ms <ms>', 'the fake server answers after this long (default 50)')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (ctx, flags: Record<string, unknown>) => {
        if ((await benchTagger(ctx, flags)) === false) process.exitCode = 1;
      }),
    );
  bench
    .command('sim')
    .description('start `pma sim` in a child process and load it at a fixed rate over random pages: start time, latency percentiles, rate, RSS')
    .option('--markets <n>', 'synthetic markets (default 200000)')
    .option('--trades-per-market <n>', 'mean fills per market (default 300)')
    .option('--rate <n>', 'requests per second (default 1000)')
    .option('--duration <s>', 'measured seconds (default 20)')
    .option('--warmup <s>', 'seconds of load before measuring (default 3)')
    .option('--connections <n>', 'HTTP connections (default 32)')
    .option('--seed <n>', 'world seed (default 1)')
    .option('--mix <mix>', 'ingest (default) or trades')
    .action(
      action(async (ctx, flags: Record<string, unknown>) => {
        if (!(await benchSim(flags))) ctx.logger.warn('some goals were missed (see the table)');
      }),
    );
  bench
    .command('ingest')
    .description('producers against the simulator: share of the published request budget used, and trade records/s with limits off')
    .option('--budget-seconds <n>', 'length of the budget measurement (default 30)')
    .option('--throughput-seconds <n>', 'length of the throughput measurement (default 20)')
    .option('--warmup <n>', 'seconds before each measurement (default 5)')
    .option('--feed <feed>', 'throughput run: auto (v2 where served) or v1 pages')
    .option('--trades-page-size <n>', 'rows per v1 page (default 10000)')
    .option('--trade-workers <n>', 'markets walked at once (default 8)')
    .option('--fill-roles <bool>', 'label trades taker/maker (default true)')
    .option('--skip <part>', 'budget or throughput')
    .action(
      action(async (ctx, flags: Record<string, unknown>) => {
        if (!(await benchIngest(ctx, flags))) process.exitCode = 1;
      }),
    );
  bench
    .command('soak')
    .description('pma run --follow for --minutes against a live simulator with faults: RSS, heap, fds, log size and lag sampled, then every fill checked in Silver once')
    .option('--minutes <n>', 'length of the soak, warm-up included (default 30)')
    .option('--warmup <n>', 'minutes not judged (default a third of the soak, at most 5)')
    .option('--sample-seconds <n>', 'seconds between samples (default 10)')
    .option('--markets <n>', 'markets of the static world (default 100)')
    .option('--trade-rate <n>', 'live fills per second (default 5)')
    .option('--market-every <s>', 'a market created, and one resolved, every this many seconds (default 3)')
    .option('--poll-interval <s>', "ingest's seconds between follow passes (default 10)")
    .option('--relist-interval <s>', "ingest's seconds between listings, which find new markets (default 30)")
    .option('--keep', 'keep the data directory of the run (a temporary one, otherwise removed)')
    .option('--json', 'print the report as JSON')
    .action(
      action(async (ctx, flags: Record<string, unknown>) => {
        if (!(await benchSoak(flags, ctx.signal))) process.exitCode = 1;
      }),
    );
  bench
    .command('chaos')
    .description('seeded chaos scenarios: the pipeline as real processes SIGKILLed on schedule, HTTP and storage faults, then the oracle (truth, no duplicate, Bronze offsets once, Silver = replay)')
    .option('--seed <n>', 'first seed; round r uses seed + r (default 1)')
    .option('--scenarios <list>', 'kills, faults-retry, disk-full, silver-deleted, bronze-deleted, log-truncated, log-overwritten (default all)')
    .option('--transports <list>', 'embedded, kafka (default embedded, and kafka when KAFKA_BROKERS and SCHEMA_REGISTRY_URL are set)')
    .option('--rounds <n>', 'times the scenario list is run (default 1)')
    .option('--kills <n>', 'SIGKILLs per scenario over ingest, process and both sinks (default 8)')
    .option('--disk-fulls <n>', 'times the disk fills in a disk-full scenario (default 2; needs root for a tmpfs)')
    .option('--bounce-broker', 'Kafka: stop and start the broker twice per scenario (stages ride it out within PMA_KAFKA_OUTAGE_MS)')
    .option('--kafka-brokers <list>', 'Kafka scenarios: bootstrap brokers (default $KAFKA_BROKERS)')
    .option('--kafka-registry <url>', 'Kafka scenarios: schema registry (default $SCHEMA_REGISTRY_URL)')
    .option('--readme <file>', "write the results table between the file's <!-- chaos:begin --> and <!-- chaos:end --> markers")
    .option('--json', 'print the results as JSON instead of a table')
    .action(
      action(async (ctx, flags: Record<string, unknown>) => {
        if (!(await benchChaos(ctx, flags))) process.exitCode = 1;
      }),
    );
  bench
    .command('freshness')
    .description('pma run --follow in its own process against a live simulator: seconds from a fill match to the log, Bronze and Silver (pma query), steady then burst')
    .option('--steady-seconds <s>', 'length of the steady phase (default 60)')
    .option('--burst-seconds <s>', 'length of the burst phase (default 30)')
    .option('--warmup-seconds <s>', 'seconds of following before measuring (default 10)')
    .option('--drain-seconds <s>', 'after the burst, at most this long for sampled fills still on their way (default 90)')
    .option('--rate <n>', 'fills per second in the steady phase (default 50)')
    .option('--burst-rate <n>', 'fills per second in the burst (default 1000)')
    .option('--markets <n>', 'synthetic markets in the world (default 200)')
    .option('--trades-per-market <n>', 'mean historical fills per market, i.e. the backfill before following (default 5)')
    .option('--history-days <n>', "days of history before the world's end (default 30)")
    .option('--poll-interval <s>', "the run's ingest poll interval (default: the run's own)")
    .option('--bronze-roll-ms <ms>', "the run's Bronze roll window (default 15000)")
    .option('--bronze-idle-ms <ms>', "the run's Bronze idle flush (default: the run's own)")
    .option('--samples <file>', 'write one JSON line per sampled fill row (match time, first seen per stage, fetch trigger)')
    .option('--json', 'print the result as JSON instead of a table')
    .action(
      action(async (ctx, flags: Record<string, unknown>) => {
        if (!(await benchFreshness(ctx, flags)).goals.every((g) => g.met)) process.exitCode = 1;
      }),
    );
}
