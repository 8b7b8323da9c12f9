/**
 * The Java client's own perf tools (ProducerPerformance, ConsumerPerformance from kafka-tools,
 * fetched by transport/kafka/broker/kafka.sh) run against the same broker in the same run as
 * `pma bench transport --transport kafka`, with the same record count, record size and
 * partitions; the ratio of our rates to theirs is the figure that counts.
 *
 * The producer runs twice: with the client's defaults (16 KB batches, linger 5 ms) and tuned like
 * our producer (256 KB batches, linger 20 ms); both idempotent with acks=all.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TransportError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Transport } from '../transport/types.ts';

const exec = promisify(execFile);
const KAFKA_SH = join(new URL('..', import.meta.url).pathname, 'transport/kafka/broker/kafka.sh');

export interface JavaRate {
  label: string;
  recordsPerSecond: number;
  mbPerSecond: number;
}

export interface JavaPerfResult {
  producerDefaults: JavaRate;
  producerTuned: JavaRate;
  /** Whole run, group join included (as our consume phase is measured). */
  consumer: JavaRate;
  /** Fetch phase only, as ConsumerPerformance reports it. */
  consumerFetch: JavaRate;
}

async function tool(args: string[]): Promise<string> {
  try {
    const { stdout } = await exec('bash', [KAFKA_SH, 'tool', ...args], { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new TransportError(`Java perf tool ${args[0]} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' | ')}`, {});
  }
}

/** "1000000 records sent, 363504.18 records/sec (86.67 MB/sec), ..." */
function parseProducer(label: string, out: string): JavaRate {
  const m = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)[^\n]*\d+(?:\.\d+)? ms 99\.9th/.exec(out);
  if (!m) throw new TransportError(`cannot read ProducerPerformance output: ${out.trim().split('\n').pop()}`, {});
  return { label, recordsPerSecond: Number(m[2]), mbPerSecond: Number(m[3]) };
}

/** The CSV line under "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...". */
function parseConsumer(out: string): { whole: JavaRate; fetch: JavaRate } {
  const lines = out.trim().split('\n');
  const header = lines.findIndex((l) => l.startsWith('start.time'));
  const names = lines[header]?.split(',').map((s) => s.trim());
  const values = lines[header + 1]?.split(',').map((s) => s.trim());
  if (!names || !values) throw new TransportError(`cannot read ConsumerPerformance output: ${lines.pop()}`, {});
  const get = (name: string) => Number(values[names.indexOf(name)]);
  return {
    whole: { label: 'Java consumer (whole run)', recordsPerSecond: get('nMsg.sec'), mbPerSecond: get('MB.sec') },
    fetch: { label: 'Java consumer (fetch only)', recordsPerSecond: get('fetch.nMsg.sec'), mbPerSecond: get('fetch.MB.sec') },
  };
}

export async function runJavaPerf(
  transport: Transport,
  brokers: string[],
  options: { records: number; recordBytes: number; partitions: number; topicPrefix: string },
  logger: Logger,
): Promise<JavaPerfResult> {
  const topic = `pma.bench.java.${randomUUID().slice(0, 8)}`;
  // The Java tools talk to the broker directly: they need the name our transport gives the topic there.
  const wireTopic = `${options.topicPrefix}${topic}`;
  const bootstrap = `bootstrap.servers=${brokers.join(',')}`;
  const size = String(Math.round(options.recordBytes));
  const records = String(options.records);
  await transport.admin().createTopics([{ name: topic, partitions: options.partitions }]);
  try {
    const produce = (extra: string[]) =>
      tool([
        'org.apache.kafka.tools.ProducerPerformance',
        '--topic',
        wireTopic,
        '--num-records',
        records,
        '--record-size',
        size,
        '--throughput',
        '-1',
        '--command-property',
        bootstrap,
        'acks=all',
        'enable.idempotence=true',
        ...extra,
      ]);
    logger.info('bench transport: Java ProducerPerformance, defaults', { topic });
    const producerDefaults = parseProducer('Java producer (defaults)', await produce([]));
    logger.info('bench transport: Java ProducerPerformance, 256 KB batches', { topic });
    const producerTuned = parseProducer('Java producer (batch 256 KB, linger 20 ms)', await produce(['batch.size=262144', 'linger.ms=20']));
    logger.info('bench transport: Java ConsumerPerformance', { topic });
    const consumed = parseConsumer(
      await tool([
        'org.apache.kafka.tools.ConsumerPerformance',
        '--bootstrap-server',
        brokers.join(','),
        '--topic',
        wireTopic,
        '--num-records',
        records,
        '--group',
        `pma-bench-java-${randomUUID().slice(0, 8)}`,
        '--timeout',
        '60000',
      ]),
    );
    return { producerDefaults, producerTuned, consumer: consumed.whole, consumerFetch: consumed.fetch };
  } finally {
    await transport
      .admin()
      .deleteTopics([topic])
      .catch((err) => logger.warn('bench transport: could not delete the Java topic', { topic, err }));
  }
}

/** Our produce and consume rates beside the Java client's, with the ratios. */
export function formatJavaComparison(ours: { produce: number; consume: number }, java: JavaPerfResult): string {
  const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)}%`;
  const row = (label: string, rate: number, mb: number, ratio: string) =>
    `  ${label.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} rec/s ${mb.toFixed(1).padStart(7)} MB/s   ${ratio}`;
  const produceGoal = ours.produce >= 0.5 * java.producerTuned.recordsPerSecond;
  const consumeGoal = ours.consume >= 0.5 * java.consumer.recordsPerSecond;
  return [
    'the Java client on the same broker, same records, size and partitions (kafka-tools perf tools):',
    row(java.producerDefaults.label, java.producerDefaults.recordsPerSecond, java.producerDefaults.mbPerSecond, `pma produce = ${pct(ours.produce, java.producerDefaults.recordsPerSecond)}`),
    row(java.producerTuned.label, java.producerTuned.recordsPerSecond, java.producerTuned.mbPerSecond, `pma produce = ${pct(ours.produce, java.producerTuned.recordsPerSecond)}`),
    row(java.consumer.label, java.consumer.recordsPerSecond, java.consumer.mbPerSecond, `pma consume = ${pct(ours.consume, java.consumer.recordsPerSecond)}`),
    row(java.consumerFetch.label, java.consumerFetch.recordsPerSecond, java.consumerFetch.mbPerSecond, `pma consume = ${pct(ours.consume, java.consumerFetch.recordsPerSecond)}`),
    `goal >= 50% of the Java client (tuned producer, whole-run consumer): produce ${produceGoal ? 'met' : 'MISSED'}, consume ${consumeGoal ? 'met' : 'MISSED'}`,
  ].join('\n');
}
