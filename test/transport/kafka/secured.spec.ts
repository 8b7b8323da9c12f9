/**
 * The Kafka transport on a secured cluster (the kafka.sh broker's extra listeners): produce and
 * consume over SASL_SSL with SCRAM-SHA-256 and SCRAM-SHA-512 and a private CA, over TLS with a
 * client certificate, and with SASL PLAIN without TLS; a wrong password and a CA that did not
 * sign the broker's certificate fail at once with an error saying so, not after the outage budget.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { GlobalConfig } from '../../../runtime/config.ts';
import { TransportError } from '../../../runtime/errors.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import { openTransport } from '../../../transport/index.ts';
import type { Transport } from '../../../transport/types.ts';
import { describeNeeding } from '../../prerequisite.ts';
import { uniqueTopic } from './broker.ts';
import { type SecuredBroker, securedBroker } from './secured-broker.ts';

const { broker: found, missing } = securedBroker();
const broker = found as SecuredBroker;
/** Well below the two-minute outage budget a connection error would be retried for. */
const FAIL_WITHIN_MS = 15_000;

type Access = Partial<Pick<GlobalConfig, 'kafkaSaslMechanism' | 'kafkaSaslUsername' | 'kafkaSaslPassword' | 'kafkaTls' | 'kafkaTlsCa' | 'kafkaTlsCert' | 'kafkaTlsKey'>>;

describeNeeding('Kafka transport on a secured cluster (SASL, TLS)', missing, function () {
  this.timeout(120_000);
  let dataDir: string;
  const open: Transport[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'pma-kafka-secured-'));
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function connect(brokers: string, access: Access): Promise<Transport> {
    const transport = await openTransport({ transport: 'kafka', brokers: [brokers], dataDir, ...access }, silentLogger, 'pma-secured-test');
    open.push(transport);
    return transport;
  }

  /** Creates a topic, sends three records and reads them back through a consumer group. */
  async function roundTrip(transport: Transport): Promise<string[]> {
    const topic = uniqueTopic('secured');
    await transport.admin().createTopics([{ name: topic, partitions: 1 }]);
    const sent = ['a', 'b', 'c'];
    await transport.producer().send(
      topic,
      sent.map((v) => ({ key: Buffer.from(v), value: Buffer.from(`value-${v}`) })),
    );
    const consumer = transport.consumer({ groupId: uniqueTopic('secured-group'), fromBeginning: true });
    await consumer.subscribe([topic]);
    const seen: string[] = [];
    const deadline = Date.now() + 60_000;
    while (seen.length < sent.length && Date.now() < deadline) {
      for (const batch of await consumer.poll({ waitMs: 1_000 })) for (const r of batch.records) seen.push(String(r.value));
    }
    return seen;
  }

  const sasl = (mechanism: Access['kafkaSaslMechanism'], password = broker.password): Access => ({
    kafkaSaslMechanism: mechanism,
    kafkaSaslUsername: broker.username,
    kafkaSaslPassword: password,
  });

  for (const mechanism of ['scram-sha-256', 'scram-sha-512'] as const) {
    it(`produces and consumes over SASL_SSL with ${mechanism.toUpperCase()} and the CA`, async () => {
      const transport = await connect(broker.saslSsl, { ...sasl(mechanism), kafkaTlsCa: broker.ca });
      expect(await roundTrip(transport)).to.deep.equal(['value-a', 'value-b', 'value-c']);
    });
  }

  it('produces and consumes over TLS with a client certificate, and with SASL PLAIN without TLS', async () => {
    const mtls = await connect(broker.ssl, { kafkaTlsCa: broker.ca, kafkaTlsCert: broker.clientCert, kafkaTlsKey: broker.clientKey });
    expect(await roundTrip(mtls)).to.deep.equal(['value-a', 'value-b', 'value-c']);
    const plain = await connect(broker.saslPlaintext, sasl('plain'));
    expect(await roundTrip(plain)).to.deep.equal(['value-a', 'value-b', 'value-c']);
  });

  it('fails at once with an authentication error on a wrong password', async () => {
    const started = Date.now();
    const transport = await connect(broker.saslSsl, { ...sasl('scram-sha-512', 'not-the-password'), kafkaTlsCa: broker.ca });
    const err = await transport
      .admin()
      .listTopics()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).to.be.instanceOf(TransportError);
    expect((err as Error).message).to.match(/SASL SCRAM SHA512 authentication failed.*invalid credentials/);
    expect((err as Error).message).not.to.contain('not-the-password');
    expect(Date.now() - started).to.be.below(FAIL_WITHIN_MS);
  });

  it('fails at once naming the certificate when the CA did not sign the broker certificate', async () => {
    const started = Date.now();
    // The system's CAs: a cluster's private CA not given.
    const err = await connect(broker.saslSsl, { ...sasl('scram-sha-256'), kafkaTls: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(TransportError);
    expect((err as Error).message).to.match(/TLS handshake with Kafka broker .* failed: .*certificate.*PMA_KAFKA_TLS_CA/);
    expect(Date.now() - started).to.be.below(FAIL_WITHIN_MS);
  });
});
