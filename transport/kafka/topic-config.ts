/**
 * How our TopicSpec maps onto Kafka topic configs, and back. Client-agnostic: any Kafka client
 * folder can use it.
 *
 * - Unset retention means "keep forever": retention.ms=-1 and retention.bytes=-1 are written
 *   explicitly, since the broker default is 7 days.
 * - A compacted topic with a retention limit becomes `compact,delete` (old segments are also
 *   deleted by age or size) and is described back as compacted with that retention.
 * - Compacted topics roll segments hourly and are cleanable at 10% dirty, so compaction happens
 *   within the hour rather than after the broker-wide 7-day segment roll.
 */
import { ConfigError } from '../../runtime/errors.ts';
import type { CleanupPolicy, TopicDescription, TopicSpec } from '../types.ts';

export type TopicConfig = Record<string, string>;

const COMPACTED_EXTRAS: TopicConfig = {
  'segment.ms': String(60 * 60 * 1000),
  'min.cleanable.dirty.ratio': '0.1',
  'delete.retention.ms': String(24 * 60 * 60 * 1000),
};

export function validateTopicSpec(spec: TopicSpec): void {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(spec.name) || spec.name === '.' || spec.name === '..') {
    throw new ConfigError(`invalid Kafka topic name "${spec.name}": use 1-249 of [a-zA-Z0-9._-]`, {
      topic: spec.name,
      field: 'name',
    });
  }
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
    throw new ConfigError(`topic "${spec.name}": partitions must be a positive integer`, {
      topic: spec.name,
      field: 'partitions',
      value: spec.partitions,
    });
  }
  for (const field of ['retentionMs', 'retentionBytes'] as const) {
    const v = spec[field];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) {
      throw new ConfigError(`topic "${spec.name}": ${field} must be a positive integer`, {
        topic: spec.name,
        field,
        value: v,
      });
    }
  }
}

export function topicConfigFor(spec: TopicSpec): TopicConfig {
  const limited = spec.retentionMs !== undefined || spec.retentionBytes !== undefined;
  const compact = spec.cleanupPolicy === 'compact';
  const config: TopicConfig = {
    'cleanup.policy': compact ? (limited ? 'compact,delete' : 'compact') : 'delete',
    'retention.ms': String(spec.retentionMs ?? -1),
    'retention.bytes': String(spec.retentionBytes ?? -1),
  };
  return compact ? { ...config, ...COMPACTED_EXTRAS } : config;
}

export function describeFromConfig(name: string, partitions: number, config: TopicConfig): TopicDescription {
  const policies = (config['cleanup.policy'] ?? 'delete').split(',').map((p) => p.trim());
  const cleanupPolicy: CleanupPolicy = policies.includes('compact') ? 'compact' : 'delete';
  const deletes = policies.includes('delete');
  const description: TopicDescription = { name, partitions, cleanupPolicy };
  const ms = Number(config['retention.ms'] ?? -1);
  const bytes = Number(config['retention.bytes'] ?? -1);
  if (deletes && ms > 0) description.retentionMs = ms;
  if (deletes && bytes > 0) description.retentionBytes = bytes;
  return description;
}
