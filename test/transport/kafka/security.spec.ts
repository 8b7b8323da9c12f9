/** The kafkajs TLS and SASL options from the settings, and a CA, certificate or key file that cannot be read. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigError } from '../../../runtime/errors.ts';
import { kafkaSecurity } from '../../../transport/kafka/security.ts';
import { tempDirPerTest } from '../../temp-dir.ts';

// Nothing listens on port 1: the TLS handshake check leaves an unreachable broker to the clients.
const brokers = ['127.0.0.1:1'];

describe('transport/kafka/security', () => {
  const tmp = tempDirPerTest('pma-kafka-security-');

  it('gives plain TCP and no SASL when nothing is set, SASL alone when only SASL is', async () => {
    expect(await kafkaSecurity({ brokers })).to.deep.equal({});
    expect(await kafkaSecurity({ brokers, kafkaSaslMechanism: 'scram-sha-256', kafkaSaslUsername: 'u', kafkaSaslPassword: 'p' })).to.deep.equal({
      sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
    });
  });

  it('turns TLS on for a CA, certificate or key, and refuses files that are not PEM naming the settings', async () => {
    expect(await kafkaSecurity({ brokers, kafkaTls: true })).to.deep.equal({ ssl: {} });
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(tmp.path, name), 'not PEM\n');
    const err = await kafkaSecurity({ brokers, kafkaTlsCa: join(tmp.path, 'ca.pem'), kafkaTlsCert: join(tmp.path, 'cert.pem'), kafkaTlsKey: join(tmp.path, 'key.pem') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err)
      .to.be.instanceOf(ConfigError)
      .with.property('message')
      .that.matches(/PMA_KAFKA_TLS_CA.*not a usable PEM/);
  });

  it('refuses a file it cannot read with PMA_ERR_CONFIG, the path and the setting', async () => {
    for (const [key, variable] of [
      ['kafkaTlsCa', 'PMA_KAFKA_TLS_CA'],
      ['kafkaTlsCert', 'PMA_KAFKA_TLS_CERT'],
      ['kafkaTlsKey', 'PMA_KAFKA_TLS_KEY'],
    ] as const) {
      const path = join(tmp.path, `missing-${key}.pem`);
      const err = await kafkaSecurity({ brokers, [key]: path }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, key).to.be.instanceOf(ConfigError).with.property('code', 'PMA_ERR_CONFIG');
      expect((err as Error).message, key)
        .to.contain(path)
        .and.to.contain(variable)
        .and.to.contain('ENOENT');
      expect((err as ConfigError).context).to.include({ path });
    }
  });
});
