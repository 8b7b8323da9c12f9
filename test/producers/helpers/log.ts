/** A real embedded log, registry and serde in a temp dir, with every catalogue topic created. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedRegistry } from '../../../registry/embedded.ts';
import { Serde } from '../../../registry/serde.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import { ALL_TOPICS } from '../../../schemas/topics.ts';
import { createEmbeddedTransport } from '../../../transport/embedded/index.ts';
import type { ConsumedRecord, Transport } from '../../../transport/types.ts';

export interface TestLog {
  dir: string;
  path: string;
  transport: Transport;
  registry: EmbeddedRegistry;
  serde: Serde;
  close(): Promise<void>;
}

export async function openTestLog(existingDir?: string): Promise<TestLog> {
  const dir = existingDir ?? mkdtempSync(join(tmpdir(), 'pma-producers-'));
  const path = join(dir, 'log.sqlite');
  const transport = await createEmbeddedTransport({ path, logger: silentLogger });
  await transport.admin().createTopics(ALL_TOPICS.map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy })));
  const registry = new EmbeddedRegistry({ path });
  return {
    dir,
    path,
    transport,
    registry,
    serde: new Serde(registry),
    async close() {
      await transport.close();
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every record of a topic, from the beginning to its current end. */
export async function readAll(transport: Transport, topic: string): Promise<ConsumedRecord[]> {
  const admin = transport.admin();
  const ends = await admin.offsets(topic);
  const total = ends.reduce((n, p) => n + (p.high - p.low), 0);
  const out: ConsumedRecord[] = [];
  if (total === 0) return out;
  const consumer = transport.consumer({ groupId: `test-reader-${Math.random()}`, fromBeginning: true });
  await consumer.subscribe([topic]);
  try {
    while (out.length < total) {
      for (const b of await consumer.poll({ waitMs: 200 })) out.push(...b.records);
    }
  } finally {
    await consumer.close();
  }
  return out;
}
