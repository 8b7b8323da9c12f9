/**
 * `pma run --transport kafka --source sim` against the real broker: it must finish (a caught-up
 * check that waited for a position Kafka only sets after a first fetch never ended), and land the
 * same Silver as the embedded log does for the same simulated world.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { silentLogger } from '../../runtime/logger.ts';
import { createKafkaTransport } from '../../transport/kafka/index.ts';
import { describeNeeding } from '../prerequisite.ts';
import { silverCounts } from '../sinks/silver/compare.ts';
import { type KafkaTestEnv, kafkaAvailability } from '../transport/kafka/broker.ts';

const PMA = fileURLToPath(new URL('../../cli/pma.ts', import.meta.url));
const { env: found, missing } = await kafkaAvailability();
const env = found as KafkaTestEnv;

function pma(args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [PMA, ...args], { env: { ...process.env, PMA_LOG_LEVEL: 'warn' }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describeNeeding('pma run on Kafka (real broker)', missing, function () {
  this.timeout(600_000);
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-run-kafka-'));
    // Topic names are fixed (one pipeline per cluster): an earlier run's topics would hold another
    // world, so the test broker starts this test without them.
    const transport = createKafkaTransport({ brokers: env.brokers, clientId: 'pma-run-kafka-test', logger: silentLogger });
    try {
      const admin = transport.admin();
      const ours = (await admin.listTopics()).map((t) => t.name).filter((name) => name.startsWith('pma.'));
      if (ours.length > 0) await admin.deleteTopics(ours);
    } finally {
      await transport.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finishes, and its Silver equals the embedded run of the same world', async () => {
    const world = ['run', '--source', 'sim', '--sim-markets', '6', '--no-gold'];
    const kafkaArgs = ['--transport', 'kafka', '--brokers', env.brokers.join(','), ...(env.registryUrl ? ['--registry', env.registryUrl] : [])];
    const onKafka = await pma(['--data-dir', join(dir, 'kafka'), ...kafkaArgs, ...world], 420_000);
    expect(onKafka.code, onKafka.stderr).to.equal(0);
    expect(onKafka.stdout).to.match(/pma run finished in \d+ s \(simulator\)/);
    const embedded = await pma(['--data-dir', join(dir, 'embedded'), ...world], 170_000);
    expect(embedded.code, embedded.stderr).to.equal(0);
    const kafka = await silverCounts(join(dir, 'kafka', 'silver.duckdb'));
    expect(kafka.TradeFact).to.be.greaterThan(0);
    expect(kafka).to.deep.equal(await silverCounts(join(dir, 'embedded', 'silver.duckdb')));
  });
});
