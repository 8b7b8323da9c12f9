/**
 * The global settings that reach a secured Kafka cluster (SASL, TLS) and a schema registry
 * behind basic auth or a private CA. Flat keys so each has its `PMA_*` variable; no flags, as a
 * password on the command line would show in `ps`.
 */
import { z } from 'zod';
import { booleanish } from './config-values.ts';

const path = z.string().trim().min(1);

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export const securitySettings = {
  kafkaSaslMechanism: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(SASL_MECHANISMS)).optional(),
  kafkaSaslUsername: z.string().min(1).optional(),
  kafkaSaslPassword: z.string().min(1).optional(),
  /** Defaults to on when a CA, certificate or key is given. */
  kafkaTls: booleanish.optional(),
  kafkaTlsCa: path.optional(),
  kafkaTlsCert: path.optional(),
  kafkaTlsKey: path.optional(),
  registryUser: z.string().min(1).optional(),
  registryPassword: z.string().min(1).optional(),
  registryTlsCa: path.optional(),
};

export const SECURITY_KEYS = {
  kafkaSaslMechanism: { env: 'PMA_KAFKA_SASL_MECHANISM' },
  kafkaSaslUsername: { env: 'PMA_KAFKA_SASL_USERNAME' },
  kafkaSaslPassword: { env: 'PMA_KAFKA_SASL_PASSWORD' },
  kafkaTls: { env: 'PMA_KAFKA_TLS' },
  kafkaTlsCa: { env: 'PMA_KAFKA_TLS_CA' },
  kafkaTlsCert: { env: 'PMA_KAFKA_TLS_CERT' },
  kafkaTlsKey: { env: 'PMA_KAFKA_TLS_KEY' },
  registryUser: { env: 'PMA_REGISTRY_USER' },
  registryPassword: { env: 'PMA_REGISTRY_PASSWORD' },
  registryTlsCa: { env: 'PMA_REGISTRY_TLS_CA' },
} as const;

type SecurityKey = keyof typeof SECURITY_KEYS;

/** TLS to the brokers: asked for, or implied by a CA, certificate or key. */
export function kafkaTlsOn(s: { kafkaTls?: boolean; kafkaTlsCa?: string; kafkaTlsCert?: string; kafkaTlsKey?: string }): boolean {
  return s.kafkaTls ?? (s.kafkaTlsCa ?? s.kafkaTlsCert ?? s.kafkaTlsKey) !== undefined;
}
type Settings = { [K in SecurityKey]?: unknown } & { registry?: string };

const named = (key: SecurityKey) => `${key} (${SECURITY_KEYS[key].env})`;

/** Settings that only make sense together; each issue is reported on the key to fix. */
export function checkSecurity(s: Settings, ctx: z.RefinementCtx): void {
  const issue = (key: SecurityKey | 'registry', message: string) => ctx.addIssue({ code: 'custom', path: [key], message });
  if (s.kafkaSaslMechanism !== undefined) {
    if (s.kafkaSaslUsername === undefined) issue('kafkaSaslUsername', `${named('kafkaSaslUsername')} is required with a SASL mechanism`);
    else if (s.kafkaSaslPassword === undefined) issue('kafkaSaslPassword', `${named('kafkaSaslPassword')} is required with a SASL mechanism`);
  } else if (s.kafkaSaslUsername !== undefined || s.kafkaSaslPassword !== undefined) {
    issue('kafkaSaslMechanism', `${named('kafkaSaslMechanism')} must be given with a SASL username or password (${SASL_MECHANISMS.join(', ')})`);
  }
  if ((s.kafkaTlsCert === undefined) !== (s.kafkaTlsKey === undefined)) {
    const missing = s.kafkaTlsCert === undefined ? 'kafkaTlsCert' : 'kafkaTlsKey';
    issue(missing, `${named(missing)} is required: a client certificate and its key come together`);
  }
  if (s.kafkaTls === false && (s.kafkaTlsCa ?? s.kafkaTlsCert ?? s.kafkaTlsKey) !== undefined) {
    issue('kafkaTls', `${named('kafkaTls')} is off but a TLS CA, certificate or key is given`);
  }
  if ((s.registryUser === undefined) !== (s.registryPassword === undefined)) {
    const missing = s.registryUser === undefined ? 'registryUser' : 'registryPassword';
    issue(missing, `${named(missing)} is required: registry basic auth needs a user and a password`);
  }
  if (s.registryUser !== undefined && s.registry !== undefined && /^https?:\/\/[^/]*@/.test(s.registry)) {
    issue('registryUser', `${named('registryUser')} is given and the registry URL holds a user too: give one of them`);
  }
  if (s.registryTlsCa !== undefined && s.registry !== undefined && !s.registry.startsWith('https://')) {
    issue('registryTlsCa', `${named('registryTlsCa')} applies to an https:// registry only`);
  }
}
