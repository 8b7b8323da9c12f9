import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expect } from 'chai';
import { StaleTopicError, TransportError } from '../../../runtime/errors.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import type { AppendBatch } from '../../../transport/embedded/append.ts';
import { LogDatabase } from '../../../transport/embedded/database.ts';
import { LogWriter } from '../../../transport/embedded/writer.ts';

const batchFor = (topicId: number): AppendBatch => ({
  topicId,
  partition: 0,
  count: 1,
  lastDelta: 0,
  firstTimestamp: 0,
  maxTimestamp: 0,
  dataBytes: 1,
  offset: 0,
  size: 1,
});

describe('transport/embedded/writer: errors across the writer thread', () => {
  let dir: string;
  let path: string;
  let writer: LogWriter;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pma-writer-errors-'));
    path = join(dir, 'log.sqlite');
    new LogDatabase(path, { busyTimeoutMs: 1_000 }).close();
    writer = new LogWriter({ path, busyTimeoutMs: 100 }, silentLogger);
  });

  afterEach(async () => {
    await writer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('arrives as the class the thread threw, with its context and both stacks', async () => {
    const err = await writer.append([batchFor(404)], Buffer.alloc(1)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(StaleTopicError);
    expect(err).to.include({ code: 'PMA_ERR_STALE_TOPIC', message: 'topic id 404 no longer exists' });
    expect((err as StaleTopicError).context).to.deep.equal({ topicId: 404 });
    const [remote, local] = (err as Error).stack!.split('--- rebuilt ---');
    expect(remote).to.contain('append.ts');
    expect(local).to.contain('writer.ts');
  });

  it('keeps the SQLite failure underneath a TransportError as its cause', async () => {
    await writer.append([batchFor(404)], Buffer.alloc(1)).catch(() => undefined);
    const holder = new DatabaseSync(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const err = await writer.append([batchFor(1)], Buffer.alloc(1)).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(TransportError);
      expect((err as TransportError).context).to.include({ path });
      const cause = (err as Error).cause as Error & { code?: string };
      expect(cause).to.be.instanceOf(Error);
      expect(cause.code).to.equal('ERR_SQLITE_ERROR');
      expect(cause.message).to.match(/locked|busy/i);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });
});
