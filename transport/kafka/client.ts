/**
 * The one kafkajs `Kafka` instance of a transport: brokers, client id, bounded retries with
 * exponential backoff (300 ms doubling to 5 s) as many as cover the outage budget, so a broker
 * that restarts or goes away for up to `outageMs` (default 120 s, `PMA_KAFKA_OUTAGE_MS`) is
 * reconnected to transparently, and one that stays away longer fails every call with an error;
 * TLS and SASL when the cluster is secured; and our logger.
 */
import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import kafkajs from 'kafkajs';
import { ConfigError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { kafkajsLogCreator } from './logging.ts';
import type { KafkaSecurity } from './security.ts';
import { filterKafkajsTimeoutWarning } from './warnings.ts';

export interface KafkaClientOptions extends KafkaSecurity {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** How long a broker may be away before calls fail: sets the retries of one request. Default 120,000 ms. */
  outageMs?: number;
  /** Retries of one request before it fails (300 ms doubling to 5 s); overrides `outageMs`. */
  retries?: number;
  /** Connecting to a broker must succeed within this many ms. Default 3,000. */
  connectionTimeoutMs?: number;
  /** A request must be answered within this many ms. Default 30,000. */
  requestTimeoutMs?: number;
}

export const DEFAULT_RETRY = { initialRetryTime: 300, maxRetryTime: 5_000, multiplier: 2, factor: 0.2 };
export const DEFAULT_OUTAGE_MS = 120_000;

/** The retries whose backoff waits add up to at least `outageMs` (each wait shortened by up to the jitter). */
export function retriesFor(outageMs: number): number {
  let waited = 0;
  let wait = DEFAULT_RETRY.initialRetryTime;
  let retries = 0;
  while (waited < outageMs) {
    waited += wait * (1 - DEFAULT_RETRY.factor);
    wait = Math.min(wait * DEFAULT_RETRY.multiplier, DEFAULT_RETRY.maxRetryTime);
    retries++;
  }
  return retries;
}

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

/** The error the sockets of a released client end with; kafkajs logs it as a connection error. */
export const CLIENT_CLOSED = 'Kafka client closed';

/** A kafkajs client for one producer, consumer or admin, and the sockets it opened. */
export interface KafkaClient {
  readonly kafka: kafkajs.Kafka;
  /**
   * Destroys every socket the client still holds and refuses new ones. Called after kafkajs's
   * own disconnect: after a broker restart kafkajs can leave a connection behind (a heartbeat
   * of a restarted consumer reconnects a broker object it no longer tracks), which would keep
   * the process alive.
   */
  release(): void;
}

export function createKafkaClient(options: KafkaClientOptions): KafkaClient {
  filterKafkajsTimeoutWarning();
  const sockets = new Set<Socket>();
  let released = false;
  // Our own factory (not kafkajs's) so release() can reach every socket; it opens TLS the way
  // kafkajs's would, with SNI for a host name, when the client has `ssl`.
  const socketFactory: kafkajs.ISocketFactory = ({ host, port, ssl, onConnect }) => {
    const socket = ssl ? connectTls({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect) : connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    if (released) {
      queueMicrotask(() => socket.destroy(new Error(CLIENT_CLOSED)));
      return socket;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    return socket;
  };
  const kafka = new kafkajs.Kafka({
    clientId: options.clientId,
    brokers: validateBrokers(options.brokers),
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: { ...DEFAULT_RETRY, retries: options.retries ?? retriesFor(options.outageMs ?? DEFAULT_OUTAGE_MS) },
    logLevel: kafkajs.logLevel.INFO,
    logCreator: kafkajsLogCreator(options.logger),
    socketFactory,
    ...(options.ssl ? { ssl: options.ssl } : {}),
    ...(options.sasl ? { sasl: options.sasl } : {}),
  });
  return {
    kafka,
    release() {
      released = true;
      // kafkajs ended and unref'd the sockets it closed itself. The rest are destroyed with an
      // error: that is the event kafkajs listens to (not 'close') to fail its pending requests
      // and stop the connection's timers, which would otherwise keep the process alive.
      for (const socket of sockets) if (!socket.writableEnded) socket.destroy(new Error(CLIENT_CLOSED));
      sockets.clear();
    },
  };
}
