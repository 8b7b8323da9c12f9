/**
 * Routes kafkajs's own log lines into our Logger. kafkajs logs a recoverable retry at ERROR (a
 * broker restart produces a dozen), so its ERROR and WARN become our warn; its INFO (joins,
 * pauses, starts) becomes debug. Our own code logs the failures that are final.
 */
import kafkajs from 'kafkajs';
import type { Logger } from '../../runtime/logger.ts';

const { logLevel } = kafkajs;

/**
 * We bound the idempotent producer's retries (every retry has a limit); kafkajs warns about it
 * on every producer. A send that gives up is retried by the caller on the same producer with the
 * same sequence numbers, so the broker still drops duplicates: the warning says nothing new.
 */
const EXPECTED = new Set([
  'Limiting retries for the idempotent producer may invalidate EoS guarantees',
  // A socket left behind after close, destroyed on purpose (client.ts, release()).
  'Connection error: Kafka client closed',
]);

/**
 * kafkajs logs every error response at ERROR, including the retriable ones it then retries
 * ("coordinator is loading", "not leader"): those are debug here; an error that survives the
 * retries reaches the caller as a typed error and is logged there.
 */
const isResponseError = (namespace: string, message: string) => namespace === 'Connection' && message.startsWith('Response ');

export function kafkajsLogCreator(logger: Logger): kafkajs.logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, timestamp: _timestamp, logger: _name, stack, ...fields } = entry as unknown as Record<string, unknown> & { message: string };
      const withNamespace = { namespace, ...fields };
      if (EXPECTED.has(message) || isResponseError(namespace, message)) log.debug(message, withNamespace);
      else if (level === logLevel.ERROR || level === logLevel.WARN) log.warn(message, withNamespace);
      else if (level === logLevel.INFO) log.debug(message, withNamespace);
      else log.trace(message, { ...withNamespace, stack });
    };
}
