/**
 * A real embedded log and registry in a temp dir, with the pipeline's topics, for sink and
 * processor tests; plus helpers to publish clean records and read a topic back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedRegistry } from '../../registry/embedded.ts';
import { Serde } from '../../registry/serde.ts';
import { silentLogger } from '../../runtime/logger.ts';
import type { CleanRecordByTopic, CleanTopicKey } from '../../schemas/clean-records.ts';
import { ALL_TOPICS, TOPICS } from '../../schemas/topics.ts';
import { createEmbeddedTransport } from '../../transport/embedded/index.ts';
import { embeddedLogPath } from '../../transport/index.ts';
import type { ConsumedRecord, Transport } from '../../transport/types.ts';

export interface LogHarness {
  dir: string;
  transport: Transport;
  registry: EmbeddedRegistry;
  serde: Serde;
  /** Closes the log and registry (the files stay until `remove`). */
  close(): Promise<void>;
  remove(): void;
}

export async function openLogHarness(dir = mkdtempSync(join(tmpdir(), 'pma-log-'))): Promise<LogHarness> {
  const path = embeddedLogPath(dir);
  const transport = await createEmbeddedTransport({ path, logger: silentLogger });
  const registry = new EmbeddedRegistry({ path });
  await transport.admin().createTopics(ALL_TOPICS.map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy })));
  let closed = false;
  return {
    dir,
    transport,
    registry,
    serde: new Serde(registry),
    async close() {
      if (closed) return;
      closed = true;
      await transport.close();
      await registry.close();
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Encodes and produces clean records (key from `keyOf`), in batches; resolves when durable. */
export async function publishClean<K extends CleanTopicKey>(
  h: Pick<LogHarness, 'transport' | 'serde'>,
  topic: K,
  records: Array<CleanRecordByTopic[K]>,
  keyOf: (r: CleanRecordByTopic[K], i: number) => string,
  batch = 2_000,
): Promise<void> {
  const codec = await h.serde.codecFor<CleanRecordByTopic[K]>(TOPICS[topic]);
  const producer = h.transport.producer();
  try {
    for (let i = 0; i < records.length; i += batch) {
      const slice = records.slice(i, i + batch);
      await producer.send(
        TOPICS[topic].name,
        slice.map((r, j) => ({ key: Buffer.from(keyOf(r, i + j)), value: codec.encode(r) })),
      );
    }
  } finally {
    await producer.close();
  }
}

/** Every record of a topic, read with a throwaway group. */
export async function readTopic(transport: Transport, topic: string): Promise<ConsumedRecord[]> {
  const admin = transport.admin();
  const highs = new Map((await admin.offsets(topic)).map((o) => [o.partition, o.high]));
  const consumer = transport.consumer({ groupId: `read-${topic}-${Math.random().toString(36).slice(2)}`, fromBeginning: true });
  const out: ConsumedRecord[] = [];
  try {
    await consumer.subscribe([topic]);
    const done = () => [...highs].every(([p, high]) => (consumer.position(topic, p) ?? 0) >= high);
    while (!done()) {
      for (const b of await consumer.poll({ waitMs: 200 })) out.push(...b.records);
    }
  } finally {
    await consumer.close();
  }
  return out;
}

/**
 * Opens a harness before the suite (`all`) or before each test (`each`), hands it to `set`, and
 * closes and removes it after.
 */
export function useLogHarness(set: (h: LogHarness) => void, scope: 'all' | 'each' = 'all'): void {
  let current: LogHarness | undefined;
  (scope === 'each' ? beforeEach : before)(async () => {
    current = await openLogHarness();
    set(current);
  });
  (scope === 'each' ? afterEach : after)(async () => {
    await current?.close();
    current?.remove();
    current = undefined;
  });
}
