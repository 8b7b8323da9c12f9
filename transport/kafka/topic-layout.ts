/**
 * Partitions, replication factor and min.insync.replicas a topic is created with on Kafka: the
 * topic's own layout from the config, else the layout for every topic, else the catalogue's
 * partition count and the broker's defaults. Applied where the Kafka admin creates topics, so
 * `pma topics init` and every stage that creates its topics on start agree.
 */
import { ConfigError } from '../../runtime/errors.ts';
import type { TopicLayout } from '../../runtime/kafka-config.ts';
import type { TopicSpec } from '../types.ts';

export interface TopicLayouts {
  defaults?: TopicLayout;
  /** Per logical topic name. */
  topics?: Record<string, TopicLayout>;
}

export interface ResolvedLayout {
  partitions: number;
  /** -1: the broker's default.replication.factor. */
  replicationFactor: number;
  /** Undefined: the broker's min.insync.replicas. */
  minInsyncReplicas?: number;
}

export function layoutFor(spec: TopicSpec, layouts: TopicLayouts): ResolvedLayout {
  const own = layouts.topics?.[spec.name] ?? {};
  const all = layouts.defaults ?? {};
  const partitions = own.partitions ?? all.partitions ?? spec.partitions;
  const replicationFactor = own.replicationFactor ?? all.replicationFactor ?? -1;
  const minInsyncReplicas = own.minInsyncReplicas ?? all.minInsyncReplicas;
  if (minInsyncReplicas !== undefined && replicationFactor !== -1 && minInsyncReplicas > replicationFactor) {
    // The broker would create it, and then refuse every acks=all write to it.
    throw new ConfigError(`topic "${spec.name}": minInsyncReplicas ${minInsyncReplicas} is more than its replicationFactor ${replicationFactor}`, {
      topic: spec.name,
      field: 'minInsyncReplicas',
      value: minInsyncReplicas,
    });
  }
  return minInsyncReplicas === undefined ? { partitions, replicationFactor } : { partitions, replicationFactor, minInsyncReplicas };
}
