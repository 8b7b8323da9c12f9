/**
 * The embedded log as the soak sees it: the raw topics created beforehand with a retention short
 * enough to expire within the soak (the product keeps them a week: schemas/topics.ts), and the
 * bytes the raw and the other topics hold, read from the log's own bookkeeping in a short
 * read-only transaction, so that what retention removed shows apart from what the file keeps.
 */
import { DatabaseSync } from 'node:sqlite';
import { silentLogger } from '../../runtime/logger.ts';
import { ALL_TOPICS } from '../../schemas/topics.ts';
import { createEmbeddedTransport } from '../../transport/embedded/index.ts';
import { embeddedLogPath } from '../../transport/index.ts';

/** Creates every pipeline topic in `dataDir`'s log, the raw ones with `rawRetentionMs` (an existing topic keeps its settings, so the run takes these). */
export async function createTopicsWithRawRetention(dataDir: string, rawRetentionMs: number): Promise<void> {
  const transport = await createEmbeddedTransport({ path: embeddedLogPath(dataDir), logger: silentLogger });
  try {
    await transport.admin().createTopics(
      ALL_TOPICS.map(({ name, partitions, cleanupPolicy, retentionMs, retentionBytes }) => ({
        name,
        partitions,
        cleanupPolicy,
        retentionMs: retentionMs === undefined ? undefined : Math.min(retentionMs, rawRetentionMs),
        retentionBytes,
      })),
    );
  } finally {
    await transport.close();
  }
}

/** Bytes of keys and values held by the raw topics and by all the others. */
export function heldBytes(dataDir: string): { raw: number; other: number } {
  const db = new DatabaseSync(embeddedLogPath(dataDir), { readOnly: true, timeout: 5_000 });
  try {
    const rows = db.prepare("SELECT t.name LIKE 'pma.raw.%' AS raw, sum(p.bytes) AS bytes FROM log_partitions p JOIN log_topics t ON t.id = p.topic_id GROUP BY 1").all() as Array<{
      raw: number;
      bytes: number;
    }>;
    return { raw: rows.find((r) => r.raw === 1)?.bytes ?? 0, other: rows.find((r) => r.raw === 0)?.bytes ?? 0 };
  } finally {
    db.close();
  }
}
