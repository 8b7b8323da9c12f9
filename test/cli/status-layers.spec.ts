/**
 * `pma status`'s layers section against a small world whose records and event times the test
 * chose: records and seconds behind per layer, computed here from what was published, with the
 * processes holding each layer running (alive), then SIGKILLed (dead).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { CleanRecordByTopic } from '../../schemas/clean-records.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { SILVER_TOPIC_KEYS } from '../../sinks/silver/index.ts';
import { runChild } from '../run-child.ts';
import { readTopic } from '../sinks/log-harness.ts';
import { cleanWorld, keyOf, openTestLog, type TestLog } from '../sinks/silver/clean-world.ts';
import { until } from '../until.ts';

const PMA = fileURLToPath(new URL('../../cli/pma.ts', import.meta.url));
const HOUR = 3_600_000;

interface Layer {
  layer: string;
  recordsBehind: number | null;
  secondsBehind: number | null;
  holders: Array<{ role: string; pid: number | null; host: string | null; state: string }>;
}

/** A record the test published: where it landed and its event time. */
interface Published {
  topic: string;
  partition: number;
  offset: number;
  ms: number;
}

/**
 * What a layer holding every record of `held` (and none after) lacks of `all`: the records, and
 * per partition the event time of its newest record minus that of the newest held (or of its
 * first, when none is held), the largest.
 */
function lag(all: readonly Published[], held: (p: Published) => boolean): { recordsBehind: number; secondsBehind: number } {
  const parts = new Map<string, Published[]>();
  for (const p of all) parts.set(`${p.topic}/${p.partition}`, [...(parts.get(`${p.topic}/${p.partition}`) ?? []), p]);
  let recordsBehind = 0;
  let secondsBehind = 0;
  for (const list of parts.values()) {
    list.sort((a, b) => a.offset - b.offset);
    const missing = list.filter((p) => !held(p));
    if (missing.length === 0) continue;
    recordsBehind += missing.length;
    const reached = list.filter(held).at(-1) ?? list[0]!;
    secondsBehind = Math.max(secondsBehind, (list.at(-1)!.ms - reached.ms) / 1000);
  }
  return { recordsBehind, secondsBehind };
}

describe('pma status: layers', function () {
  this.timeout(240_000);
  let log: TestLog;
  const children: ChildProcess[] = [];
  const published: Published[] = [];

  before(async () => {
    log = await openTestLog('pma-status-layers-');
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await log.close();
  });

  const status = async (): Promise<Record<string, Layer>> => {
    const r = await runChild(process.execPath, [PMA, '--data-dir', log.dir, 'status', '--json'], { limitMs: 60_000 });
    const layers = (JSON.parse(r.stdout) as { layers?: Layer[] }).layers ?? [];
    return Object.fromEntries(layers.map((l) => [l.layer, l]));
  };
  /** What each started child wrote on stderr, kept to tell why a wait on it failed. */
  const stderrOf = new Map<ChildProcess, string>();
  const start = (args: string[]): ChildProcess => {
    const child = spawn(process.execPath, [PMA, '--data-dir', log.dir, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PMA_LOG_LEVEL: 'warn' } });
    stderrOf.set(child, '');
    child.stderr!.on('data', (d) => stderrOf.set(child, (stderrOf.get(child)! + String(d)).slice(-4000)));
    children.push(child);
    return child;
  };
  /** Waits for `check` on a started child; a timeout says how the child ended and what it wrote. */
  const untilChild = async (child: ChildProcess, check: () => Promise<boolean>, what: string) => {
    try {
      await until(check, what, 120_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the child ${child.exitCode === null ? 'runs' : `exited ${child.exitCode}`}, its stderr: ${stderrOf.get(child) || '(none)'}`);
    }
  };
  const kill = async (child: ChildProcess) => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  const publish = async <K extends 'trades' | 'markets' | 'tokens' | 'events' | 'prices' | 'leaderboard'>(
    topic: K,
    records: Array<CleanRecordByTopic[K]>,
    eventMs: (r: CleanRecordByTopic[K]) => number,
  ) => {
    const codec = await log.serde.codecFor<CleanRecordByTopic[K]>(TOPICS[topic]);
    const producer = log.transport.producer();
    const sent = await producer.send(
      TOPICS[topic].name,
      records.map((r) => ({ key: Buffer.from(keyOf(topic, r)), value: codec.encode(r) })),
    );
    await producer.close();
    for (const [i, m] of sent.entries()) published.push({ topic: m.topic, partition: m.partition, offset: m.offset, ms: eventMs(records[i]!) });
    return sent;
  };
  const world = cleanWorld(7, { markets: 4, tradesPerMarket: 6, wallets: 5, pricesPerToken: 2 });
  /** Trades of the world again under new ids, at event times the test picks. */
  const moreTrades = (tag: string, times: number[]) =>
    times.map((ms, i) => ({ ...world.trades[i % world.trades.length]!, trade_id: `${tag}-${i}`, transaction_hash: `${tag}${i}`.padEnd(64, '0'), timestamp: ms }));
  const clean = () => published.filter((p) => !p.topic.startsWith('pma.raw.'));
  const trades = () => published.filter((p) => p.topic === TOPICS.trades.name);
  const silverTopics = new Set<string>(SILVER_TOPIC_KEYS.map((k) => TOPICS[k].name));

  it('with nothing run: the processors lack every raw record, Bronze every clean one, in records and event time; Silver and Gold do not exist', async () => {
    const rawAt = Date.now() - 5 * HOUR;
    const producer = log.transport.producer();
    // Raw records carry no common event field: status reads the time each was published, which the test sets.
    const raw = [0, 1, 2, 3, 4, 5].map((i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from('{}'), partition: i % 3, timestamp: rawAt + i * 60_000 }));
    const sent = await producer.send(TOPICS.rawTrades.name, raw);
    await producer.close();
    for (const [i, m] of sent.entries()) published.push({ topic: m.topic, partition: m.partition, offset: m.offset, ms: raw[i]!.timestamp });
    await publish('events', world.events, (r) => r.observed_ts);
    await publish('markets', world.markets, (r) => r.observed_ts);
    await publish('tokens', world.tokens, (r) => r.observed_ts);
    await publish('trades', world.trades, (r) => r.timestamp);
    await publish('prices', world.prices, (r) => r.timestamp);
    await publish('leaderboard', world.leaderboard, (r) => r.snapshot_ts);

    const before = Date.now();
    const s = await status();
    const after = Date.now();
    const newestRaw = rawAt + 5 * 60_000;
    expect(s.ingest!.secondsBehind).to.be.within((before - newestRaw) / 1000, (after - newestRaw) / 1000);
    expect(s.ingest!.holders).to.deep.equal([]);
    const rawLag = lag(
      published.filter((p) => p.topic.startsWith('pma.raw.')),
      () => false,
    );
    expect(rawLag.recordsBehind).to.equal(6);
    expect({ recordsBehind: s.process!.recordsBehind, secondsBehind: s.process!.secondsBehind }).to.deep.equal(rawLag);
    expect({ recordsBehind: s.bronze!.recordsBehind, secondsBehind: s.bronze!.secondsBehind }).to.deep.equal(lag(clean(), () => false));
    expect(s.bronze!.recordsBehind).to.be.greaterThan(0);
    expect(s.silver!.recordsBehind).to.equal(null);
    expect(s.gold!.recordsBehind).to.equal(null);
  });

  it('Bronze: a running sink is alive and caught up (0), killed it is dead, and what came after shows behind', async () => {
    const sink = start(['sink', '--layer', 'bronze', '--idle-ms', '100', '--roll-ms', '200']);
    let s: Record<string, Layer> = {};
    await untilChild(
      sink,
      async () => {
        s = await status();
        return s.bronze?.recordsBehind === 0;
      },
      'Bronze to catch up',
    );
    expect(s.bronze!.secondsBehind).to.equal(0);
    expect(s.bronze!.holders).to.deep.equal([{ role: 'bronze sink', pid: sink.pid, host: s.bronze!.holders[0]!.host, state: 'alive' }]);
    await kill(sink);
    s = await status();
    expect(s.bronze!.holders.map((h) => [h.pid, h.state])).to.deep.equal([[sink.pid, 'dead']]);
    expect([s.bronze!.recordsBehind, s.bronze!.secondsBehind]).to.deep.equal([0, 0]);

    const heldBefore = new Set(trades().map((p) => `${p.partition}/${p.offset}`));
    const t = Date.UTC(2024, 5, 1);
    await publish('trades', moreTrades('late', [t, t + 7_000, t + 30_000, t - 4 * HOUR]), (r) => r.timestamp);
    s = await status();
    const expected = lag(trades(), (p) => heldBefore.has(`${p.partition}/${p.offset}`));
    expect(expected.recordsBehind).to.equal(4);
    expect({ recordsBehind: s.bronze!.recordsBehind, secondsBehind: s.bronze!.secondsBehind }).to.deep.equal(expected);
  });

  it('Silver and Gold: Silver behind what came after it, Gold behind what Silver took in after the build; the Silver sink alive, then dead', async () => {
    const caughtUp = await runChild(process.execPath, [PMA, '--data-dir', log.dir, 'sink', '--layer', 'silver', '--until-caught-up'], { limitMs: 120_000 });
    expect(caughtUp.code, caughtUp.stderr).to.equal(0);
    const built = await runChild(process.execPath, [PMA, '--data-dir', log.dir, 'gold'], { limitMs: 120_000 });
    expect(built.code, built.stderr).to.equal(0);
    let s = await status();
    expect([s.silver!.recordsBehind, s.silver!.secondsBehind, s.gold!.recordsBehind, s.gold!.secondsBehind]).to.deep.equal([0, 0, 0, 0]);
    expect(s.silver!.holders).to.deep.equal([]);

    const inSilver = new Set(clean().map((p) => `${p.topic}/${p.partition}/${p.offset}`));
    const t = Date.UTC(2024, 6, 1);
    await publish('trades', moreTrades('later', [t, t + 90_000, t - 2 * HOUR]), (r) => r.timestamp);
    const held = (p: Published) => inSilver.has(`${p.topic}/${p.partition}/${p.offset}`);
    const silverLag = lag(
      clean().filter((p) => silverTopics.has(p.topic)),
      held,
    );
    s = await status();
    expect(silverLag.recordsBehind).to.equal(3);
    expect({ recordsBehind: s.silver!.recordsBehind, secondsBehind: s.silver!.secondsBehind }).to.deep.equal(silverLag);
    // Gold is measured against Silver, which has not moved since the build.
    expect([s.gold!.recordsBehind, s.gold!.secondsBehind]).to.deep.equal([0, 0]);

    const sink = start(['sink', '--layer', 'silver']);
    await untilChild(
      sink,
      async () => {
        s = await status();
        return s.silver?.recordsBehind === 0 && s.silver.holders.some((h) => h.state === 'alive');
      },
      'the running Silver sink to catch up',
    );
    expect(s.silver!.holders.map((h) => [h.role, h.pid, h.state])).to.deep.equal([['silver sink', sink.pid, 'alive']]);
    expect({ recordsBehind: s.gold!.recordsBehind, secondsBehind: s.gold!.secondsBehind }).to.deep.equal(silverLag);
    await kill(sink);
    s = await status();
    expect(s.silver!.holders.map((h) => [h.role, h.pid, h.state])).to.deep.equal([['silver sink', sink.pid, 'dead']]);
    expect([s.silver!.recordsBehind, s.silver!.secondsBehind]).to.deep.equal([0, 0]);
  });

  it('the processors: members of their groups, alive while they run and caught up (0), dead once killed', async () => {
    const processors = start(['process']);
    let s: Record<string, Layer> = {};
    await untilChild(
      processors,
      async () => {
        s = await status();
        return s.process?.recordsBehind === 0 && s.process.holders.length === 2;
      },
      'the processors to take every raw record',
    );
    expect(s.process!.secondsBehind).to.equal(0);
    expect(s.process!.holders.map((h) => [h.role, h.pid, h.state])).to.deep.equal([
      ['pma-process.reference', processors.pid, 'alive'],
      ['pma-process.facts', processors.pid, 'alive'],
    ]);
    await kill(processors);
    s = await status();
    expect(s.process!.holders.map((h) => [h.pid, h.state])).to.deep.equal([
      [processors.pid, 'dead'],
      [processors.pid, 'dead'],
    ]);
  });

  it('ingest: a member of its liveness group, alive while it runs, dead once killed', async () => {
    // A simulator the command starts itself; --follow keeps ingest running until it is killed.
    const ingest = start(['ingest', '--source', 'sim', '--limit', '2', '--follow']);
    let s: Record<string, Layer> = {};
    await untilChild(
      ingest,
      async () => {
        s = await status();
        return (s.ingest?.holders.length ?? 0) > 0;
      },
      'ingest to show in status',
    );
    expect(s.ingest!.holders.map((h) => [h.role, h.pid, h.state])).to.deep.equal([['ingest', ingest.pid, 'alive']]);
    await kill(ingest);
    let newest = 0;
    for (const t of Object.values(TOPICS).filter((d) => d.name.startsWith('pma.raw.'))) for (const r of await readTopic(log.transport, t.name)) newest = Math.max(newest, r.timestamp);
    const before = Date.now();
    s = await status();
    const after = Date.now();
    expect(s.ingest!.holders.map((h) => [h.role, h.pid, h.state])).to.deep.equal([['ingest', ingest.pid, 'dead']]);
    expect(s.ingest!.secondsBehind).to.be.within((before - newest) / 1000, (after - newest) / 1000);
  });
});
