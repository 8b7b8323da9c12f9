/**
 * What keeps the embedded log bounded in follow mode: the raw topics, as the catalogue declares
 * them, lose records older than RAW_RETENTION_MS at the log's maintenance, and the clean topics
 * (what replay and every layer read) keep everything.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../runtime/logger.ts';
import { ALL_TOPICS, RAW_RETENTION_MS, TOPICS } from '../../schemas/topics.ts';
import { createEmbeddedTransport } from '../../transport/embedded/index.ts';
import { tempDirPerTest } from '../temp-dir.ts';

describe('topic retention', () => {
  const tmp = tempDirPerTest('pma-retention-');

  it('declares a week on every raw topic and none on the others', () => {
    for (const t of ALL_TOPICS) expect(t.retentionMs, t.name).to.equal(t.name.startsWith('pma.raw.') ? RAW_RETENTION_MS : undefined);
  });

  it('expires raw records older than the retention at maintenance, keeps the clean ones of the same age', async () => {
    const log = await createEmbeddedTransport({ path: join(tmp.path, 'log.sqlite'), logger: silentLogger, maintenance: { intervalMs: 0 } });
    try {
      await log.admin().createTopics(ALL_TOPICS.map(({ name, partitions, cleanupPolicy, retentionMs, retentionBytes }) => ({ name, partitions, cleanupPolicy, retentionMs, retentionBytes })));
      const old = Date.now() - RAW_RETENTION_MS - 60_000;
      for (const topic of [TOPICS.rawTrades.name, TOPICS.trades.name]) {
        await log.producer().send(topic, [{ key: Buffer.from('k'), value: Buffer.from('old'), timestamp: old, partition: 0 }]);
        await log.producer().send(topic, [{ key: Buffer.from('k'), value: Buffer.from('new'), partition: 0 }]);
      }
      await log.admin().compactNow();
      expect((await log.admin().offsets(TOPICS.rawTrades.name))[0]).to.deep.include({ low: 1, high: 2 });
      expect((await log.admin().offsets(TOPICS.trades.name))[0]).to.deep.include({ low: 0, high: 2 });
    } finally {
      await log.close();
    }
  });
});
