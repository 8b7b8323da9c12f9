/**
 * The kafkajs `ssl` and `sasl` options from the global settings: TLS with an optional private CA
 * and client certificate, SASL PLAIN or SCRAM, or both (SASL_SSL). Files are read here, once per
 * transport, so a missing one fails at start with the path and the setting that named it; with
 * TLS on, one handshake with a bootstrap broker fails at once on a certificate never trusted.
 */
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { GlobalConfig } from '../../runtime/config.ts';
import { kafkaTlsOn } from '../../runtime/config-security.ts';
import { readSettingFile } from '../../runtime/secret-file.ts';
import { checkBrokerTls } from './tls-check.ts';

export type KafkaSecuritySettings = Pick<GlobalConfig, 'brokers' | 'kafkaSaslMechanism' | 'kafkaSaslUsername' | 'kafkaSaslPassword' | 'kafkaTls' | 'kafkaTlsCa' | 'kafkaTlsCert' | 'kafkaTlsKey'>;

export interface KafkaSecurity {
  /** TLS options for every broker connection; undefined for plain TCP. */
  ssl?: ConnectionOptions;
  sasl?: SASLOptions;
}

export async function kafkaSecurity(s: KafkaSecuritySettings): Promise<KafkaSecurity> {
  const ssl: ConnectionOptions | undefined = kafkaTlsOn(s)
    ? {
        ...(s.kafkaTlsCa ? { ca: readSettingFile(s.kafkaTlsCa, 'kafkaTlsCa (PMA_KAFKA_TLS_CA)') } : {}),
        ...(s.kafkaTlsCert ? { cert: readSettingFile(s.kafkaTlsCert, 'kafkaTlsCert (PMA_KAFKA_TLS_CERT)') } : {}),
        ...(s.kafkaTlsKey ? { key: readSettingFile(s.kafkaTlsKey, 'kafkaTlsKey (PMA_KAFKA_TLS_KEY)') } : {}),
      }
    : undefined;
  // config.ts has checked that a mechanism comes with a username and a password.
  const sasl: SASLOptions | undefined =
    s.kafkaSaslMechanism && s.kafkaSaslUsername && s.kafkaSaslPassword ? { mechanism: s.kafkaSaslMechanism, username: s.kafkaSaslUsername, password: s.kafkaSaslPassword } : undefined;
  if (ssl) await checkBrokerTls(s.brokers, ssl);
  return { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}
