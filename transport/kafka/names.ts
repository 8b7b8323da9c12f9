/**
 * Logical names (what producers, processors, sinks, Bronze files and Silver's stored offsets
 * use) and wire names (what the broker holds). Pipelines sharing a cluster each put their own
 * prefix before topic names and before group ids (which transactional ids are made of), so
 * their topics, cursors and transactions never meet. The Kafka transport maps names here, on
 * the way to the broker and back, and nowhere else.
 */
import { ConfigError } from '../../runtime/errors.ts';

/** Kafka's limit on a topic name. */
const MAX_TOPIC = 249;
const LEGAL = /^[a-zA-Z0-9._-]*$/;

export interface KafkaNameOptions {
  topicPrefix?: string;
  /** Defaults to `topicPrefix`. */
  groupPrefix?: string;
}

function checkPrefix(field: string, value: string): string {
  if (!LEGAL.test(value) || value.length >= MAX_TOPIC) {
    throw new ConfigError(`Kafka ${field} "${value}" must be shorter than ${MAX_TOPIC} characters of a-z A-Z 0-9 . _ -`, { field, value });
  }
  return value;
}

export class KafkaNames {
  readonly topicPrefix: string;
  readonly groupPrefix: string;

  constructor(options: KafkaNameOptions = {}) {
    this.topicPrefix = checkPrefix('topicPrefix', options.topicPrefix ?? '');
    this.groupPrefix = checkPrefix('groupPrefix', options.groupPrefix ?? this.topicPrefix);
  }

  /** The wire name of a topic; ConfigError if it is not a legal Kafka topic name. */
  topic(logical: string): string {
    const wire = `${this.topicPrefix}${logical}`;
    if (logical.length === 0 || !LEGAL.test(logical) || wire.length > MAX_TOPIC || logical === '.' || logical === '..') {
      throw new ConfigError(`invalid Kafka topic name "${wire}": use 1-${MAX_TOPIC} of [a-zA-Z0-9._-], prefix "${this.topicPrefix}" included`, {
        topic: logical,
        field: 'name',
        value: wire,
      });
    }
    return wire;
  }

  /** The logical name of a wire topic, or undefined when it belongs to no pipeline with this prefix. */
  logicalTopic(wire: string): string | undefined {
    return wire.startsWith(this.topicPrefix) && wire.length > this.topicPrefix.length ? wire.slice(this.topicPrefix.length) : undefined;
  }

  /** The logical name of a topic the broker named in an answer to a request made with wire names. */
  fromWire(wire: string): string {
    return this.logicalTopic(wire) ?? wire;
  }

  group(logical: string): string {
    return `${this.groupPrefix}${logical}`;
  }

  logicalGroup(wire: string): string | undefined {
    return wire.startsWith(this.groupPrefix) && wire.length > this.groupPrefix.length ? wire.slice(this.groupPrefix.length) : undefined;
  }
}
