/**
 * Ingest's liveness marker: a running ingest is a member of the consumer group INGEST_GROUP, so
 * `pma status` can tell a live ingest from a killed one on either transport (the embedded log's
 * membership table names the member's pid; Kafka's coordinator drops a member whose session
 * lapses). The member only heartbeats: it never reads, so it holds no more than one fetch buffer.
 */
import type { Logger } from '../runtime/logger.ts';
import { TOPICS } from '../schemas/topics.ts';
import type { Transport } from '../transport/types.ts';

export const INGEST_GROUP = 'pma-ingest';

/** Joins the marker group; the returned function leaves it. A failure to join is logged, never fatal: it only hides ingest from status. */
export function joinIngestGroup(transport: Transport, logger: Logger): () => Promise<void> {
  // Starting at the end: a member that never reads has no use for the topic's history.
  const member = transport.consumer({ groupId: INGEST_GROUP, fromBeginning: false, maxRecords: 1, clientId: 'pma-ingest' });
  const joined = member.subscribe([TOPICS.cursors.name]).catch((err: unknown) => logger.warn('ingest could not join its liveness group; pma status will not see it', { err }));
  return async () => {
    await joined;
    await member.close().catch((err: unknown) => logger.warn('leaving the ingest liveness group failed', { err }));
  };
}
