/** The settings of a secured Kafka cluster and registry: where they come from, how they must go together, and that no password is ever shown. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadGlobalConfig } from '../../runtime/config.ts';
import { redactUrl } from '../../runtime/secrets.ts';
import { tempDirPerTest } from '../temp-dir.ts';
import { configError } from './config-error.ts';

const SECRET = 'hunter2-secret';

describe('runtime/config: Kafka and registry security settings', () => {
  const tmp = tempDirPerTest('pma-config-security-');

  it('reads SASL, TLS and registry access from PMA_* variables', () => {
    const c = loadGlobalConfig(
      {},
      {
        PMA_TRANSPORT: 'kafka',
        PMA_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        PMA_KAFKA_SASL_USERNAME: 'pma',
        PMA_KAFKA_SASL_PASSWORD: SECRET,
        PMA_KAFKA_TLS: 'yes',
        PMA_KAFKA_TLS_CA: '/etc/ca.pem',
        PMA_REGISTRY: 'https://registry.example:8081',
        PMA_REGISTRY_USER: 'reg',
        PMA_REGISTRY_PASSWORD: SECRET,
        PMA_REGISTRY_TLS_CA: '/etc/registry-ca.pem',
      },
    );
    expect(c).to.include({ kafkaSaslMechanism: 'scram-sha-512', kafkaSaslUsername: 'pma', kafkaSaslPassword: SECRET, kafkaTls: true, kafkaTlsCa: '/etc/ca.pem' });
    expect(c).to.include({ registryUser: 'reg', registryPassword: SECRET, registryTlsCa: '/etc/registry-ca.pem' });
  });

  it('reads them from the config file, the variables winning', () => {
    const file = join(tmp.path, 'pma.yaml');
    writeFileSync(file, 'kafkaSaslMechanism: plain\nkafkaSaslUsername: a\nkafkaSaslPassword: b\nkafkaTlsCert: /c.pem\nkafkaTlsKey: /k.pem\n');
    const c = loadGlobalConfig({ config: file }, { PMA_KAFKA_SASL_USERNAME: 'from-env' });
    expect(c).to.include({ kafkaSaslMechanism: 'plain', kafkaSaslUsername: 'from-env', kafkaSaslPassword: 'b', kafkaTlsCert: '/c.pem', kafkaTlsKey: '/k.pem' });
  });

  it('refuses settings that do not go together, naming the variable to set', () => {
    const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{ PMA_KAFKA_SASL_MECHANISM: 'scram-sha-256' }, /PMA_KAFKA_SASL_USERNAME.*required/],
      [{ PMA_KAFKA_SASL_MECHANISM: 'scram-sha-256', PMA_KAFKA_SASL_USERNAME: 'u' }, /PMA_KAFKA_SASL_PASSWORD.*required/],
      [{ PMA_KAFKA_SASL_USERNAME: 'u', PMA_KAFKA_SASL_PASSWORD: 'p' }, /PMA_KAFKA_SASL_MECHANISM.*must be given/],
      [{ PMA_KAFKA_SASL_MECHANISM: 'gssapi', PMA_KAFKA_SASL_USERNAME: 'u', PMA_KAFKA_SASL_PASSWORD: 'p' }, /^PMA_KAFKA_SASL_MECHANISM: .*scram-sha-512/],
      [{ PMA_KAFKA_TLS_CERT: '/c.pem' }, /PMA_KAFKA_TLS_KEY.*required/],
      [{ PMA_KAFKA_TLS: 'off', PMA_KAFKA_TLS_CA: '/ca.pem' }, /PMA_KAFKA_TLS.*is off/],
      [{ PMA_KAFKA_TLS: 'maybe' }, /^PMA_KAFKA_TLS: /],
      [{ PMA_REGISTRY_USER: 'u' }, /PMA_REGISTRY_PASSWORD.*required/],
      [{ PMA_REGISTRY: 'http://u:p@reg:8081', PMA_REGISTRY_USER: 'u', PMA_REGISTRY_PASSWORD: 'p' }, /PMA_REGISTRY_USER.*URL holds a user/],
      [{ PMA_REGISTRY: 'http://reg:8081', PMA_REGISTRY_TLS_CA: '/ca.pem' }, /PMA_REGISTRY_TLS_CA.*https/],
    ];
    for (const [env, message] of cases) expect(configError(() => loadGlobalConfig({}, env)).message, JSON.stringify(env)).to.match(message);
  });

  it('never shows a password: not a password setting, not the password in a registry URL', () => {
    const bad = configError(() => loadGlobalConfig({}, { PMA_REGISTRY: `http://user:${SECRET}@registry host:8081` }));
    expect(bad.message).to.contain('user:***@registry host');
    const file = join(tmp.path, 'pma.json');
    writeFileSync(file, JSON.stringify({ kafkaSaslMechanism: 'plain', kafkaSaslUsername: 'u', kafkaSaslPassword: { value: SECRET } }));
    const wrongType = configError(() => loadGlobalConfig({ config: file }, {}));
    expect(wrongType.message).to.match(/kafkaSaslPassword/);
    for (const err of [bad, wrongType]) {
      expect(err.message).not.to.contain(SECRET);
      expect(JSON.stringify(err.context)).not.to.contain(SECRET);
    }
  });

  it('redacts the password of any URL in a text, and leaves the rest alone', () => {
    expect(redactUrl(`GET https://u:${SECRET}@host:8081/subjects failed`)).to.equal('GET https://u:***@host:8081/subjects failed');
    expect(redactUrl('http://user@host:8081 and http://host:8081/a:b@c')).to.equal('http://user@host:8081 and http://host:8081/a:b@c');
  });
});
