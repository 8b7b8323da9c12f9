/**
 * The one kafkajs `Kafka` instance of a transport: brokers, client id, bounded retries with
 * exponential backoff (so a broker that goes away and comes back within about half a minute is
 * reconnected to transparently, and one that stays away fails every call with an error), and our
 * logger.
 */
import kafkajs from 'kafkajs';
import { ConfigError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { kafkajsLogCreator } from './logging.ts';
import { filterKafkajsTimeoutWarning } from './warnings.ts';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Retries of one request before it fails: 300 ms doubling to 5 s, about 35 s in all by default. */
  retries?: number;
  /** Connecting to a broker must succeed within this many ms. Default 3,000. */
  connectionTimeoutMs?: number;
  /** A request must be answered within this many ms. Default 30,000. */
  requestTimeoutMs?: number;
}

export const DEFAULT_RETRY = { initialRetryTime: 300, maxRetryTime: 5_000, multiplier: 2, factor: 0.2, retries: 10 };

export function validateBrokers(brokers: string[]): string[] {
  if (brokers.length === 0) throw new ConfigError('no Kafka brokers given', { flag: '--brokers' });
  for (const b of brokers) {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:\s/]+):(\d{1,5})$/.exec(b);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65_535) {
      throw new ConfigError(`broker "${b}" is not host:port`, { flag: '--brokers', value: b });
    }
  }
  return brokers;
}

export function createKafkaClient(options: KafkaClientOptions): kafkajs.Kafka {
  filterKafkajsTimeoutWarning();
  return new kafkajs.Kafka({
    clientId: options.clientId,
    brokers: validateBrokers(options.brokers),
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: { ...DEFAULT_RETRY, retries: options.retries ?? DEFAULT_RETRY.retries },
    logLevel: kafkajs.logLevel.INFO,
    logCreator: kafkajsLogCreator(options.logger),
  });
}
