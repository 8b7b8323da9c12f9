/**
 * `pma bench transport --clients` on a real broker, on a few records: every client (kafkajs
 * through our transport, @platformatic/kafka, Java's perf tools) is measured, and every Node
 * client hands back exactly the records produced, decoded through the serde.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { formatClientComparison, parseClients, runClientComparison } from '../../bench/kafka-clients/compare.ts';
import { kafkajsClient } from '../../bench/kafka-clients/kafkajs.ts';
import { platformaticClient } from '../../bench/kafka-clients/platformatic.ts';
import { runJavaPerf } from '../../bench/kafka-java.ts';
import { BENCH_TRADE_SCHEMA, type BenchTrade } from '../../bench/transport.ts';
import { EmbeddedRegistry } from '../../registry/embedded.ts';
import { Serde } from '../../registry/serde.ts';
import { BenchError } from '../../runtime/errors.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { createKafkaTransport } from '../../transport/kafka/index.ts';
import { describeNeeding } from '../prerequisite.ts';
import { type KafkaTestEnv, kafkaAvailability } from '../transport/kafka/broker.ts';

const { env: found, missing } = await kafkaAvailability();
const env = found as KafkaTestEnv;

describeNeeding('bench/kafka-clients (real broker)', missing, function () {
  this.timeout(300_000);

  it('measures kafkajs, platformatic and Java on one broker, and each Node client reads back every record it produced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pma-bench-clients-test-'));
    const registry = new EmbeddedRegistry({ path: join(dir, 'log.sqlite') });
    const transport = createKafkaTransport({ brokers: env.brokers, clientId: 'pma-bench-clients-test', logger: silentLogger });
    try {
      const codec = await new Serde(registry).codec<BenchTrade>('bench-clients-test', BENCH_TRADE_SCHEMA as unknown as Record<string, unknown>);
      const records = 3_000;
      const options = { records, batch: 500, partitions: 3, inflight: 2, idleMs: 60_000 };
      const java = (recordBytes: number) => runJavaPerf(transport, env.brokers, { records, recordBytes, partitions: 3, topicPrefix: '' }, silentLogger);
      const result = await runClientComparison(transport, codec, [kafkajsClient(transport), platformaticClient(env.brokers)], java, options, '', silentLogger);

      expect(result.runs.map((r) => r.client)).to.deep.equal(['kafkajs', 'platformatic']);
      expect(result.expected.records).to.equal(records);
      for (const run of result.runs) {
        expect(run.consumed, run.client).to.equal(records);
        expect(run.checksum, run.client).to.equal(result.expected.checksum);
        expect(run.mismatched, run.client).to.equal(0);
        for (const rate of [run.produce, run.consume]) {
          expect(rate.records, run.client).to.equal(records);
          expect(rate.bytes, run.client).to.be.greaterThan(0);
          expect(rate.seconds, run.client).to.be.greaterThan(0);
        }
      }
      expect(result.recordBytes).to.be.within(250, 450);
      const j = result.java!;
      for (const rate of [j.producerDefaults, j.producerTuned, j.consumer, j.consumerFetch]) {
        expect(rate.recordsPerSecond, rate.label).to.be.greaterThan(0);
        expect(rate.mbPerSecond, rate.label).to.be.greaterThan(0);
      }
      const table = formatClientComparison(result);
      expect(table).to.contain('kafkajs').and.contain('platformatic').and.contain('Java consumer (whole run)').and.contain('of Java');
      expect(table).not.to.match(/ NO$/m);
    } finally {
      await transport.close();
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bench/kafka-clients --clients', () => {
  it('takes known client names in the order given, once each, and refuses others', () => {
    expect(parseClients('platformatic, java,kafkajs,java')).to.deep.equal(['platformatic', 'java', 'kafkajs']);
    expect(() => parseClients('kafkajs,rdkafka')).to.throw(BenchError, /kafkajs, platformatic, confluent, java/);
    expect(() => parseClients(' , ')).to.throw(BenchError);
  });
});
