/**
 * Issue 15, finding 5, on the real broker: a new Silver file on a cluster where the Silver
 * consumer group already committed everything must still fill from the log's start (Silver's own
 * offsets are the truth, not the group's), and its `--until-caught-up` must end.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import { HttpRegistry } from '../../registry/http.ts';
import { Serde } from '../../registry/serde.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { ALL_TOPICS } from '../../schemas/topics.ts';
import { createKafkaTransport } from '../../transport/kafka/index.ts';
import type { Transport } from '../../transport/types.ts';
import { describeNeeding } from '../prerequisite.ts';
import { bareTrade, gammaMarket } from '../processors/instances.ts';
import { processToEnd, publishRaw } from '../processors/raw-in.ts';
import { silverCounts } from '../sinks/silver/compare.ts';
import { type KafkaTestEnv, kafkaAvailability } from '../transport/kafka/broker.ts';

const PMA = fileURLToPath(new URL('../../cli/pma.ts', import.meta.url));
const { env: found, missing: noBroker } = await kafkaAvailability();
const env = found as KafkaTestEnv;
const missing = noBroker ?? (env.registryUrl ? undefined : 'no schema registry beside the broker (`npm run kafka:up` starts one)');

function pma(args: string[], timeoutMs: number): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [PMA, ...args], { env: { ...process.env, PMA_LOG_LEVEL: 'warn' }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

describeNeeding(`a new Silver file on a cluster that has the Silver group (${found?.source ?? 'no broker'})`, missing, function () {
  this.timeout(300_000);
  let dir: string;
  let transport: Transport;
  let registry: HttpRegistry;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-silver-kafka-'));
    transport = createKafkaTransport({ brokers: env.brokers, clientId: 'pma-silver-kafka-test', logger: silentLogger });
    registry = new HttpRegistry({ url: env.registryUrl! });
    // Topic and group names are fixed (one pipeline per cluster): the test starts without them.
    const admin = transport.admin();
    const ours = (await admin.listTopics()).map((t) => t.name).filter((name) => name.startsWith('pma.'));
    if (ours.length > 0) await admin.deleteTopics(ours);
    const kafkaAdmin = new kafkajs.Kafka({ brokers: env.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await kafkaAdmin.connect();
    try {
      const groups = (await admin.listGroups()).filter((g) => g.startsWith('pma-'));
      if (groups.length > 0) await kafkaAdmin.deleteGroups(groups).catch(() => undefined);
    } finally {
      await kafkaAdmin.disconnect();
    }
    await admin.createTopics(ALL_TOPICS.map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy })));
  });

  after(async () => {
    await transport?.close();
    await registry?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fills from the start of the log and ends its caught-up run, as the first file did', async () => {
    const h = { transport, serde: new Serde(registry) };
    await publishRaw(
      h,
      'rawGammaMarkets',
      Array.from({ length: 10 }, (_, i) => gammaMarket(i + 1)),
    );
    await publishRaw(
      h,
      'rawTrades',
      Array.from({ length: 500 }, (_, i) => bareTrade(1 + (i % 10), Math.floor(i / 10))),
    );
    const processed = await processToEnd(h);
    expect(processed.emitted.trades).to.equal(500);
    const kafkaArgs = ['--transport', 'kafka', '--brokers', env.brokers.join(','), '--registry', env.registryUrl!];
    const first = await pma(['--data-dir', join(dir, 'first'), ...kafkaArgs, 'sink', '--layer', 'silver', '--until-caught-up'], 120_000);
    expect(first.code, first.stderr).to.equal(0);
    const firstCounts = await silverCounts(join(dir, 'first', 'silver.duckdb'));
    expect(firstCounts.TradeFact).to.equal(500);
    // The group has now committed every partition to its end.
    const second = await pma(['--data-dir', join(dir, 'second'), ...kafkaArgs, 'sink', '--layer', 'silver', '--until-caught-up'], 120_000);
    expect(second.code, second.stderr).to.equal(0);
    expect(await silverCounts(join(dir, 'second', 'silver.duckdb'))).to.deep.equal(firstCounts);
  });
});
