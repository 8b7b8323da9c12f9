import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { CLEAN_TOPIC_KEYS } from '../../schemas/clean-records.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { bronzeRoot } from '../../sinks/bronze/index.ts';
import { SILVER_TOPIC_KEYS } from '../../sinks/silver/index.ts';
import { freePorts } from '../free-ports.ts';
import { type PmaProcess, pmaProcess } from '../pma-process.ts';
import { describeNeeding, pythonWith } from '../prerequisite.ts';
import { bareTrade, gammaMarket, topicCount } from '../processors/instances.ts';
import { publishRaw } from '../processors/raw-in.ts';
import { type LogHarness, openLogHarness } from '../sinks/log-harness.ts';
import { until } from '../until.ts';

const PARSER = join(dirname(fileURLToPath(import.meta.url)), 'parse_prometheus.py');
const { python, missing } = pythonWith(['prometheus_client']);

interface Sample {
  family: string;
  type: string;
  name: string;
  labels: Record<string, string>;
  value: number | '+Inf' | null;
}

/** Scrapes /metrics and parses it with the Prometheus project's Python client, not with this project's code. */
async function scrape(port: number): Promise<Sample[]> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const parsed = spawnSync(python!, [PARSER], { input: text, encoding: 'utf8' });
  if (parsed.status !== 0) throw new Error(`the Prometheus parser refused the exposition: ${parsed.stderr}`);
  return JSON.parse(parsed.stdout) as Sample[];
}

function pick(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one sample of `name` with `labels`, as a number (0 when the series was never set). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = pick(samples, name, labels);
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${found.length} samples`);
  return Number(found[0]?.value ?? 0);
}

function sum(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return pick(samples, name, labels).reduce((n, s) => n + Number(s.value), 0);
}

describeNeeding('pma process and pma sink --layer all --metrics-port, read by the Prometheus Python client', missing, function () {
  this.timeout(180_000);
  const MARKETS = 4;
  const PER_MARKET = 30;
  let h: LogHarness;
  const running: PmaProcess[] = [];

  before(async () => {
    h = await openLogHarness();
    await publishRaw(
      h,
      'rawGammaMarkets',
      Array.from({ length: MARKETS }, (_, i) => gammaMarket(i + 1)),
    );
    const trades = [];
    for (let m = 1; m <= MARKETS; m++) for (let k = 0; k < PER_MARKET; k++) trades.push(bareTrade(m, k));
    await publishRaw(h, 'rawTrades', trades);
    // One record no schema reads: a dead letter of the processors.
    const producer = h.transport.producer();
    await producer.send(TOPICS.rawTrades.name, [{ key: Buffer.from('garbage'), value: Buffer.from('not avro') }]);
    await producer.close();
  });

  after(async () => {
    for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await Promise.all(running.map((r) => r.exited));
    if (!h) return;
    await h.close();
    h.remove();
  });

  it('serves every stage: records, lag down to 0, commit and flush latencies, freshness equal to the newest event, dead letters, memory', async () => {
    const [processPort, sinkPort] = await freePorts(2);
    const processor = pmaProcess(['--data-dir', h.dir, 'process', '--metrics-port', String(processPort)]);
    const sink = pmaProcess(['--data-dir', h.dir, 'sink', '--layer', 'all', '--idle-ms', '100', '--metrics-port', String(sinkPort)]);
    running.push(processor, sink);
    const alive = () => {
      for (const r of running) if (r.child.exitCode !== null) throw new Error(`a pma child exited early (${r.child.exitCode}): ${r.stderr()}`);
    };
    const trades = MARKETS * PER_MARKET;

    let processed: Sample[] = [];
    await until(
      async () => {
        alive();
        processed = await scrape(processPort!).catch(() => []);
        return (
          value(processed, 'pma_records_written_total', { stage: 'process', topic: TOPICS.trades.name }) === trades &&
          pick(processed, 'pma_consumer_lag').length > 0 &&
          sum(processed, 'pma_consumer_lag') === 0
        );
      },
      'the processors to write every trade and report no lag',
      120_000,
      200,
    );
    // Against the log itself: what the processors read, wrote and dead-lettered.
    expect(value(processed, 'pma_records_read_total', { stage: 'process', topic: TOPICS.rawTrades.name })).to.equal(trades + 1);
    expect(value(processed, 'pma_records_read_total', { stage: 'process', topic: TOPICS.rawGammaMarkets.name })).to.equal(MARKETS);
    for (const key of CLEAN_TOPIC_KEYS) {
      const name = TOPICS[key].name;
      expect(value(processed, 'pma_records_written_total', { stage: 'process', topic: name }), name).to.equal(await topicCount(h.transport, name));
    }
    expect(sum(processed, 'pma_dead_letters_total', { stage: 'process' }))
      .to.equal(await topicCount(h.transport, TOPICS.dlq.name))
      .and.to.equal(1);
    expect(sum(processed, 'pma_stage_failures_total')).to.equal(0);
    expect(value(processed, 'pma_process_held_records')).to.equal(0);
    const commits = pick(processed, 'pma_process_commit_duration_seconds_count');
    expect(commits[0]?.type).to.equal('histogram');
    expect(Number(commits[0]?.value)).to.be.greaterThan(0);
    // Lag: one series per partition of every raw topic each group reads, and the ends are the log's.
    for (const [group, topic] of [
      ['pma-process.reference', TOPICS.rawGammaMarkets],
      ['pma-process.facts', TOPICS.rawTrades],
    ] as const) {
      expect(
        pick(processed, 'pma_consumer_lag', { group, topic: topic.name })
          .map((s) => s.labels.partition)
          .sort(),
      ).to.deep.equal(Array.from({ length: topic.partitions }, (_, p) => String(p)).sort());
      for (const o of await h.transport.admin().offsets(topic.name)) expect(value(processed, 'pma_log_end_offset', { topic: topic.name, partition: String(o.partition) })).to.equal(o.high);
    }
    expect(value(processed, 'pma_process_resident_memory_bytes')).to.be.greaterThan(0);
    expect(pick(processed, 'pma_nodejs_heap_size_used_bytes')[0]?.type).to.equal('gauge');

    let sunk: Sample[] = [];
    await until(
      async () => {
        alive();
        sunk = await scrape(sinkPort!).catch(() => []);
        return (
          value(sunk, 'pma_records_written_total', { stage: 'bronze', topic: TOPICS.trades.name }) === trades &&
          value(sunk, 'pma_records_written_total', { stage: 'silver', topic: TOPICS.trades.name }) === trades &&
          pick(sunk, 'pma_consumer_lag', { stage: 'bronze' }).length > 0 &&
          pick(sunk, 'pma_consumer_lag', { stage: 'silver' }).length > 0 &&
          sum(sunk, 'pma_consumer_lag') === 0
        );
      },
      'Bronze and Silver to write every trade and report no lag',
      120_000,
      200,
    );
    const scrapedAt = Date.now() / 1000;
    for (const key of CLEAN_TOPIC_KEYS) {
      const name = TOPICS[key].name;
      const inLog = await topicCount(h.transport, name);
      expect(value(sunk, 'pma_records_read_total', { stage: 'bronze', topic: name }), `bronze read ${name}`).to.equal(inLog);
      expect(value(sunk, 'pma_records_written_total', { stage: 'bronze', topic: name }), `bronze ${name}`).to.equal(inLog);
      if ((SILVER_TOPIC_KEYS as readonly string[]).includes(key)) expect(value(sunk, 'pma_records_written_total', { stage: 'silver', topic: name }), `silver ${name}`).to.equal(inLog);
    }
    // The newest trade's event time, as the world was made: bareTrade's timestamp is 1,765,000,000 s + k.
    const newest = 1_765_000_000 + PER_MARKET - 1;
    for (const stage of ['bronze', 'silver']) {
      expect(value(sunk, 'pma_newest_event_timestamp_seconds', { stage, topic: TOPICS.trades.name }), stage).to.equal(newest);
      const age = value(sunk, 'pma_newest_event_age_seconds', { stage, topic: TOPICS.trades.name });
      expect(age, stage).to.be.within(scrapedAt - newest - 60, scrapedAt - newest);
    }
    // Bronze's files as readers see them, through the <type>/dt= links: one rows-per-file observation each.
    const files = readdirSync(bronzeRoot(h.dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.parquet') && /^[^.]/.test(f) && f.split(sep)[1]?.startsWith('dt='));
    expect(value(sunk, 'pma_bronze_file_rows_count')).to.equal(files.length);
    expect(sum(sunk, 'pma_bronze_files_total')).to.equal(files.length);
    expect(value(sunk, 'pma_bronze_file_rows_sum')).to.equal(sum(sunk, 'pma_records_written_total', { stage: 'bronze' }));
    expect(value(sunk, 'pma_bronze_flush_duration_seconds_count')).to.be.greaterThan(0);
    expect(value(sunk, 'pma_silver_commit_duration_seconds_count')).to.be.greaterThan(0);
    expect(pick(sunk, 'pma_silver_commit_duration_seconds_bucket', { le: '+Inf' })[0]?.type).to.equal('histogram');
    expect(sum(sunk, 'pma_dead_letters_total')).to.equal(0);
    expect(value(sunk, 'pma_process_resident_memory_bytes')).to.be.greaterThan(0);

    for (const r of running) r.child.kill('SIGTERM');
    expect(await processor.exited, processor.stderr()).to.equal(0);
    expect(await sink.exited, sink.stderr()).to.equal(0);
  });
});
