import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../../runtime/logger.ts';
import { acquireMaintenanceLock, BronzeLocks } from '../../../sinks/bronze/locks.ts';
import { newLockOwner, tryLock, waitLock } from '../../../sinks/common/lock-file.ts';

describe('sinks/common: lock files shared by writers of one directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const other = (fields: Partial<{ pid: number; host: string; token: string }>) => JSON.stringify({ pid: process.ppid, host: hostname(), token: 'someone-else', ...fields });

  it('is refused while its owner runs, and taken over once the owner is dead', async () => {
    const path = join(dir, 'p.lock');
    writeFileSync(path, other({}));
    const refused = await tryLock(path, newLockOwner());
    expect(refused.holder).to.deep.equal({ pid: process.ppid, host: hostname() });
    writeFileSync(path, other({ pid: 999_999_999 }));
    const me = newLockOwner();
    const taken = await tryLock(path, me);
    expect(taken.lock).to.not.equal(undefined);
    expect(JSON.parse(readFileSync(path, 'utf8')).token).to.equal(me.token);
    expect(await taken.lock!.held()).to.equal(true);
  });

  it('a lock naming this process with a token it never held was left by an earlier process with the same pid', async () => {
    const path = join(dir, 'p.lock');
    writeFileSync(path, other({ pid: process.pid, token: 'before-the-restart' }));
    expect((await tryLock(path, newLockOwner())).lock).to.not.equal(undefined);
    // Two owners in one process are two writers: the second is refused.
    expect((await tryLock(path, newLockOwner())).holder?.pid).to.equal(process.pid);
  });

  it('from another host, the owner holds it as long as it refreshes its lease', async () => {
    const path = join(dir, 'p.lock');
    writeFileSync(path, other({ host: 'another-host', pid: 1 }));
    expect((await tryLock(path, newLockOwner(), 5_000)).holder?.host).to.equal('another-host');
    const stale = new Date(Date.now() - 6_000);
    utimesSync(path, stale, stale);
    expect((await tryLock(path, newLockOwner(), 5_000)).lock).to.not.equal(undefined);
  });

  it("an owner whose lock was taken over knows it, and its release leaves the new owner's lock alone", async () => {
    const path = join(dir, 'p.lock');
    const first = (await tryLock(path, newLockOwner())).lock!;
    writeFileSync(path, other({ host: 'another-host' }));
    expect(await first.held()).to.equal(false);
    await first.release();
    expect(JSON.parse(readFileSync(path, 'utf8')).host).to.equal('another-host');
  });

  it('waiting for a lock ends when its holder lets go, or fails naming the holder', async () => {
    const path = join(dir, 'p.lock');
    const held = (await tryLock(path, newLockOwner())).lock!;
    const waiting = waitLock(path, newLockOwner(), 10_000);
    await held.release();
    expect(await (await waiting).held()).to.equal(true);
    let error: unknown;
    try {
      await waitLock(path, newLockOwner(), 100);
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.match(new RegExp(`stayed held by pid ${process.pid} on ${hostname()} for 100 ms`));
  });

  it('Bronze maintenance is refused while a sink runs on the directory, and a sink while maintenance runs', async () => {
    const root = join(dir, 'bronze');
    mkdirSync(root);
    const sink = await BronzeLocks.open(root, silentLogger);
    let error: unknown;
    try {
      await acquireMaintenanceLock(root);
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.match(/another Bronze sink or compaction \(pid \d+\) is writing/);
    await sink.close();
    const maintenance = await acquireMaintenanceLock(root);
    error = undefined;
    try {
      await BronzeLocks.open(root, silentLogger);
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.match(/a Bronze compaction or repair \(pid \d+\) is working on/);
    await maintenance.release();
    await (await BronzeLocks.open(root, silentLogger)).close();
  });

  it('a partition is claimed by one sink at a time, and free again once that sink lets go', async () => {
    const root = join(dir, 'bronze');
    mkdirSync(root);
    const a = await BronzeLocks.open(root, silentLogger);
    const b = await BronzeLocks.open(root, silentLogger);
    expect(await a.claim(['pma.trades\u00000', 'pma.trades\u00001'])).to.deep.equal(['pma.trades\u00000', 'pma.trades\u00001']);
    expect(await b.claim(['pma.trades\u00001', 'pma.trades\u00002'])).to.deep.equal(['pma.trades\u00002']);
    await a.release('pma.trades\u00001');
    expect(await b.claim(['pma.trades\u00001'])).to.deep.equal(['pma.trades\u00001']);
    expect(await a.holds('pma.trades\u00000')).to.equal(true);
    expect(await b.holds('pma.trades\u00000')).to.equal(false);
    await a.close();
    await b.close();
  });
});
