/**
 * Where the secured-cluster suite finds the secured listeners of the kafka.sh broker
 * (`kafka.sh up` prints them beside KAFKA_BROKERS): SASL_SSL, SSL with client certificates and
 * SASL_PLAINTEXT, the user and password, the CA and a client certificate.
 */
export interface SecuredBroker {
  saslSsl: string;
  ssl: string;
  saslPlaintext: string;
  username: string;
  password: string;
  ca: string;
  clientCert: string;
  clientKey: string;
}

const VARIABLES = {
  saslSsl: 'KAFKA_SASL_SSL_BROKERS',
  ssl: 'KAFKA_SSL_BROKERS',
  saslPlaintext: 'KAFKA_SASL_PLAINTEXT_BROKERS',
  username: 'KAFKA_SASL_USERNAME',
  password: 'KAFKA_SASL_PASSWORD',
  ca: 'KAFKA_TLS_CA',
  clientCert: 'KAFKA_TLS_CLIENT_CERT',
  clientKey: 'KAFKA_TLS_CLIENT_KEY',
} as const;

export function securedBroker(env: NodeJS.ProcessEnv = process.env): { broker: SecuredBroker; missing?: undefined } | { broker?: undefined; missing: string } {
  const unset = Object.values(VARIABLES).filter((name) => !env[name]);
  if (unset.length > 0) return { missing: `${unset.join(', ')} not set (run \`npm run kafka:up\` and export the lines it prints)` };
  return { broker: Object.fromEntries(Object.entries(VARIABLES).map(([key, name]) => [key, env[name]])) as unknown as SecuredBroker };
}
