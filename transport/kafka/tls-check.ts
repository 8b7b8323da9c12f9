/**
 * One TLS handshake with a bootstrap broker before the clients start. kafkajs retries every
 * connection error for the whole outage budget (two minutes by default): right for a broker that
 * restarts, but it turns a certificate the client will never trust into a two-minute hang. A
 * handshake refused for its certificate or TLS settings fails here at once; a broker that does
 * not answer is left to the clients' retries.
 */
import { isIP } from 'node:net';
import { type ConnectionOptions, connect, createSecureContext } from 'node:tls';
import { ConfigError, TransportError } from '../../runtime/errors.ts';

/** Errors of the network, not of TLS: the broker may be down or restarting. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

export async function checkBrokerTls(brokers: string[], ssl: ConnectionOptions, timeoutMs = 5_000): Promise<void> {
  try {
    createSecureContext(ssl);
  } catch (err) {
    throw new ConfigError(
      `kafkaTlsCa, kafkaTlsCert, kafkaTlsKey (PMA_KAFKA_TLS_CA, PMA_KAFKA_TLS_CERT, PMA_KAFKA_TLS_KEY): not a usable PEM CA, certificate and key: ${(err as Error).message}`,
      { field: 'kafkaTlsCa' },
      { cause: err },
    );
  }
  for (const broker of brokers) {
    const colon = broker.lastIndexOf(':');
    const host = broker.slice(0, colon).replace(/^\[|\]$/g, '');
    const failure = await handshake(host, Number(broker.slice(colon + 1)), ssl, timeoutMs);
    if (failure === 'ok') return;
    if (failure === 'unreachable') continue;
    const code = (failure as NodeJS.ErrnoException).code;
    const hint = code && /CERT|SIGNATURE|SELF_SIGNED|UNABLE_TO|ISSUER/.test(code) ? "; is kafkaTlsCa (PMA_KAFKA_TLS_CA) the CA that signed the broker's certificate?" : '';
    throw new TransportError(`TLS handshake with Kafka broker ${broker} failed: ${failure.message}${code ? ` (${code})` : ''}${hint}`, { broker, tlsError: code }, { cause: failure });
  }
}

function handshake(host: string, port: number, ssl: ConnectionOptions, timeoutMs: number): Promise<'ok' | 'unreachable' | Error> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, () => {
      socket.destroy();
      resolve('ok');
    });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      resolve('unreachable');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code && NETWORK_CODES.has(err.code) ? 'unreachable' : err));
  });
}
