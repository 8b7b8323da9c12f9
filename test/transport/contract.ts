/**
 * The transport contract: one suite, written against transport/types.ts only, that every
 * transport must pass unchanged (embedded here; Kafka on a real broker from kafka.spec.ts).
 *
 *   transportContract('embedded', makeEmbedded, { forceCompaction: ... });
 *
 * Each test makes a fresh transport and uses topic and group names of its own, so tests can run
 * against a shared broker. Waits are generous (a Kafka rebalance takes seconds) but every wait
 * ends as soon as its condition holds.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { GlobalConfig } from '../../runtime/config.ts';
import { ConsumerStateError } from '../../runtime/errors.ts';
import { partitionForKey } from '../../transport/partitioner.ts';
import type { ConsumedRecord, Consumer, ConsumerOptions, ProduceRecord, Transport } from '../../transport/types.ts';

export interface ContractTransport {
  transport: Transport;
  /** Closes what the maker opened besides the transport (which the suite closes) and removes its files. */
  cleanup(): Promise<void>;
  /** How another OS process opens the same transport (through `openTransport`), for the SIGKILL test. */
  openConfig: Pick<GlobalConfig, 'transport' | 'brokers' | 'dataDir'> & Partial<Pick<GlobalConfig, 'kafka'>>;
}

export interface ContractOptions {
  /**
   * Makes the transport compact `topic` now and resolves once it has (embedded:
   * `admin().compactNow([topic])`; Kafka: whatever makes the log cleaner run, then waits).
   */
  forceCompaction(transport: Transport, topic: string): Promise<void>;
  /** True if, after forceCompaction, exactly one record per key is left (Kafka keeps its active segment uncleaned). */
  compactsFully?: boolean;
  /** Upper bound for a group to settle after a member joins or leaves. Default 30 s. */
  rebalanceTimeoutMs?: number;
  /** How many times the SIGKILL test kills a producing child. Default 3. */
  killRounds?: number;
  /**
   * True if one send is atomic across partitions (embedded: one transaction). The SIGKILL test
   * then spreads every send over all partitions and checks each send is whole; otherwise each
   * send goes to one partition (Kafka appends each partition's batch atomically, not a send).
   */
  atomicAcrossPartitions?: boolean;
  /** Extra storage checks after the SIGKILL test (embedded: SQLite integrity check). */
  verifyStorage?(made: ContractTransport): Promise<void>;
}

const CHILD = new URL('./producer-child.ts', import.meta.url).pathname;

export function transportContract(name: string, make: () => Promise<ContractTransport>, options: ContractOptions): void {
  const settleMs = options.rebalanceTimeoutMs ?? 30_000;

  describe(`transport contract: ${name}`, function () {
    this.timeout(Math.max(60_000, settleMs * 3));
    let made: ContractTransport;
    let transport: Transport;

    beforeEach(async () => {
      made = await make();
      transport = made.transport;
    });

    afterEach(async () => {
      await transport.close();
      await made.cleanup();
    });

    const unique = (what: string) => `contract.${what}.${randomUUID().slice(0, 8)}`;

    async function topic(partitions: number, cleanupPolicy: 'delete' | 'compact' = 'delete'): Promise<string> {
      const name = unique('t');
      await transport.admin().createTopics([{ name, partitions, cleanupPolicy }]);
      return name;
    }

    function consumer(extra: Partial<ConsumerOptions> = {}): Consumer {
      return transport.consumer({ groupId: unique('g'), fromBeginning: true, ...extra });
    }

    it('keeps records in order per partition, with monotonic offsets', async () => {
      const t = await topic(3);
      const producer = transport.producer();
      const sent: Array<{ partition: number; offset: number; value: string }> = [];
      for (let round = 0; round < 3; round++) {
        const records = Array.from({ length: 100 }, (_, i) => ({
          key: Buffer.from(`key-${i % 10}`),
          value: Buffer.from(`${round}-${i}`),
        }));
        const meta = await producer.send(t, records);
        expect(meta).to.have.length(records.length);
        meta.forEach((m, i) => {
          expect(m.topic).to.equal(t);
          sent.push({ partition: m.partition, offset: m.offset, value: records[i]!.value.toString() });
        });
      }
      for (let p = 0; p < 3; p++) {
        const offsets = sent.filter((s) => s.partition === p).map((s) => s.offset);
        expect(offsets, `offsets of partition ${p} in send order`).to.deep.equal(offsets.map((_, i) => offsets[0]! + i));
      }
      const got = await readAll(transport, t, sent.length, settleMs);
      for (let p = 0; p < 3; p++) {
        const read = got.filter((r) => r.partition === p);
        expect(read.map((r) => r.value!.toString())).to.deep.equal(sent.filter((s) => s.partition === p).map((s) => s.value));
        expect(read.map((r) => r.offset)).to.deep.equal(sent.filter((s) => s.partition === p).map((s) => s.offset));
      }
    });

    it('appends to several topics in one sendBatch and answers per topic in order', async () => {
      const [a, b] = [await topic(2), await topic(1)];
      const producer = transport.producer();
      const result = await producer.sendBatch([
        { topic: a, records: [{ key: Buffer.from('x'), value: Buffer.from('a1') }] },
        {
          topic: b,
          records: [
            { key: null, value: Buffer.from('b1') },
            { key: null, value: Buffer.from('b2') },
          ],
        },
      ]);
      expect(result).to.have.length(2);
      expect(result[0]!.map((m) => m.topic)).to.deep.equal([a]);
      expect(result[1]!.map((m) => [m.topic, m.partition, m.offset])).to.deep.equal([
        [b, 0, 0],
        [b, 0, 1],
      ]);
      expect((await readAll(transport, b, 2, settleMs)).map((r) => r.value!.toString())).to.deep.equal(['b1', 'b2']);
    });

    it("hashes keys to partitions as Java's default partitioner does, and honours an explicit partition", async () => {
      const t = await topic(5);
      const producer = transport.producer();
      const keys = Array.from({ length: 60 }, (_, i) => `market-${i}-${i * 7919}`);
      const meta = await producer.send(
        t,
        keys.map((k) => ({ key: Buffer.from(k), value: Buffer.from(k) })),
      );
      for (const [i, m] of meta.entries()) expect(m.partition, keys[i]).to.equal(partitionForKey(Buffer.from(keys[i]!), 5));
      const again = await producer.send(t, [{ key: Buffer.from(keys[0]!), value: null }]);
      expect(again[0]!.partition).to.equal(meta[0]!.partition);
      const pinned = await producer.send(t, [{ key: Buffer.from(keys[0]!), value: Buffer.from('pinned'), partition: (meta[0]!.partition + 1) % 5 }]);
      expect(pinned[0]!.partition).to.equal((meta[0]!.partition + 1) % 5);
      const got = await readAll(transport, t, keys.length + 2, settleMs);
      for (const r of got.filter((r) => r.value?.toString() !== 'pinned')) {
        expect(r.partition).to.equal(partitionForKey(r.key!, 5));
      }
    });

    it('spreads records without a key over the partitions', async () => {
      const t = await topic(4);
      const producer = transport.producer();
      const used = new Set<number>();
      for (let i = 0; i < 12; i++) {
        const [m] = await producer.send(t, [{ key: null, value: Buffer.from(`v${i}`) }]);
        used.add(m!.partition);
      }
      expect(used.size).to.be.greaterThan(1);
    });

    it('round-trips headers, null and empty keys and values, explicit timestamps and large values', async () => {
      const t = await topic(1);
      const large = randomBytes(900 * 1024);
      const before = Date.now();
      const records: ProduceRecord[] = [
        { key: Buffer.from('h'), value: Buffer.from('with headers'), headers: { 'content-type': 'avro', 'x-ünïcode': 'ünïcode ✓', empty: '' } },
        { key: null, value: Buffer.from('no key') },
        { key: Buffer.from('tombstone'), value: null },
        { key: Buffer.alloc(0), value: Buffer.alloc(0) },
        { key: Buffer.from('ts'), value: Buffer.from('explicit'), timestamp: 1_600_000_000_123 },
        { key: Buffer.from('large'), value: large },
        { key: Buffer.from([0, 255, 1, 254]), value: Buffer.from([0, 0, 0]) },
      ];
      await transport.producer().send(t, records);
      const got = await readAll(transport, t, records.length, settleMs);
      expect(got).to.have.length(records.length);
      got.forEach((r, i) => {
        const want = records[i]!;
        expect(r.key === null ? null : Buffer.from(r.key), `key ${i}`).to.deep.equal(want.key);
        expect(r.value === null ? null : Buffer.from(r.value), `value ${i}`).to.deep.equal(want.value);
        expect(r.headers, `headers ${i}`).to.deep.equal(want.headers ?? {});
        if (want.timestamp !== undefined) expect(r.timestamp).to.equal(want.timestamp);
        else expect(r.timestamp).to.be.within(before - 60_000, Date.now() + 60_000);
      });
    });

    it('commits offsets durably, and a new member of the group resumes after the commit', async () => {
      const t = await topic(1);
      const producer = transport.producer();
      await producer.send(
        t,
        Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(`first-${i}`) })),
      );
      const groupId = unique('g');
      const first = transport.consumer({ groupId, fromBeginning: true });
      await first.subscribe([t]);
      const read = await drain([first], 10, settleMs);
      expect(read.map((r) => r.offset)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await first.commit([{ topic: t, partition: 0, offset: 4 }]);
      expect(await transport.admin().groupOffsets(groupId, t)).to.deep.equal([{ topic: t, partition: 0, offset: 4 }]);
      await first.close();
      await producer.send(t, [{ key: null, value: Buffer.from('later') }]);

      const second = transport.consumer({ groupId, fromBeginning: true });
      await second.subscribe([t]);
      const resumed = await drain([second], 7, settleMs);
      expect(resumed.map((r) => r.offset)).to.deep.equal([4, 5, 6, 7, 8, 9, 10]);
      expect(resumed[0]!.value!.toString()).to.equal('first-4');
      expect(second.position(t, 0)).to.equal(11);
      await second.close();
      expect(await transport.admin().listGroups()).to.include(groupId);
    });

    it('reports lag per partition against the committed offset', async () => {
      const t = await topic(2);
      const producer = transport.producer();
      await producer.send(t, [
        ...Array.from({ length: 6 }, () => ({ key: null, value: Buffer.from('p0'), partition: 0 })),
        ...Array.from({ length: 4 }, () => ({ key: null, value: Buffer.from('p1'), partition: 1 })),
      ]);
      const groupId = unique('g');
      const admin = transport.admin();
      expect(await admin.lag(groupId, t)).to.deep.equal([
        { topic: t, partition: 0, committed: null, high: 6, lag: 6 },
        { topic: t, partition: 1, committed: null, high: 4, lag: 4 },
      ]);
      const c = transport.consumer({ groupId, fromBeginning: true });
      await c.subscribe([t]);
      await drain([c], 10, settleMs);
      await c.commit([{ topic: t, partition: 0, offset: 2 }]);
      await c.close();
      expect(await admin.lag(groupId, t)).to.deep.equal([
        { topic: t, partition: 0, committed: 2, high: 6, lag: 4 },
        { topic: t, partition: 1, committed: null, high: 4, lag: 4 },
      ]);
      expect(await admin.offsets(t)).to.deep.equal([
        { partition: 0, low: 0, high: 6 },
        { partition: 1, low: 0, high: 4 },
      ]);
    });

    it('shares partitions between two members of a group, and gives them all to the one left', async () => {
      const t = await topic(4);
      const producer = transport.producer();
      await producer.send(
        t,
        Array.from({ length: 40 }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), partition: i % 4 })),
      );
      const groupId = unique('g');
      const a = transport.consumer({ groupId, fromBeginning: true });
      const b = transport.consumer({ groupId, fromBeginning: true });
      await a.subscribe([t]);
      await b.subscribe([t]);
      const seen = new Map<string, ConsumedRecord>();
      const all = ['0', '1', '2', '3'];
      await pollUntil([a, b], seen, settleMs, () => {
        const pa = a.assignment().map((x) => String(x.partition));
        const pb = b.assignment().map((x) => String(x.partition));
        return pa.length > 0 && pb.length > 0 && pa.every((p) => !pb.includes(p)) && [...pa, ...pb].sort().join() === all.join();
      });
      await b.close();
      await pollUntil(
        [a],
        seen,
        settleMs,
        () =>
          a
            .assignment()
            .map((x) => String(x.partition))
            .sort()
            .join() === all.join(),
      );
      await pollUntil([a], seen, settleMs, () => seen.size === 40);
      expect([...seen.keys()].sort()).to.have.length(40);
      await a.close();
    });

    it('commits the output of a step with its input offset as one transaction, and fences a member that lost the input partition', async () => {
      const input = await topic(2);
      const output = await topic(1);
      await transport.producer().send(
        input,
        Array.from({ length: 20 }, (_, i) => ({ key: null, value: Buffer.from(`in${i}`), partition: i % 2 })),
      );
      const groupId = unique('g');
      const a = transport.consumer({ groupId, fromBeginning: true });
      await a.subscribe([input]);
      const seen = new Map<string, ConsumedRecord>();
      await pollUntil([a], seen, settleMs, () => a.assignment().length === 2);
      const steps = transport.transactionalProducer();
      const out = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${from + i}`), value: Buffer.from(`out${from + i}`) }));
      await steps.commitStep(a, { topic: input, partition: 0, offset: 4 }, [{ topic: output, records: out(4, 0) }]);
      await steps.commitStep(a, { topic: input, partition: 1, offset: 2 }, []);
      const committed = async () => new Map((await transport.admin().groupOffsets(groupId, input)).map((o) => [o.partition, o.offset]));
      // Kafka makes a transaction's offsets readable once its markers land, a moment after the commit returns.
      const expected = new Map([
        [0, 4],
        [1, 2],
      ]);
      const deadline = Date.now() + settleMs;
      let got = await committed();
      while (JSON.stringify([...got]) !== JSON.stringify([...expected]) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        got = await committed();
      }
      expect(got).to.deep.equal(expected);
      expect((await readAll(transport, output, 4, settleMs)).map((r) => r.value!.toString())).to.deep.equal(['out0', 'out1', 'out2', 'out3']);

      // A second member takes one partition over: a step of the lost partition writes nothing.
      const b = transport.consumer({ groupId, fromBeginning: true });
      await b.subscribe([input]);
      await pollUntil([a, b], seen, settleMs, () => a.assignment().length === 1 && b.assignment().length === 1);
      const lost = a.assignment()[0]!.partition === 0 ? 1 : 0;
      const err = await steps.commitStep(a, { topic: input, partition: lost, offset: 9 }, [{ topic: output, records: out(3, 4) }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ConsumerStateError);
      expect((err as ConsumerStateError).context).to.include({ topic: input, partition: lost, fenced: true });
      expect((await committed()).get(lost)).to.equal(lost === 0 ? 4 : 2);
      expect(await readAll(transport, output, undefined, settleMs)).to.have.length(4);
      await steps.close();
      await a.close();
      await b.close();
    });

    it('replays from the beginning, from an offset, and from the end', async () => {
      const t = await topic(2);
      const producer = transport.producer();
      await producer.send(
        t,
        Array.from({ length: 20 }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), partition: i % 2 })),
      );
      const c = consumer();
      await c.subscribe([t]);
      expect(await drain([c], 20, settleMs)).to.have.length(20);
      await c.seekToBeginning(t);
      const replay = await drain([c], 20, settleMs);
      expect(replay.filter((r) => r.partition === 0).map((r) => r.offset)).to.deep.equal([...Array(10).keys()]);
      c.seek(t, 1, 7);
      const tail = await drain([c], 3, settleMs);
      expect(tail.map((r) => [r.partition, r.offset])).to.deep.equal([
        [1, 7],
        [1, 8],
        [1, 9],
      ]);
      await c.seekToEnd(t);
      expect(await c.poll({ waitMs: 300 })).to.deep.equal([]);
      await producer.send(t, [{ key: null, value: Buffer.from('new'), partition: 0 }]);
      const fresh = await drain([c], 1, settleMs);
      expect(fresh.map((r) => r.value!.toString())).to.deep.equal(['new']);
      await c.close();
    });

    it('replays from a timestamp', async () => {
      const t = await topic(2);
      const base = Date.now() - 3_600_000;
      const producer = transport.producer();
      const records = Array.from({ length: 20 }, (_, i) => ({
        key: null,
        value: Buffer.from(`v${i}`),
        partition: i % 2,
        timestamp: base + i * 1_000,
      }));
      await producer.send(t, records.slice(0, 10));
      await producer.send(t, records.slice(10));
      const admin = transport.admin();
      // Records at base+12000 (partition 0, offset 6) and base+13000 (partition 1, offset 6) onward.
      expect(await admin.offsetsForTimestamp(t, base + 11_500)).to.deep.equal([
        { topic: t, partition: 0, offset: 6 },
        { topic: t, partition: 1, offset: 6 },
      ]);
      expect(await admin.offsetsForTimestamp(t, base + 100_000)).to.deep.equal([
        { topic: t, partition: 0, offset: 10 },
        { topic: t, partition: 1, offset: 10 },
      ]);
      const c = consumer();
      await c.subscribe([t]);
      await drain([c], 20, settleMs);
      await c.seekToTimestamp(t, base + 11_500);
      const replay = await drain([c], 8, settleMs);
      expect(replay.map((r) => r.timestamp).sort((x, y) => x - y)).to.deep.equal(records.slice(12).map((r) => r.timestamp));
      await c.close();
    });

    it('keeps the last value per key when a compacted topic is compacted', async () => {
      const t = await topic(1, 'compact');
      const producer = transport.producer();
      const last = new Map<string, { value: string | null; offset: number }>();
      for (let round = 0; round < 5; round++) {
        const records = ['a', 'b', 'c', 'd', 'e'].map((k) => ({
          key: Buffer.from(k),
          value: k === 'e' && round === 4 ? null : Buffer.from(`${k}-${round}`),
        }));
        const meta = await producer.send(t, records);
        for (const [i, r] of records.entries()) last.set(r.key.toString(), { value: r.value?.toString() ?? null, offset: meta[i]!.offset });
      }
      await options.forceCompaction(transport, t);
      const got = await readAll(transport, t, options.compactsFully ? last.size : undefined, settleMs);
      const offsets = got.map((r) => r.offset);
      expect(offsets, 'offsets increase').to.deep.equal([...offsets].sort((x, y) => x - y));
      const lastSeen = new Map<string, ConsumedRecord>();
      for (const r of got) lastSeen.set(r.key!.toString(), r);
      for (const [key, want] of last) {
        const r = lastSeen.get(key);
        expect(r, `key ${key}`).to.not.equal(undefined);
        expect(r!.value === null ? null : r!.value.toString(), `value of ${key}`).to.equal(want.value);
        expect(r!.offset, `offset of ${key}`).to.equal(want.offset);
      }
      if (options.compactsFully) expect(got).to.have.length(last.size);
      expect(await transport.admin().describeTopic(t)).to.include({ cleanupPolicy: 'compact', partitions: 1 });
    });

    it('creates topics idempotently, refuses a conflicting partition count, lists, describes and deletes', async () => {
      const admin = transport.admin();
      const name = unique('admin');
      await admin.createTopics([{ name, partitions: 3 }]);
      await admin.createTopics([{ name, partitions: 3 }]);
      let refused: unknown;
      try {
        await admin.createTopics([{ name, partitions: 5 }]);
      } catch (err) {
        refused = err;
      }
      expect(refused).to.have.property('code', 'PMA_ERR_TOPIC');
      expect(await admin.describeTopic(name)).to.include({ name, partitions: 3, cleanupPolicy: 'delete' });
      expect((await admin.listTopics()).map((d) => d.name)).to.include(name);
      await admin.deleteTopics([name]);
      expect(await admin.describeTopic(name)).to.equal(undefined);
    });

    it('wakes a waiting poll when a record lands, and aborts a poll through its signal', async () => {
      const t = await topic(1);
      const c = consumer();
      await c.subscribe([t]);
      await c.poll({ waitMs: 200 });
      const producer = transport.producer();
      setTimeout(() => void producer.send(t, [{ key: null, value: Buffer.from('wake') }]), 300);
      const woke = await drain([c], 1, settleMs);
      expect(woke[0]!.value!.toString()).to.equal('wake');
      const controller = new AbortController();
      const pending = c.poll({ waitMs: 60_000, signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      let aborted: unknown;
      try {
        await pending;
      } catch (err) {
        aborted = err;
      }
      expect(aborted).to.have.property('code', 'PMA_ERR_ABORTED');
      await c.close();
    });

    it('loses nothing acknowledged and leaves nothing half-written when a producer process is SIGKILLed', async function () {
      this.timeout(Math.max(120_000, settleMs * 4));
      const partitions = 3;
      const spread = options.atomicAcrossPartitions ?? false;
      const t = await topic(partitions);
      const rounds = options.killRounds ?? 3;
      const acked: Ack[] = [];
      let seed = 0x5eed;
      const random = () => {
        seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
        return seed / 0x7fffffff;
      };
      for (let round = 0; round < rounds; round++) {
        const killAfter = 30 + Math.floor(random() * 400);
        acked.push(...(await produceUntilKilled(made, t, partitions, `r${round}`, spread, killAfter)));
      }
      expect(acked.length, 'acknowledged sends').to.be.greaterThan(0);
      const high = (await transport.admin().offsets(t)).reduce((n, p) => n + p.high - p.low, 0);
      const got = await readAll(transport, t, high, settleMs);
      const byBatch = new Map<string, ConsumedRecord[]>();
      const seenRecords = new Set<string>();
      for (const r of got) {
        const v = JSON.parse(r.value!.toString()) as ChildRecord;
        const id = `${v.run}/${v.seq}/${v.i}`;
        expect(seenRecords.has(id), `record ${id} appears once`).to.equal(false);
        seenRecords.add(id);
        const batch = `${v.run}/${v.seq}`;
        const list = byBatch.get(batch) ?? [];
        list.push(r);
        byBatch.set(batch, list);
      }
      for (const [batch, records] of byBatch) {
        const n = (JSON.parse(records[0]!.value!.toString()) as ChildRecord).n;
        expect(records, `send ${batch} is whole`).to.have.length(n);
        const used = [...new Set(records.map((r) => r.partition))];
        expect(used.length, `send ${batch} partitions`).to.equal(spread ? Math.min(n, partitions) : 1);
        for (const p of used) {
          const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
          expect(offsets, `send ${batch} is contiguous in partition ${p}`).to.deep.equal(offsets.map((_, i) => offsets[0]! + i));
        }
      }
      for (const ack of acked) {
        const records = byBatch.get(`${ack.run}/${ack.seq}`);
        expect(records, `acknowledged send ${ack.run}/${ack.seq}`).to.not.equal(undefined);
        const expected = ack.ranges.flatMap(([partition, first, last]) => Array.from({ length: last - first + 1 }, (_, i) => `${partition}/${first + i}`));
        expect(records!.map((r) => `${r.partition}/${r.offset}`).sort()).to.deep.equal(expected.sort());
      }
      await options.verifyStorage?.(made);
    });
  });
}

interface ChildRecord {
  run: string;
  seq: number;
  i: number;
  n: number;
}

/** One acknowledged send: per partition it touched, the first and last offset it got. */
interface Ack {
  run: string;
  seq: number;
  ranges: Array<[partition: number, first: number, last: number]>;
}

/** Starts the producing child, kills it with SIGKILL `killAfterMs` after its first acknowledgement, and returns what it acknowledged. */
async function produceUntilKilled(made: ContractTransport, topic: string, partitions: number, run: string, spread: boolean, killAfterMs: number): Promise<Ack[]> {
  const args = [CHILD, JSON.stringify(made.openConfig), topic, String(partitions), run, spread ? 'spread' : 'single'];
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PMA_LOG_LEVEL: 'silent' },
  });
  let out = '';
  let err = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const failed = setTimeout(() => reject(new Error(`producer child acknowledged nothing in 60 s: ${err}`)), 60_000);
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
      });
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) {
          clearTimeout(failed);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(failed);
        reject(new Error(`producer child exited early (${code}): ${err}`));
      });
    });
    await new Promise((resolve) => setTimeout(resolve, killAfterMs));
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  // Only whole lines count: a line being written when the kill landed is not an acknowledgement we saw.
  const lines = out.split('\n').slice(0, -1);
  return lines.map((line) => JSON.parse(line) as Ack);
}

/** Polls `consumers` together until `count` records arrived, failing after `timeoutMs`. */
async function drain(consumers: Consumer[], count: number, timeoutMs: number): Promise<ConsumedRecord[]> {
  const got: ConsumedRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} records, got ${got.length} in ${timeoutMs} ms`);
    const polled = await Promise.all(consumers.map((c) => c.poll({ waitMs: 250 })));
    for (const batches of polled) for (const b of batches) got.push(...b.records);
  }
  return got;
}

/** Polls `consumers` together, remembering records by topic/partition/offset, until `done()`. */
async function pollUntil(consumers: Consumer[], seen: Map<string, ConsumedRecord>, timeoutMs: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`condition not reached in ${timeoutMs} ms`);
    const polled = await Promise.all(consumers.map((c) => c.poll({ waitMs: 200 })));
    for (const batches of polled) for (const b of batches) for (const r of b.records) seen.set(`${r.topic}/${r.partition}/${r.offset}`, r);
  }
}

/**
 * Reads a whole topic with a fresh group, in offset order per partition (partitions one after
 * the other). Stops when every partition's position reached its high watermark, or, if
 * `expected` is given, once that many records arrived and the log has nothing more.
 */
async function readAll(transport: Transport, topic: string, expected: number | undefined, timeoutMs: number): Promise<ConsumedRecord[]> {
  const c = transport.consumer({ groupId: `contract.read.${randomUUID().slice(0, 8)}`, fromBeginning: true });
  try {
    await c.subscribe([topic]);
    const bounds = await transport.admin().offsets(topic);
    const got: ConsumedRecord[] = [];
    const deadline = Date.now() + timeoutMs;
    const atEnd = () => bounds.every((b) => (c.position(topic, b.partition) ?? -1) >= b.high);
    while (!atEnd()) {
      if (Date.now() > deadline) throw new Error(`read ${got.length} records of ${topic} in ${timeoutMs} ms, expected ${expected ?? 'the whole log'}`);
      const batches = await c.poll({ waitMs: 250 });
      for (const b of batches) got.push(...b.records);
      if (batches.length === 0 && expected !== undefined && got.length >= expected) break;
    }
    return got.sort((x, y) => x.partition - y.partition || x.offset - y.offset);
  } finally {
    await c.close();
  }
}
