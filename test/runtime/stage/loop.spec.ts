/**
 * The one consume loop, on the real embedded log: the checkpoint rule (commit only the finished
 * prefix: nack C and E after acking D, restart, and C, D, E come again), priority polling,
 * stopping when caught up or aborted, and failures raised outside the loop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConsumerStateError, type PmaError, SinkError } from '../../../runtime/errors.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import { consumeLoop, DoneTracker, groupCaughtUp } from '../../../runtime/stage/index.ts';
import { createEmbeddedTransport, type EmbeddedTransport } from '../../../transport/embedded/index.ts';
import { embeddedLogPath } from '../../../transport/index.ts';
import type { ConsumedRecord, Consumer } from '../../../transport/types.ts';

describe('runtime/stage consumeLoop (real embedded transport)', function () {
  this.timeout(30_000);
  let dir: string;
  let transport: EmbeddedTransport;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-stage-'));
    transport = await createEmbeddedTransport({ path: embeddedLogPath(dir), logger: silentLogger });
  });
  afterEach(async () => {
    await transport.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function produce(topic: string, values: string[], partition = 0): Promise<void> {
    await transport.producer().send(
      topic,
      values.map((v) => ({ key: null, value: Buffer.from(v), partition })),
    );
  }

  /** Runs one member of `group` until caught up, acking the records `ack` accepts; returns what it saw. */
  async function runMember(group: string, topic: string, ack: (value: string) => boolean): Promise<string[]> {
    const consumer = transport.consumer({ groupId: group, maxRecords: 2 });
    await consumer.subscribe([topic]);
    const done = new DoneTracker();
    const seen: string[] = [];
    const reason = await consumeLoop({
      signal: new AbortController().signal,
      until: 'caught-up',
      sources: [consumer],
      waitMs: () => 50,
      handle: async (batches) => {
        for (const b of batches) {
          for (const r of b.records) {
            seen.push(r.value!.toString());
            done.begin(r.topic, r.partition, r.offset);
            if (ack(r.value!.toString())) done.finish(r.topic, r.partition, r.offset);
          }
        }
        await done.commit(() => consumer);
      },
      // Caught up here means "read to the end", whatever was acked: this member then gives up.
      caughtUp: async () => consumer.assignment().every(({ topic: t, partition }) => consumer.position(t, partition) === 5),
    });
    expect(reason).to.equal('caught-up');
    await consumer.close();
    return seen;
  }

  it('commits only the finished prefix: nack C and E after acking D, restart, and C, D, E come again', async () => {
    await transport.admin().createTopics([{ name: 'letters', partitions: 1 }]);
    await produce('letters', ['A', 'B', 'C', 'D', 'E']);
    const first = await runMember('checkpoint', 'letters', (v) => v !== 'C' && v !== 'E');
    expect(first).to.deep.equal(['A', 'B', 'C', 'D', 'E']);
    expect(await transport.admin().groupOffsets('checkpoint', 'letters')).to.deep.equal([{ topic: 'letters', partition: 0, offset: 2 }]);
    const second = await runMember('checkpoint', 'letters', () => true);
    expect(second).to.deep.equal(['C', 'D', 'E']);
    expect(await transport.admin().groupOffsets('checkpoint', 'letters')).to.deep.equal([{ topic: 'letters', partition: 0, offset: 5 }]);
  });

  it('polls sources in priority order: the facts wait while the reference source has records', async () => {
    await transport.admin().createTopics([
      { name: 'reference', partitions: 1 },
      { name: 'facts', partitions: 1 },
    ]);
    await produce('facts', ['f1', 'f2', 'f3']);
    await produce('reference', ['r1', 'r2', 'r3', 'r4']);
    const reference = transport.consumer({ groupId: 'prio.reference', maxRecords: 2 });
    const facts = transport.consumer({ groupId: 'prio.facts', maxRecords: 2 });
    await reference.subscribe(['reference']);
    await facts.subscribe(['facts']);
    const order: string[] = [];
    const admin = transport.admin();
    const reason = await consumeLoop({
      signal: new AbortController().signal,
      until: 'caught-up',
      sources: [reference, facts],
      waitMs: () => 50,
      handle: async (batches) => {
        for (const b of batches) for (const r of b.records) order.push(r.value!.toString());
        for (const c of [reference, facts]) {
          await c.commit(c.assignment().map(({ topic, partition }) => ({ topic, partition, offset: c.position(topic, partition)! })));
        }
      },
      caughtUp: async () => (await groupCaughtUp(reference, admin, 'prio.reference', ['reference'])) && (await groupCaughtUp(facts, admin, 'prio.facts', ['facts'])),
    });
    expect(reason).to.equal('caught-up');
    // Every reference record arrives no later than the facts polled beside it.
    expect(order.filter((v) => v.startsWith('r'))).to.deep.equal(['r1', 'r2', 'r3', 'r4']);
    expect(order.indexOf('r4')).to.be.lessThan(order.indexOf('f3'));
    expect(order).to.have.length(7);
    await reference.close();
    await facts.close();
  });

  it('ends as stopped on abort, even while waiting in poll, and calls handle on empty polls', async () => {
    await transport.admin().createTopics([{ name: 'quiet', partitions: 1 }]);
    const consumer = transport.consumer({ groupId: 'quiet' });
    await consumer.subscribe(['quiet']);
    const stop = new AbortController();
    let empty = 0;
    const reason = await consumeLoop({
      signal: stop.signal,
      until: 'signal',
      sources: [consumer],
      // The abort must cut the wait short: the test would time out otherwise.
      waitMs: () => (empty === 0 ? 10 : 600_000),
      handle: async (batches) => {
        if (batches.length > 0) return;
        empty++;
        setTimeout(() => stop.abort(), 50);
      },
    });
    expect(reason).to.equal('stopped');
    expect(empty).to.equal(1);
    await consumer.close();
  });

  it('refuses to run until caught up without a way to tell', async () => {
    const consumer = transport.consumer({ groupId: 'no-check' });
    try {
      await consumeLoop({ signal: new AbortController().signal, until: 'caught-up', sources: [consumer], waitMs: () => 10, handle: async () => {} });
      expect.fail('ran without a caughtUp check');
    } catch (err) {
      expect(err).to.be.instanceOf(ConsumerStateError);
    }
    await consumer.close();
  });

  it('stops on a failure raised outside the loop, with that failure', async () => {
    await transport.admin().createTopics([{ name: 'fail', partitions: 1 }]);
    await produce('fail', ['x']);
    const consumer = transport.consumer({ groupId: 'fail' });
    await consumer.subscribe(['fail']);
    let failure: PmaError | undefined;
    const seen: ConsumedRecord[] = [];
    const run = consumeLoop({
      signal: new AbortController().signal,
      until: 'signal',
      sources: [consumer],
      waitMs: () => 50,
      handle: async (batches) => {
        for (const b of batches) seen.push(...b.records);
        if (seen.length > 0) failure = new SinkError('the writer thread died');
      },
      failure: () => failure,
    });
    try {
      await run;
      expect.fail('the loop went on after a failure');
    } catch (err) {
      expect(err).to.equal(failure);
    }
    await consumer.close();
  });

  it('groupCaughtUp counts an empty partition as read, and an assigned partition by its committed offset before it delivered anything', async () => {
    await transport.admin().createTopics([{ name: 'sparse', partitions: 3 }]);
    await produce('sparse', ['a', 'b'], 1);
    const admin = transport.admin();
    await admin.setGroupOffsets('sparse', [{ topic: 'sparse', partition: 1, offset: 2 }]);
    const consumer = transport.consumer({ groupId: 'sparse' });
    await consumer.subscribe(['sparse']);
    // As on Kafka before the first fetch: partitions assigned, no position yet.
    const positionless = { assignment: () => consumer.assignment(), position: () => undefined } as unknown as Consumer;
    expect(consumer.assignment()).to.have.length(3);
    expect(await groupCaughtUp(positionless, admin, 'sparse', ['sparse'])).to.equal(true);
    await produce('sparse', ['c'], 2);
    expect(await groupCaughtUp(positionless, admin, 'sparse', ['sparse'])).to.equal(false);
    await consumer.close();
  });
});
