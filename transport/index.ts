/**
 * Opens the configured transport. Implementations are loaded on demand so the embedded default
 * never loads the Kafka client, and the reverse.
 */
import { join } from 'node:path';
import type { GlobalConfig } from '../runtime/config.ts';
import { ConfigError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import type { KafkaSecuritySettings } from './kafka/security.ts';
import type { Transport } from './types.ts';

/** The embedded log's SQLite file inside a data dir. The embedded registry lives in it too. */
export function embeddedLogPath(dataDir: string): string {
  return join(dataDir, 'log.sqlite');
}

/** `PMA_KAFKA_OUTAGE_MS`: how long Kafka clients ride out a broker that does not answer (default 120 s). */
export function kafkaOutageMs(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.PMA_KAFKA_OUTAGE_MS;
  if (raw === undefined || raw === '') return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 1_000)
    throw new ConfigError(`PMA_KAFKA_OUTAGE_MS must be a whole number of milliseconds, at least 1000 (got "${raw}")`, { field: 'PMA_KAFKA_OUTAGE_MS', value: raw });
  return ms;
}

export async function openTransport(
  config: Pick<GlobalConfig, 'transport' | 'brokers' | 'dataDir'> & Partial<Pick<GlobalConfig, 'kafka'>> & KafkaSecuritySettings,
  logger: Logger,
  clientId = 'pma',
): Promise<Transport> {
  if (config.transport === 'kafka') {
    const { createKafkaTransport } = await import('./kafka/index.ts');
    const { kafkaSecurity } = await import('./kafka/security.ts');
    return createKafkaTransport({ brokers: config.brokers, clientId, logger, outageMs: kafkaOutageMs(process.env), names: config.kafka, topics: config.kafka, ...(await kafkaSecurity(config)) });
  }
  const { createEmbeddedTransport } = await import('./embedded/index.ts');
  return createEmbeddedTransport({ path: embeddedLogPath(config.dataDir), logger });
}
