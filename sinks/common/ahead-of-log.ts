/**
 * A sink that has written a partition further than the log now reaches: offsets only grow, so
 * the log was replaced (an older copy, an emptied file), truncated or damaged since. Reading on
 * would silently skip everything up to the sink's position once the log grows again, so the sink
 * refuses, naming what it holds and where the log ends.
 */
import { SinkError } from '../../runtime/errors.ts';
import type { Transport } from '../../transport/types.ts';

export function refuseAheadOfLog(what: { layer: string; path: string; transport: Transport; topic: string; partition: number; next: number; logEnd: number }): SinkError {
  const log = 'path' in what.transport && typeof what.transport.path === 'string' ? what.transport.path : `the ${what.transport.kind} log`;
  return new SinkError(
    `${what.layer} holds ${what.topic}[${what.partition}] up to offset ${what.next - 1}, but ${log} ends at offset ${what.logEnd}: the log was replaced, truncated or damaged since; restore it, or rebuild ${what.layer} from it (pma replay --layer ${what.layer.toLowerCase()})`,
    { path: what.path, log, topic: what.topic, partition: what.partition, offset: what.next, logEnd: what.logEnd },
  );
}
