/**
 * Opens the configured transport. Implementations are loaded on demand so the embedded default
 * never loads the Kafka client, and the reverse.
 */
import { join } from 'node:path';
import type { GlobalConfig } from '../runtime/config.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Transport } from './types.ts';

/** The embedded log's SQLite file inside a data dir. The embedded registry lives in it too. */
export function embeddedLogPath(dataDir: string): string {
  return join(dataDir, 'log.sqlite');
}

export async function openTransport(config: Pick<GlobalConfig, 'transport' | 'brokers' | 'dataDir'>, logger: Logger, clientId = 'pma'): Promise<Transport> {
  if (config.transport === 'kafka') {
    const { createKafkaTransport } = await import('./kafka/index.ts');
    return createKafkaTransport({ brokers: config.brokers, clientId, logger });
  }
  const { createEmbeddedTransport } = await import('./embedded/index.ts');
  return createEmbeddedTransport({ path: embeddedLogPath(config.dataDir), logger });
}
