/**
 * `pma verify` on Kafka: the Bronze and Silver checks against the broker's offsets. A topic's
 * whole Bronze output deleted is found from the sink group's committed offsets, and --repair reads
 * the records back from the broker to the rows Bronze held before.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../runtime/logger.ts';
import { createKafkaTransport } from '../../transport/kafka/index.ts';
import { describeNeeding } from '../prerequisite.ts';
import { type KafkaTestEnv, kafkaAvailability } from '../transport/kafka/broker.ts';
import { bronzeRows, pma } from './verify-world.ts';

const { env: found, missing } = await kafkaAvailability();
const env = found as KafkaTestEnv;

describeNeeding('pma verify on Kafka (real broker)', missing, function () {
  this.timeout(600_000);
  let dir: string;
  let kafkaArgs: string[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-verify-kafka-'));
    kafkaArgs = ['--transport', 'kafka', '--brokers', env.brokers.join(','), ...(env.registryUrl ? ['--registry', env.registryUrl] : [])];
    // Topic names are fixed (one pipeline per cluster): start without an earlier run's topics.
    const transport = createKafkaTransport({ brokers: env.brokers, clientId: 'pma-verify-kafka-test', logger: silentLogger });
    try {
      const admin = transport.admin();
      const ours = (await admin.listTopics()).map((t) => t.name).filter((name) => name.startsWith('pma.'));
      if (ours.length > 0) await admin.deleteTopics(ours);
    } finally {
      await transport.close();
    }
    const run = await pma(dir, ...kafkaArgs, 'run', '--source', 'sim', '--sim-markets', '6', '--no-gold');
    expect(run.code, run.stderr).to.equal(0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds nothing in a healthy run; finds the partitions whose Bronze files are all gone, and --repair writes them back from the broker', async () => {
    const healthy = await pma(dir, ...kafkaArgs, 'verify', '--json');
    expect(healthy.json, healthy.stderr).to.deep.equal({ ok: true, findings: [] });
    const rows = await bronzeRows(dir, 'trades');
    const before = rows.map((r) => String(r.trade_id)).sort();
    const partitions = [...new Set(rows.map((r) => Number(r._partition)))].sort();

    // The run ends by compacting Bronze, and a compacted file mixes partitions: delete every trades
    // file, so each partition's rows are gone and only the sink group's committed offset shows it.
    const root = join(dir, 'bronze', 'trades');
    for (const dt of readdirSync(root)) for (const name of readdirSync(join(root, dt))) rmSync(join(root, dt, name));
    const found = await pma(dir, ...kafkaArgs, 'verify', '--json');
    expect(found.code).to.equal(1);
    const missing = found.json!.findings.map((f) => [f.layer, f.kind, f.topic]);
    expect(new Set(missing.map((m) => m.join(' ')))).to.deep.equal(new Set(['bronze missing pma.trades']));
    expect([...new Set(found.json!.findings.map((f) => f.partition))].sort()).to.deep.equal(partitions);

    const repaired = await pma(dir, ...kafkaArgs, 'verify', '--repair', '--json');
    expect(repaired.code, repaired.stderr).to.equal(0);
    expect((await bronzeRows(dir, 'trades')).map((r) => String(r.trade_id)).sort()).to.deep.equal(before);
  });
});
