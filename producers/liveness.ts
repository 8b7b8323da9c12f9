/**
 * Ingest's liveness marker on the embedded log: a running ingest is a member of the consumer
 * group INGEST_GROUP, whose membership table names the member's pid, so `pma status` can tell a
 * live ingest from a killed one. The member never reads. Not on Kafka: a kafkajs member that is
 * never polled stops heartbeating once its fetch buffer is full, and would churn the group;
 * `pma status` shows Kafka's ingest as not known.
 */
import type { Logger } from '../runtime/logger.ts';
import { TOPICS } from '../schemas/topics.ts';
import type { Transport } from '../transport/types.ts';

export const INGEST_GROUP = 'pma-ingest';

/** Joins the marker group; the returned function leaves it. A failure to join is logged, never fatal: it only hides ingest from status. */
export function joinIngestGroup(transport: Transport, logger: Logger): () => Promise<void> {
  if (transport.kind !== 'embedded') return async () => undefined;
  // Starting at the end: a member that never reads has no use for the topic's history.
  const member = transport.consumer({ groupId: INGEST_GROUP, fromBeginning: false, maxRecords: 1, clientId: 'pma-ingest' });
  const joined = member.subscribe([TOPICS.cursors.name]).catch((err: unknown) => logger.warn('ingest could not join its liveness group; pma status will not see it', { err }));
  return async () => {
    await joined;
    await member.close().catch((err: unknown) => logger.warn('leaving the ingest liveness group failed', { err }));
  };
}
