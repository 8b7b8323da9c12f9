import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expect } from 'chai';
import { silentLogger } from '../../runtime/logger.ts';
import { createEmbeddedTransport, type EmbeddedTransport } from '../../transport/embedded/index.ts';
import { embeddedLogPath } from '../../transport/index.ts';
import { type ContractTransport, transportContract } from './contract.ts';

async function makeEmbedded(): Promise<ContractTransport> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pma-embedded-'));
  const transport = await createEmbeddedTransport({ path: embeddedLogPath(dataDir), logger: silentLogger, sessionTimeoutMs: 2_000 });
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
