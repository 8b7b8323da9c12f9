import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { expect } from 'chai';
import { PmaError } from '../../runtime/errors.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { createEmbeddedTransport, type EmbeddedTransport, type EmbeddedTransportOptions } from '../../transport/embedded/index.ts';
import { embeddedLogPath } from '../../transport/index.ts';
import type { ConsumedRecord } from '../../transport/types.ts';
import { type ContractTransport, transportContract } from './contract.ts';

async function makeEmbedded(): Promise<ContractTransport> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pma-embedded-'));
  const transport = await createEmbeddedTransport({ path: embeddedLogPath(dataDir), logger: silentLogger });
  return {
    transport,
    openConfig: { transport: 'embedded', brokers: [], dataDir },
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

transportContract('embedded', makeEmbedded, {
  forceCompaction: async (transport, topic) => {
    await (transport as EmbeddedTransport).admin().compactNow([topic]);
  },
  compactsFully: true,
  atomicAcrossPartitions: true,
  rebalanceTimeoutMs: 10_000,
  verifyStorage: async (made) => {
    const db = new DatabaseSync(embeddedLogPath(made.openConfig.dataDir), { readOnly: true });
    try {
      expect(db.prepare('PRAGMA integrity_check').all()).to.deep.equal([{ integrity_check: 'ok' }]);
    } finally {
      db.close();
    }
  },
});

const CHILD = new URL('./embedded-child.ts', import.meta.url).pathname;

describe('transport/embedded (beyond the contract)', function () {
  this.timeout(60_000);
  let dir: string;
  const open: EmbeddedTransport[] = [];
  const children: ChildProcess[] = [];

  async function make(options: Partial<EmbeddedTransportOptions> = {}): Promise<EmbeddedTransport> {
    const t = await createEmbeddedTransport({ path: join(dir, 'log.sqlite'), logger: silentLogger, ...options });
    open.push(t);
    return t;
  }

  function child(...args: string[]): { proc: ChildProcess; lines: AsyncIterator<string> } {
    const proc = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(proc);
    const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
    return { proc, lines };
  }

  async function nextLine(lines: AsyncIterator<string>, timeoutMs = 20_000): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('child printed nothing in time')), timeoutMs);
    });
    try {
      const r = await Promise.race([lines.next(), timeout]);
      if (r.done) throw new Error('child ended');
      return r.value;
    } finally {
      clearTimeout(timer);
    }
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pma-embedded-'));
  });

  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        const gone = once(c, 'exit');
        c.kill('SIGKILL');
        await gone;
      }
    }
    for (const t of open.splice(0)) await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('wakes a consumer promptly on a record produced by another process, without polling the file', async () => {
    // A safety poll slower than the wait itself: only the file watch can wake this consumer in time.
    const t = await make({ safetyPollMs: 60_000 });
    await t.admin().createTopics([{ name: 'wake', partitions: 1 }]);
    const c = t.consumer({ groupId: 'g' });
    await c.subscribe(['wake']);
    expect(await c.poll({ waitMs: 0 })).to.deep.equal([]);
    const polled = c.poll({ waitMs: 30_000 });
    const { lines } = child('produce', t.path, 'wake', 'from-child');
    const sentAt = Number((await nextLine(lines)).split(' ')[1]);
    const batches = await polled;
    const latency = Date.now() - sentAt;
    expect(batches[0]!.records[0]!.value!.toString()).to.equal('from-child');
    expect(latency, 'woke long before the 30 s wait ended').to.be.below(5_000);
  });

  it('shares a group with a consumer in another process, and takes over when that process is SIGKILLed', async () => {
    const t = await make({ sessionTimeoutMs: 1_500 });
    await t.admin().createTopics([{ name: 'shared', partitions: 4 }]);
    const { proc, lines } = child('consume', t.path, 'shared', 'g', '1500');
    expect(JSON.parse(await nextLine(lines))).to.deep.equal([0, 1, 2, 3]);
    const c = t.consumer({ groupId: 'g' });
    await c.subscribe(['shared']);
    const deadline = Date.now() + 20_000;
    let childHas: number[] = [];
    while (!(c.assignment().length === 2 && childHas.length === 2)) {
      if (Date.now() > deadline) throw new Error(`no split: here ${JSON.stringify(c.assignment())}, child ${childHas}`);
      const pending = nextLine(lines, 300).then(
        (l) => {
          childHas = JSON.parse(l);
        },
        () => undefined,
      );
      await Promise.all([c.poll({ waitMs: 100 }), pending]);
    }
    expect([...childHas, ...c.assignment().map((a) => a.partition)].sort()).to.deep.equal([0, 1, 2, 3]);
    proc.kill('SIGKILL');
    const killedAt = Date.now();
    while (c.assignment().length < 4) {
      if (Date.now() - killedAt > 20_000) throw new Error('partitions of the killed member were never taken over');
      await c.poll({ waitMs: 200 });
    }
    expect(Date.now() - killedAt, 'taken over after the session timeout, not before').to.be.at.least(1_000);
  });

  it('takes writes from several producer processes at once: every offset once, every send whole, a consumer reading along', async () => {
    const t = await make();
    await t.admin().createTopics([{ name: 'multi', partitions: 3 }]);
    const producerChild = new URL('./producer-child.ts', import.meta.url).pathname;
    const openConfig = JSON.stringify({ transport: 'embedded', brokers: [], dataDir: dir });
    const writers = ['a', 'b', 'c'].map((run) => {
      const proc = spawn(process.execPath, [producerChild, openConfig, 'multi', '3', run, 'spread'], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(proc);
      return { proc, lines: createInterface({ input: proc.stdout! })[Symbol.asyncIterator]() };
    });
    const c = t.consumer({ groupId: 'reader' });
    await c.subscribe(['multi']);
    const read: ConsumedRecord[] = [];
    for (const w of writers) await nextLine(w.lines);
    const until = Date.now() + 700;
    while (Date.now() < until) for (const b of await c.poll({ waitMs: 100 })) read.push(...b.records);
    for (const w of writers) {
      const gone = once(w.proc, 'exit');
      w.proc.kill('SIGKILL');
      await gone;
    }
    const offsets = await t.admin().offsets('multi');
    while (offsets.some((o) => (c.position('multi', o.partition) ?? 0) < o.high)) {
      for (const b of await c.poll({ waitMs: 100 })) read.push(...b.records);
    }
    for (const o of offsets) {
      const got = read.filter((r) => r.partition === o.partition).map((r) => r.offset);
      expect(got, `partition ${o.partition} read once, in order, without gaps`).to.deep.equal([...Array(o.high).keys()]);
    }
    const sends = new Map<string, number[]>();
    for (const r of read) {
      const v = JSON.parse(r.value!.toString()) as { run: string; seq: number; i: number; n: number };
      sends.set(`${v.run}/${v.seq}/${v.n}`, [...(sends.get(`${v.run}/${v.seq}/${v.n}`) ?? []), v.i]);
    }
    expect(new Set([...sends.keys()].map((k) => k.split('/')[0])).size, 'all three processes wrote').to.equal(3);
    for (const [send, indexes] of sends) {
      const n = Number(send.split('/')[2]);
      expect(
        indexes.sort((x, y) => x - y),
        `send ${send} whole`,
      ).to.deep.equal([...Array(n).keys()]);
    }
  });

  it('refuses a commit for a partition rebalanced away, and setGroupOffsets while members are live', async () => {
    const t = await make();
    await t.admin().createTopics([{ name: 'rb', partitions: 2 }]);
    const a = t.consumer({ groupId: 'g' });
    await a.subscribe(['rb']);
    expect(a.assignment()).to.have.length(2);
    const b = t.consumer({ groupId: 'g' });
    await b.subscribe(['rb']);
    await a.poll({ waitMs: 0 });
    await b.poll({ waitMs: 0 });
    expect(a.assignment()).to.have.length(1);
    expect(b.assignment()).to.have.length(1);
    const lost = b.assignment()[0]!;
    await expectCode(a.commit([{ ...lost, offset: 0 }]), 'PMA_ERR_CONSUMER_STATE');
    await expectCode(t.admin().setGroupOffsets('g', [{ ...lost, offset: 0 }]), 'PMA_ERR_CONSUMER_STATE');
    await a.close();
    await b.close();
    await t.admin().setGroupOffsets('g', [{ topic: 'rb', partition: 1, offset: 0 }]);
    expect(await t.admin().groupOffsets('g', 'rb')).to.deep.equal([{ topic: 'rb', partition: 1, offset: 0 }]);
  });

  it('writes all of a sendBatch or nothing', async () => {
    const t = await make();
    const admin = t.admin();
    await admin.createTopics([
      { name: 'one', partitions: 2 },
      { name: 'two', partitions: 1 },
    ]);
    const producer = t.producer();
    await expectCode(
      producer.sendBatch([
        { topic: 'one', records: [{ key: Buffer.from('k'), value: Buffer.from('v') }] },
        { topic: 'two', records: [{ key: null, value: Buffer.from('v'), partition: 3 }] },
      ]),
      'PMA_ERR_TOPIC',
    );
    await expectCode(producer.send('missing', [{ key: null, value: null }]), 'PMA_ERR_TOPIC');
    await expectCode(producer.send('one', [{ key: 'text' as unknown as Buffer, value: null }]), 'PMA_ERR_TRANSPORT');
    for (const name of ['one', 'two']) {
      for (const p of await admin.offsets(name)) expect(p.high, `${name}[${p.partition}]`).to.equal(0);
    }
  });

  it('lands sends that are in flight together in call order, each in one piece', async () => {
    const t = await make();
    await t.admin().createTopics([{ name: 'inflight', partitions: 2 }]);
    const producer = t.producer();
    const sends = Array.from({ length: 30 }, (_, n) =>
      producer.send(
        'inflight',
        Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(`${n}-${i}`), partition: n % 2 })),
      ),
    );
    const results = await Promise.all(sends);
    results.forEach((meta, n) => {
      expect(
        meta.map((m) => m.offset),
        `send ${n}`,
      ).to.deep.equal(Array.from({ length: 10 }, (_, i) => Math.floor(n / 2) * 10 + i));
    });
  });

  it('assigns a subscribed topic that is created later, and wakes for its first record', async () => {
    const t = await make();
    const c = t.consumer({ groupId: 'g' });
    await c.subscribe(['later']);
    expect(c.assignment()).to.deep.equal([]);
    setTimeout(async () => {
      await t.admin().createTopics([{ name: 'later', partitions: 2 }]);
      await t.producer().send('later', [{ key: null, value: Buffer.from('first'), partition: 1 }]);
    }, 100);
    const got = await c.poll({ waitMs: 20_000 });
    expect(got.flatMap((b) => b.records).map((r) => r.value!.toString())).to.deep.equal(['first']);
    expect(c.assignment()).to.deep.equal([
      { topic: 'later', partition: 0 },
      { topic: 'later', partition: 1 },
    ]);
  });

  it('refuses records without a key on a compacted topic', async () => {
    const t = await make();
    await t.admin().createTopics([{ name: 'cursors', partitions: 1, cleanupPolicy: 'compact' }]);
    await expectCode(t.producer().send('cursors', [{ key: null, value: Buffer.from('v') }]), 'PMA_ERR_TOPIC');
  });

  it('deletes whole old batches by age and by size, advancing the log start', async () => {
    const t = await make({ maintenance: { intervalMs: 0 } });
    const admin = t.admin();
    await admin.createTopics([
      { name: 'aged', partitions: 1, retentionMs: 60_000 },
      { name: 'sized', partitions: 1, retentionBytes: 1_000 },
    ]);
    const producer = t.producer();
    const old = Date.now() - 3_600_000;
    await producer.send(
      'aged',
      [0, 1, 2].map((i) => ({ key: null, value: Buffer.from(`old${i}`), timestamp: old })),
    );
    await producer.send('aged', [{ key: null, value: Buffer.from('recent') }]);
    for (let i = 0; i < 10; i++) await producer.send('sized', [{ key: null, value: Buffer.alloc(300, i) }]);
    const c = t.consumer({ groupId: 'early' });
    await c.subscribe(['aged']);
    const report = await admin.compactNow();
    expect(report.expiredBatches).to.equal(1 + 7);
    expect(await admin.offsets('aged')).to.deep.equal([{ partition: 0, low: 3, high: 4 }]);
    expect(await admin.offsets('sized')).to.deep.equal([{ partition: 0, low: 7, high: 10 }]);
    // A consumer positioned before the log start moves to it.
    expect(c.position('aged', 0)).to.equal(0);
    const got = await c.poll({ waitMs: 1_000 });
    expect(got[0]!.records.map((r) => r.value!.toString())).to.deep.equal(['recent']);
    expect((await admin.lag('early', 'aged'))[0]).to.deep.include({ committed: null, lag: 1 });
  });

  it('runs maintenance by itself on a timer and after enough bytes', async () => {
    const t = await make({ maintenance: { intervalMs: 50, everyBytes: 1 } });
    await t.admin().createTopics([
      { name: 'sized', partitions: 1, retentionBytes: 100 },
      { name: 'cursors', partitions: 1, cleanupPolicy: 'compact' },
    ]);
    const producer = t.producer();
    for (let i = 0; i < 5; i++) await producer.send('sized', [{ key: null, value: Buffer.alloc(100, i) }]);
    for (let i = 0; i < 5; i++) await producer.send('cursors', [{ key: Buffer.from('k'), value: Buffer.from(`v${i}`) }]);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [sized] = await t.admin().offsets('sized');
      const c = t.consumer({ groupId: `check-${Date.now()}` });
      await c.subscribe(['cursors']);
      const got = (await c.poll({ waitMs: 0 })).flatMap((b) => b.records);
      await c.close();
      if (sized!.low === 4 && got.length === 1 && got[0]!.value!.toString() === 'v4') break;
      if (Date.now() > deadline) throw new Error(`maintenance did not run: sized low ${sized!.low}, cursors ${got.length}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('keeps offsets and the latest value per key through compaction, and drops old tombstones', async () => {
    const t = await make({ maintenance: { intervalMs: 0, tombstoneRetentionMs: 60_000 } });
    await t.admin().createTopics([{ name: 'c', partitions: 1, cleanupPolicy: 'compact' }]);
    const producer = t.producer();
    const now = Date.now();
    for (let i = 0; i < 200; i++) await producer.send('c', [{ key: Buffer.from(`k${i % 7}`), value: Buffer.from(`v${i}`) }]);
    await producer.send('c', [
      { key: Buffer.from('old-tombstone'), value: null, timestamp: now - 120_000 },
      { key: Buffer.from('new-tombstone'), value: null },
    ]);
    const reader = t.consumer({ groupId: 'mid' });
    await reader.subscribe(['c']);
    reader.seek('c', 0, 150);
    const report = await t.admin().compactNow(['c']);
    expect(report.compactedRecords).to.equal(200 - 7 + 1);
    const got = (await reader.poll({ waitMs: 1_000 })).flatMap((b) => b.records);
    expect(got.map((r) => [r.key!.toString(), r.value?.toString() ?? null, r.offset])).to.deep.equal([
      ...[193, 194, 195, 196, 197, 198, 199].map((i) => [`k${i % 7}`, `v${i}`, i]),
      ['new-tombstone', null, 201],
    ]);
    expect(reader.position('c', 0)).to.equal(202);
    expect(await t.admin().offsets('c')).to.deep.equal([{ partition: 0, low: 0, high: 202 }]);
    const again = await t.admin().compactNow(['c']);
    expect(again.compactedRecords).to.equal(0);
  });

  it('detects a damaged stored batch by its checksum and names where it is', async () => {
    const t = await make();
    await t.admin().createTopics([{ name: 'crc', partitions: 1 }]);
    await t.producer().send('crc', [{ key: null, value: Buffer.from('precious') }]);
    const raw = new DatabaseSync(t.path);
    raw.exec("UPDATE log_batches SET payload = CAST(replace(CAST(payload AS TEXT), 'precious', 'tampered') AS BLOB)");
    raw.close();
    const c = t.consumer({ groupId: 'g' });
    await c.subscribe(['crc']);
    const err = await expectCode(c.poll({ waitMs: 0 }), 'PMA_ERR_TRANSPORT');
    expect(err.context).to.include({ topic: 'crc', partition: 0, offset: 0 });
    expect(err.message).to.contain('checksum');
  });

  it('refuses to step over batches missing from a topic that is never compacted, naming the file and the missing offsets', async () => {
    const t = await make();
    await t.admin().createTopics([{ name: 'holes', partitions: 1 }]);
    const producer = t.producer();
    for (let i = 0; i < 4; i++)
      await producer.send('holes', [
        { key: null, value: Buffer.from(`a${i}`) },
        { key: null, value: Buffer.from(`b${i}`) },
      ]);
    const raw = new DatabaseSync(t.path);
    // Rows lost from the file, as a damaged page or a hand edit would lose them: a middle batch, then the last.
    raw.exec('DELETE FROM log_batches WHERE base_offset IN (2, 6)');
    raw.close();
    const c = t.consumer({ groupId: 'g' });
    await c.subscribe(['holes']);
    const mid = await expectCode(c.poll({ waitMs: 0 }), 'PMA_ERR_TRANSPORT');
    expect(mid.context).to.include({ path: t.path, topic: 'holes', partition: 0, offset: 2, lastOffset: 3 });
    expect(mid.message).to.contain('records missing');
    c.seek('holes', 0, 4);
    const tail = await expectCode(c.poll({ waitMs: 0 }), 'PMA_ERR_TRANSPORT');
    expect(tail.context).to.include({ topic: 'holes', partition: 0, offset: 6, lastOffset: 7 });
  });

  it('honours maxRecords and maxBytes, and still hands over a record larger than maxBytes', async () => {
    const t = await make();
    await t.admin().createTopics([{ name: 'limits', partitions: 1 }]);
    const producer = t.producer();
    await producer.send(
      'limits',
      Array.from({ length: 50 }, (_, i) => ({ key: null, value: Buffer.alloc(100, i) })),
    );
    await producer.send('limits', [{ key: null, value: Buffer.alloc(10_000) }]);
    const c = t.consumer({ groupId: 'g', maxRecords: 7, maxBytes: 450 });
    await c.subscribe(['limits']);
    const sizes: number[] = [];
    while (c.position('limits', 0)! < 51) {
      const got = (await c.poll({ waitMs: 0 })).flatMap((b) => b.records);
      sizes.push(got.length);
      if (got.length === 0) break;
    }
    expect(sizes.slice(0, 12)).to.deep.equal([4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]);
    expect(sizes.at(-1)).to.equal(1);
    expect(sizes.reduce((a, b) => a + b, 0)).to.equal(51);
  });

  it('keeps records and committed offsets across a reopen, and starts a recreated topic afresh', async () => {
    let t = await make();
    await t.admin().createTopics([{ name: 'keep', partitions: 1 }]);
    await t.producer().send('keep', [
      { key: null, value: Buffer.from('a') },
      { key: null, value: Buffer.from('b') },
    ]);
    const c = t.consumer({ groupId: 'g' });
    await c.subscribe(['keep']);
    await c.poll({ waitMs: 0 });
    await c.commit([{ topic: 'keep', partition: 0, offset: 1 }]);
    await t.close();
    t = await make();
    const again = t.consumer({ groupId: 'g' });
    await again.subscribe(['keep']);
    const got = (await again.poll({ waitMs: 0 })).flatMap((b) => b.records);
    expect(got.map((r) => r.value!.toString())).to.deep.equal(['b']);
    await t.admin().deleteTopics(['keep']);
    await t.admin().createTopics([{ name: 'keep', partitions: 1 }]);
    await t.producer().send('keep', [{ key: null, value: Buffer.from('new') }]);
    const fresh = (await again.poll({ waitMs: 1_000 })).flatMap((b) => b.records);
    expect(fresh.map((r) => [r.offset, r.value!.toString()])).to.deep.equal([[0, 'new']]);
  });
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<PmaError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(PmaError);
    expect((err as PmaError).code).to.equal(code);
    return err as PmaError;
  }
  throw new Error(`expected a rejection with ${code}`);
}
