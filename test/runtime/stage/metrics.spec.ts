/**
 * The series every stage shares, on a real embedded log: lag read from the log at scrape time,
 * freshness that never goes back, dead letters counted by reason once durable, one set of series
 * for every stage on one registry.
 */
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { silentLogger } from '../../../runtime/logger.ts';
import { DeadLetterOutbox, StageMetrics } from '../../../runtime/stage/index.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { type LogHarness, openLogHarness, readTopic } from '../../sinks/log-harness.ts';

type Values = Array<{ labels: Record<string, string | number>; value: number }>;

/** A series' values as a scrape sees them (collect callbacks run). */
async function values(registry: Registry, name: string): Promise<Values> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  return (await metric.get()).values as Values;
}

describe('runtime/stage metrics (real embedded log)', function () {
  this.timeout(30_000);
  let h: LogHarness;
  const TOPIC = 'metrics-test.points';

  beforeEach(async () => {
    h = await openLogHarness();
    await h.transport.admin().createTopics([{ name: TOPIC, partitions: 3 }]);
  });
  afterEach(async () => {
    await h.close();
    h.remove();
  });

  it('reports lag per partition as the log end minus the committed offset, read at each scrape, until unwatched', async () => {
    const producer = h.transport.producer();
    const to = (partition: number, n: number) => Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`${partition}-${i}`), partition }));
    await producer.send(TOPIC, [...to(0, 7), ...to(1, 4)]);
    const consumer = h.transport.consumer({ groupId: 'g' });
    await consumer.subscribe([TOPIC]);
    await consumer.commit([{ topic: TOPIC, partition: 0, offset: 5 }]);

    const registry = new Registry();
    const stage = new StageMetrics(registry, 'bronze');
    const unwatch = stage.watchLag(h.transport.admin(), 'g', [TOPIC], silentLogger);
    const lagOf = async () => new Map((await values(registry, 'pma_consumer_lag')).map((v) => [`${v.labels.group}/${v.labels.topic}/${v.labels.partition}`, v.value]));
    // Partition 0: 7 records, committed 5; partition 1: 4 records, never committed; partition 2: empty.
    expect(await lagOf()).to.deep.equal(
      new Map([
        [`g/${TOPIC}/0`, 2],
        [`g/${TOPIC}/1`, 4],
        [`g/${TOPIC}/2`, 0],
      ]),
    );
    expect((await values(registry, 'pma_consumer_lag'))[0]!.labels.stage).to.equal('bronze');
    const ends = new Map((await values(registry, 'pma_log_end_offset')).map((v) => [v.labels.partition, v.value]));
    expect(ends).to.deep.equal(
      new Map([
        ['0', 7],
        ['1', 4],
        ['2', 0],
      ]),
    );

    // No per-record work: the next scrape reads the log again.
    await producer.send(TOPIC, to(2, 3));
    await consumer.commit([{ topic: TOPIC, partition: 1, offset: 4 }]);
    expect((await lagOf()).get(`g/${TOPIC}/1`)).to.equal(0);
    expect((await lagOf()).get(`g/${TOPIC}/2`)).to.equal(3);

    unwatch();
    expect(await lagOf()).to.deep.equal(new Map());
    await producer.close();
  });

  it('a scrape still answers when the log cannot: that group is left out', async () => {
    const registry = new Registry();
    const stage = new StageMetrics(registry, 'silver');
    stage.watchLag(h.transport.admin(), 'g', [TOPIC], silentLogger);
    await h.close();
    expect(await values(registry, 'pma_consumer_lag')).to.deep.equal([]);
  });

  it('freshness moves forward only, per stage and topic; its age is computed at scrape', async () => {
    const registry = new Registry();
    const bronze = new StageMetrics(registry, 'bronze');
    const silver = new StageMetrics(registry, 'silver');
    const t = Date.UTC(2025, 0, 1);
    bronze.newestEvent('pma.trades', t + 5_000);
    bronze.newestEvent('pma.trades', t + 1_000);
    silver.newestEvent('pma.trades', t);
    const newest = new Map((await values(registry, 'pma_newest_event_timestamp_seconds')).map((v) => [`${v.labels.stage}/${v.labels.topic}`, v.value]));
    expect(newest).to.deep.equal(
      new Map([
        ['bronze/pma.trades', t / 1000 + 5],
        ['silver/pma.trades', t / 1000],
      ]),
    );
    const before = Date.now() / 1000;
    const age = new Map((await values(registry, 'pma_newest_event_age_seconds')).map((v) => [`${v.labels.stage}/${v.labels.topic}`, v.value]));
    const after = Date.now() / 1000;
    expect(age.get('bronze/pma.trades')).to.be.within(before - t / 1000 - 5, after - t / 1000 - 5);
    expect(age.get('silver/pma.trades')).to.be.within(before - t / 1000, after - t / 1000);
  });

  it('counts reads per batch, writes, failures and durable dead letters by reason, one series set for every stage of a registry', async () => {
    const registry = new Registry();
    const process = new StageMetrics(registry, 'process');
    const again = new StageMetrics(registry, 'process');
    process.polled([
      { topic: 'a', partition: 0, records: [], highWatermark: 0 },
      { topic: 'a', partition: 1, records: [{ topic: 'a', partition: 1, offset: 0, timestamp: 0, key: null, value: null, headers: {} }], highWatermark: 1 },
    ]);
    again.read('a', 2);
    again.written('b', 3);
    again.failed('fenced');

    const outbox = new DeadLetterOutbox(h.transport, 'process', silentLogger, process);
    const record = (offset: number) => ({ topic: TOPIC, partition: 0, offset, timestamp: 0, key: null, value: Buffer.from('x'), headers: {} });
    outbox.add(record(0), 'undecodable-body', new Error('bad'));
    outbox.add(record(1), 'undecodable-body', new Error('bad'));
    outbox.add(record(2), 'normalise-failed', new Error('bad'));
    expect(await values(registry, 'pma_dead_letters_total')).to.deep.equal([]);
    await outbox.flush();
    await outbox.close();
    expect((await readTopic(h.transport, TOPICS.dlq.name)).length).to.equal(3);

    const dead = new Map((await values(registry, 'pma_dead_letters_total')).map((v) => [v.labels.reason, v.value]));
    expect(dead).to.deep.equal(
      new Map([
        ['undecodable-body', 2],
        ['normalise-failed', 1],
      ]),
    );
    expect(await values(registry, 'pma_records_read_total')).to.deep.equal([{ labels: { stage: 'process', topic: 'a' }, value: 3 }]);
    expect(await values(registry, 'pma_records_written_total')).to.deep.equal([{ labels: { stage: 'process', topic: 'b' }, value: 3 }]);
    expect(await values(registry, 'pma_stage_failures_total')).to.deep.equal([{ labels: { stage: 'process', kind: 'fenced' }, value: 1 }]);
  });
});
