/** Turns kafkajs errors into our catalogue's errors, keeping the kafkajs error as the cause. */
import { type ErrorContext, PmaError, TopicError, TransportError } from '../../runtime/errors.ts';

interface KafkajsErrorShape {
  name?: string;
  type?: string;
  message?: string;
  cause?: unknown;
  errors?: unknown[];
}

/** Every error in the chain: the error, its `cause`s, and the members of aggregate errors. */
function chain(err: unknown): KafkajsErrorShape[] {
  const out: KafkajsErrorShape[] = [];
  const pending: unknown[] = [err];
  while (pending.length > 0 && out.length < 32) {
    const e = pending.shift();
    if (!e || typeof e !== 'object') continue;
    const shape = e as KafkajsErrorShape;
    out.push(shape);
    if (shape.cause) pending.push(shape.cause);
    if (Array.isArray(shape.errors)) pending.push(...shape.errors);
  }
  return out;
}

/** The protocol error type (e.g. UNKNOWN_TOPIC_OR_PARTITION) anywhere in the chain. */
export function protocolErrorType(err: unknown): string | undefined {
  return chain(err).find((e) => e.name === 'KafkaJSProtocolError' && e.type)?.type;
}

/** Whether the broker answered `type` anywhere in the chain, whatever kafkajs named the error (KafkaJSCreateTopicError). */
export function brokerAnswered(err: unknown, type: string): boolean {
  return chain(err).some((e) => e.type === type);
}

export function isUnknownTopic(err: unknown): boolean {
  return chain(err).some((e) => e.type === 'UNKNOWN_TOPIC_OR_PARTITION' || e.type === 'UNKNOWN_TOPIC_ID' || e.name === 'KafkaJSTopicMetadataNotLoaded' || e.name === 'KafkaJSMetadataNotLoaded');
}

/**
 * The broker answered with an error it calls retriable (no leader yet, coordinator loading).
 * Connection errors are not counted: kafkajs already retried those with backoff.
 */
export function isRetriable(err: unknown): boolean {
  const all = chain(err);
  const last = all[all.length - 1] as { name?: string; retriable?: boolean } | undefined;
  return last?.name === 'KafkaJSProtocolError' && last.retriable === true;
}

/** The innermost message, which names what actually went wrong (not "retries exceeded"). */
export function innermostMessage(err: unknown): string {
  const all = chain(err);
  const last = all[all.length - 1];
  return last?.message ?? String(err);
}

/** Wraps a kafkajs failure; our own errors pass through unchanged. */
export function wrapKafkaError(err: unknown, what: string, context: ErrorContext = {}): PmaError {
  if (err instanceof PmaError) return err;
  const type = protocolErrorType(err);
  if (isUnknownTopic(err)) {
    return new TopicError(`${what}: topic does not exist`, { ...context, kafkaError: type ?? 'unknown topic' });
  }
  return new TransportError(`${what}: ${innermostMessage(err)}`, { ...context, kafkaError: type }, { cause: err });
}
