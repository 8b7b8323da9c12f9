/** The `--clients` branch of `pma bench transport`: builds the named clients, runs, prints. */
import type { TopicCodec } from '../../registry/serde.ts';
import { BenchError } from '../../runtime/errors.ts';
import type { Transport } from '../../transport/types.ts';
import type { BenchEnv } from '../env.ts';
import { runJavaPerf } from '../kafka-java.ts';
import type { BenchTrade } from '../transport.ts';
import { type ClientCompareOptions, type ClientName, clientsReadingWrong, formatClientComparison, parseClients, runClientComparison } from './compare.ts';
import { kafkajsClient } from './kafkajs.ts';
import type { BenchClient } from './types.ts';

/** A consumer that gets nothing for this long has lost records, not fallen behind. */
const IDLE_MS = 60_000;

async function nodeClient(name: Exclude<ClientName, 'java'>, transport: Transport, brokers: string[]): Promise<BenchClient> {
  if (name === 'kafkajs') return kafkajsClient(transport);
  // The others are loaded only when asked for: the plain bench and the transport never need them.
  if (name === 'platformatic') return (await import('./platformatic.ts')).platformaticClient(brokers);
  return (await import('./confluent.ts')).confluentClient(brokers);
}

export async function benchKafkaClients(
  env: BenchEnv,
  transport: Transport,
  codec: TopicCodec<BenchTrade>,
  settings: Omit<ClientCompareOptions, 'idleMs'> & { clients: string; json: boolean },
): Promise<void> {
  if (transport.kind !== 'kafka') throw new BenchError('--clients compares Kafka clients: run it with --transport kafka', { transport: transport.kind });
  const names = parseClients(settings.clients);
  const brokers = env.config.brokers;
  const topicPrefix = env.config.kafka.topicPrefix;
  const clients = await Promise.all(names.filter((n): n is Exclude<ClientName, 'java'> => n !== 'java').map((n) => nodeClient(n, transport, brokers)));
  const java = names.includes('java')
    ? (recordBytes: number) => runJavaPerf(transport, brokers, { records: settings.records, recordBytes, partitions: settings.partitions, topicPrefix }, env.logger)
    : undefined;
  const options = { records: settings.records, batch: settings.batch, partitions: settings.partitions, inflight: settings.inflight, idleMs: IDLE_MS };
  const result = await runClientComparison(transport, codec, clients, java, options, topicPrefix, env.logger);
  process.stdout.write(settings.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatClientComparison(result)}\n`);
  const wrong = clientsReadingWrong(result);
  if (wrong.length > 0) throw new BenchError(`clients ${wrong.join(', ')} read back different records than were produced`, { clients: wrong.join(',') });
}
