import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { EmbeddedRegistry } from '../../../registry/embedded.ts';
import { RegistryError, TransportError } from '../../../runtime/errors.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import { createEmbeddedTransport } from '../../../transport/embedded/index.ts';
import { describeNeeding } from '../../prerequisite.ts';
import { readTopic } from '../../sinks/log-harness.ts';
import { mountTmpfs, type Tmpfs, tmpfsMissing } from '../../sinks/tmpfs.ts';

const TOPIC = 'full-disk';

/** The files this process (every thread) has open. */
const openFiles = () =>
  readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return []; // closed between listing and reading
    }
  });
const SQLITE_IOERR = 10;

/** Records whose keys and values are recomputable from their index: the oracle for "nothing lost". */
const recordAt = (i: number) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value ${i} `.repeat(40)) });

async function produce(path: string, from: number, count: number): Promise<void> {
  const transport = await createEmbeddedTransport({ path, logger: silentLogger });
  try {
    await transport.admin().createTopics([{ name: TOPIC, partitions: 3, cleanupPolicy: 'delete' }]);
    const producer = transport.producer();
    await producer.send(
      TOPIC,
      Array.from({ length: count }, (_, i) => recordAt(from + i)),
    );
    await producer.close();
  } finally {
    await transport.close();
  }
}

describeNeeding('transport/embedded on a full disk', tmpfsMissing(), function () {
  this.timeout(60_000);
  let disk: Tmpfs;
  beforeEach(() => {
    disk = mountTmpfs(8);
  });
  afterEach(() => {
    disk.free();
    disk.unmount();
  });

  it('reopening a closed log on a full disk names the full disk and the file, keeping SQLite’s I/O error as the cause; once space is freed every record is there and new ones are taken', async () => {
    const path = join(disk.dir, 'data', 'log.sqlite');
    await produce(path, 0, 500);

    // No process has the log open, so opening it must create its -shm file: SQLite reports a
    // refused -shm as a bare I/O error (SQLITE_IOERR_SHMSIZE), not as SQLITE_FULL.
    disk.fill(0);
    const failure = await createEmbeddedTransport({ path, logger: silentLogger }).then(
      async (t) => {
        await t.close();
        return undefined;
      },
      (err: unknown) => err,
    );
    expect(failure, 'opening the log on a full disk').to.be.instanceOf(TransportError);
    const err = failure as TransportError;
    expect(err.code).to.equal('PMA_ERR_TRANSPORT');
    expect(err.message).to.match(/the disk is full/);
    expect(err.message).to.include(disk.dir);
    expect(err.context).to.include({ path, diskFull: true });
    expect(err.context.freeBytes)
      .to.be.a('number')
      .lessThan(64 * 1024);
    const cause = err.cause as { code?: string; errcode?: number };
    expect(cause.code, 'the SQLite error is kept as the cause').to.equal('ERR_SQLITE_ERROR');
    expect(cause.errcode! & 0xff, 'SQLite saw an I/O error, not SQLITE_FULL').to.equal(SQLITE_IOERR);

    disk.free();
    await produce(path, 500, 100);
    const transport = await createEmbeddedTransport({ path, logger: silentLogger });
    try {
      const read = await readTopic(transport, TOPIC);
      const got = read.map((r) => `${r.key!.toString()}=${r.value!.toString()}`).sort();
      const want = Array.from({ length: 600 }, (_, i) => recordAt(i))
        .map((r) => `${r.key.toString()}=${r.value.toString()}`)
        .sort();
      expect(got).to.deep.equal(want);
    } finally {
      await transport.close();
    }
  });

  it('closing the transport when the full disk refuses a consumer’s leave still closes the others, the producers and the writer thread, then fails with the full disk', async () => {
    const path = join(disk.dir, 'data', 'log.sqlite');
    await produce(path, 0, 50);
    const transport = await createEmbeddedTransport({ path, logger: silentLogger });
    const consumers = [transport.consumer({ groupId: 'a', fromBeginning: true }), transport.consumer({ groupId: 'b', fromBeginning: true })];
    for (const c of consumers) {
      await c.subscribe([TOPIC]);
      await c.poll({ waitMs: 0 });
    }
    const producer = transport.producer();
    await producer.send(TOPIC, [recordAt(50)]);
    expect(
      openFiles().filter((f) => f.startsWith(path)),
      'the log is open',
    ).to.not.be.empty;

    disk.fill(0);
    const failure = await transport.close().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure, 'close on a full disk').to.be.instanceOf(TransportError);
    expect((failure as Error).message).to.match(/the disk is full/);
    expect(
      openFiles().filter((f) => f.startsWith(path)),
      'files of the log still open after close',
    ).to.deep.equal([]);
  });

  it('the embedded registry opened on a full disk names the full disk and the file', async () => {
    const path = join(disk.dir, 'data', 'log.sqlite');
    await new EmbeddedRegistry({ path }).close();
    disk.fill(0);
    let failure: unknown;
    try {
      await new EmbeddedRegistry({ path }).close();
    } catch (err) {
      failure = err;
    }
    expect(failure, 'opening the registry on a full disk').to.be.instanceOf(RegistryError);
    const err = failure as RegistryError;
    expect(err.message).to.match(/the disk is full/);
    expect(err.message).to.include(path);
    expect(err.context).to.include({ path, diskFull: true });
    expect((err.cause as { code?: string }).code).to.equal('ERR_SQLITE_ERROR');

    disk.free();
    const registry = new EmbeddedRegistry({ path });
    try {
      const id = await registry.register('s-value', '"string"');
      expect(await registry.getSchemaById(id)).to.equal('"string"');
    } finally {
      await registry.close();
    }
  });
});
