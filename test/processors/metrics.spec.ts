/**
 * The processors' metrics against the log they wrote (real embedded log): records read and
 * written per topic, duplicates, dead letters, commit latencies, held records, lag.
 */
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { runProcessors } from '../../processors/index.ts';
import { DLQ_HEADERS } from '../../registry/dead-letter.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { CLEAN_TOPIC_KEYS } from '../../schemas/clean-records.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { type LogHarness, openLogHarness, readTopic } from '../sinks/log-harness.ts';
import { bareTrade, gammaMarket, topicCount } from './instances.ts';
import { publishRaw } from './raw-in.ts';

type Values = Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>;

async function values(registry: Registry, name: string): Promise<Values> {
  return (await registry.getSingleMetric(name)!.get()).values as Values;
}

describe('processors metrics (real embedded log)', function () {
  this.timeout(60_000);
  let h: LogHarness;

  beforeEach(async () => {
    h = await openLogHarness();
  });
  afterEach(async () => {
    await h.close();
    h.remove();
  });

  it('count what the log shows: reads per raw topic, clean records per topic once committed, duplicates, dead letters, commit latencies observed', async () => {
    await publishRaw(h, 'rawGammaMarkets', [gammaMarket(1), gammaMarket(2)]);
    const trades = Array.from({ length: 10 }, (_, k) => bareTrade(1 + (k % 2), k));
    // The first three trades again: duplicates the dedup window drops.
    await publishRaw(h, 'rawTrades', [...trades, ...trades.slice(0, 3)]);
    const producer = h.transport.producer();
    await producer.send(TOPICS.rawTrades.name, [{ key: Buffer.from('bad'), value: Buffer.from('not avro') }]);
    await producer.close();

    const registry = new Registry();
    const result = await runProcessors({}, { transport: h.transport, serde: h.serde, logger: silentLogger, signal: new AbortController().signal, until: 'caught-up', metrics: registry });

    const read = new Map((await values(registry, 'pma_records_read_total')).map((v) => [v.labels.topic, v.value]));
    expect(read).to.deep.equal(
      new Map([
        [TOPICS.rawGammaMarkets.name, 2],
        [TOPICS.rawTrades.name, 14],
      ]),
    );
    const written = new Map((await values(registry, 'pma_records_written_total')).map((v) => [v.labels.topic, v.value]));
    for (const key of CLEAN_TOPIC_KEYS) {
      const inLog = await topicCount(h.transport, TOPICS[key].name);
      expect(written.get(TOPICS[key].name) ?? 0, key).to.equal(inLog);
    }
    expect(written.get(TOPICS.trades.name)).to.equal(10);
    expect((await values(registry, 'pma_process_duplicates_total'))[0]!.value)
      .to.equal(3)
      .and.to.equal(result.duplicates);
    const letters = await readTopic(h.transport, TOPICS.dlq.name);
    expect(letters.length).to.equal(1);
    expect(await values(registry, 'pma_dead_letters_total')).to.deep.equal([{ labels: { stage: 'process', reason: letters[0]!.headers[DLQ_HEADERS.reason]! }, value: 1 }]);
    expect((await values(registry, 'pma_process_held_records'))[0]!.value).to.equal(0);
    expect((await values(registry, 'pma_process_unresolved_total'))[0]!.value).to.equal(0);
    const commits = (await values(registry, 'pma_process_commit_duration_seconds')).find((v) => v.metricName === 'pma_process_commit_duration_seconds_count');
    expect(commits!.value).to.be.greaterThan(0);
    // The run is over: its groups are no longer watched, so a scrape reads no stale lag.
    expect(await values(registry, 'pma_consumer_lag')).to.deep.equal([]);
    expect(await values(registry, 'pma_stage_failures_total')).to.deep.equal([]);

    // A second run in the same process (as pma run does) shares the series: nothing new to read, nothing added.
    await runProcessors({}, { transport: h.transport, serde: h.serde, logger: silentLogger, signal: new AbortController().signal, until: 'caught-up', metrics: registry });
    expect(new Map((await values(registry, 'pma_records_written_total')).map((v) => [v.labels.topic, v.value]))).to.deep.equal(written);
    expect((await values(registry, 'pma_process_duplicates_total'))[0]!.value).to.equal(3);
  });

  it('a run that fails counts one fatal failure', async () => {
    const registry = new Registry();
    await h.close();
    const err = await runProcessors({}, { transport: h.transport, serde: h.serde, logger: silentLogger, signal: new AbortController().signal, until: 'caught-up', metrics: registry }).catch(
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(Error);
    expect(await values(registry, 'pma_stage_failures_total')).to.deep.equal([{ labels: { stage: 'process', kind: 'fatal' }, value: 1 }]);
  });
});
