/**
 * The broker goes away in the middle of producing and consuming and comes back on the same log
 * dir: nothing the producer had acknowledged is lost, the clients reconnect on their own, and a
 * new member of the group resumes exactly from the committed offsets.
 */
import { expect } from 'chai';
import { silentLogger } from '../../runtime/logger.ts';
import { createKafkaTransport } from '../../transport/kafka/index.ts';
import type { Consumer, Producer } from '../../transport/types.ts';
import { describeNeeding } from '../prerequisite.ts';
import { type KafkaTestEnv, kafkaAvailability, uniqueTopic } from './kafka/broker.ts';

const { env: found, missing: noBroker } = await kafkaAvailability();
// Undefined while the suite is pending; only the test reads it, and it does not run then.
const env = found as KafkaTestEnv;
const control = found?.control;
const missing = noBroker ?? (control ? undefined : `no restartable broker: the broker at ${env.brokers.join(',')} was not started by kafka.sh here`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeNeeding(`kafka broker restart mid-stream (${found?.source ?? 'no broker'})`, missing, function () {
  this.timeout(180_000);

  it('loses nothing acknowledged, reconnects, and resumes from committed offsets', async () => {
    const transport = createKafkaTransport({ brokers: env.brokers, clientId: 'pma-restart', logger: silentLogger });
    const topic = uniqueTopic('restart');
    const groupId = uniqueTopic('g');
    await transport.admin().createTopics([{ name: topic, partitions: 3 }]);
    const producer: Producer = transport.producer();
    const consumer: Consumer = transport.consumer({ groupId, maxRecords: 200 });
    await consumer.subscribe([topic]);

    const acked = new Set<string>();
    const seen = new Set<string>();
    const sendErrors: string[] = [];
    let producing = true;
    let consuming = true;

    const produceLoop = (async () => {
      for (let batch = 0; producing; batch++) {
        const values = Array.from({ length: 50 }, (_, i) => `r${batch}-${i}`);
        // A send that fails while the broker is away is retried with the same records.
        for (;;) {
          try {
            await producer.send(
              topic,
              values.map((v) => ({ key: Buffer.from(v), value: Buffer.from(v) })),
            );
            for (const v of values) acked.add(v);
            break;
          } catch (err) {
            sendErrors.push((err as Error).message);
            if (sendErrors.length > 20) throw err;
          }
        }
        await sleep(20);
      }
    })();

    const consumeLoop = (async () => {
      while (consuming) {
        const batches = await consumer.poll({ waitMs: 200 });
        for (const b of batches) for (const r of b.records) seen.add(r.value!.toString());
        const offsets = batches.map((b) => ({ topic, partition: b.partition, offset: b.records[b.records.length - 1]!.offset + 1 }));
        try {
          await consumer.commit(offsets);
        } catch {
          // While the broker is away a commit fails; the next poll's commit covers it, and the
          // test checks the final committed state.
        }
      }
    })();

    await sleep(1_500);
    const beforeStop = acked.size;
    await control!.stop();
    await sleep(2_000);
    await control!.start();
    const deadline = Date.now() + 60_000;
    while (acked.size < beforeStop + 1_000 && Date.now() < deadline) await sleep(100);
    producing = false;
    await produceLoop;
    expect(acked.size, 'the producer went on after the broker came back').to.be.at.least(beforeStop + 1_000);
    while ([...acked].some((v) => !seen.has(v)) && Date.now() < deadline) await sleep(100);
    consuming = false;
    await consumeLoop;

    const lost = [...acked].filter((v) => !seen.has(v));
    expect(lost, 'acknowledged records never consumed').to.deep.equal([]);
    const offsets = await transport.admin().offsets(topic);
    const total = offsets.reduce((s, o) => s + o.high, 0);
    expect(total).to.be.at.least(acked.size);

    // Commit what was consumed, leave, and let a new member resume: it must see only new records.
    const final = offsets.map((o) => ({ topic, partition: o.partition, offset: o.high }));
    let committed = false;
    for (let i = 0; i < 10 && !committed; i++) {
      try {
        await consumer.commit(final);
        committed = true;
      } catch {
        await sleep(1_000);
      }
    }
    expect(committed, 'commit after the restart').to.equal(true);
    await consumer.close();
    expect(await transport.admin().groupOffsets(groupId, topic)).to.deep.equal(final);

    await producer.send(
      topic,
      Array.from({ length: 30 }, (_, i) => ({ key: Buffer.from(`after${i}`), value: Buffer.from(`after${i}`) })),
    );
    const resumed = transport.consumer({ groupId });
    await resumed.subscribe([topic]);
    const fresh: string[] = [];
    const until = Date.now() + 30_000;
    while (fresh.length < 30 && Date.now() < until) {
      for (const b of await resumed.poll({ waitMs: 500 })) for (const r of b.records) fresh.push(r.value!.toString());
    }
    expect(fresh.sort()).to.deep.equal(Array.from({ length: 30 }, (_, i) => `after${i}`).sort());
    await resumed.close();
    await transport.admin().deleteTopics([topic]);
    await transport.close();
  });
});
