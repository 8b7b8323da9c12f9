/** The test broker between scenarios: its pipeline topics removed (the names are fixed, one pipeline per cluster), and bounced on demand. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadKafkaConfig } from '../../runtime/kafka-config.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { createKafkaTransport } from '../../transport/kafka/index.ts';

export interface KafkaTarget {
  brokers: string;
  registry: string;
  /** The broker's state dir (PMA_KAFKA_STATE), for bounces. */
  state?: string;
}

export function kafkaGlobal(k: KafkaTarget): string[] {
  return ['--transport', 'kafka', '--brokers', k.brokers, '--registry', k.registry];
}

export async function dropPipelineTopics(k: KafkaTarget): Promise<void> {
  // The stages' PMA_KAFKA_TOPIC_PREFIX: drop this pipeline's topics, never another's on a shared cluster.
  const transport = createKafkaTransport({ brokers: k.brokers.split(','), clientId: 'pma-chaos', logger: silentLogger, names: loadKafkaConfig({}, process.env) });
  try {
    const admin = transport.admin();
    const ours = (await admin.listTopics()).map((t) => t.name).filter((name) => name.startsWith('pma.'));
    if (ours.length > 0) await admin.deleteTopics(ours);
  } finally {
    await transport.close();
  }
}

const SCRIPT = join(import.meta.dirname, '..', '..', 'transport', 'kafka', 'broker', 'kafka.sh');
const run = promisify(execFile);

/** Stops the broker and starts it again on the same ports and log dir. */
export async function bounceBroker(k: KafkaTarget): Promise<void> {
  const env = { ...process.env, ...(k.state ? { PMA_KAFKA_STATE: k.state } : {}) };
  await run('bash', [SCRIPT, 'stop-broker'], { env });
  await run('bash', [SCRIPT, 'start-broker'], { env });
}
