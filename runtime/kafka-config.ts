/**
 * The `kafka:` section of the config file and its `PMA_KAFKA_*` variables: how this pipeline's
 * names and topics look on a cluster it may share with other pipelines.
 *
 *   topicPrefix        put before every topic name on the wire and every schema registry subject
 *   groupPrefix        put before every consumer group and transactional id; defaults to topicPrefix
 *   partitions, replicationFactor, minInsyncReplicas
 *                      for every topic created (the catalogue's partition counts otherwise,
 *                      the broker's default replication and min.insync.replicas)
 *   topics             per topic (logical name), the same three settings; they win over the above
 *
 * The per-topic map is read from the config file only; the rest also from
 * PMA_KAFKA_TOPIC_PREFIX, PMA_KAFKA_GROUP_PREFIX, PMA_KAFKA_PARTITIONS,
 * PMA_KAFKA_REPLICATION_FACTOR and PMA_KAFKA_MIN_INSYNC_REPLICAS.
 */
import { z } from 'zod';
import { ALL_TOPICS } from '../schemas/topics.ts';
// config.ts imports this module: only its functions are used here, and only once both are loaded.
import { resolveSection, sectionSources } from './config.ts';
import { ConfigError } from './errors.ts';

/** Kafka's legal topic characters; a prefix is part of a topic name, so it may use no others. */
const prefix = z
  .string()
  .trim()
  .regex(/^[a-zA-Z0-9._-]*$/, 'may hold only a-z A-Z 0-9 . _ -')
  // Leaves room for the longest catalogue name (23 characters) within Kafka's 249.
  .max(200);

const TOPIC_NAMES: readonly string[] = ALL_TOPICS.map((t) => t.name);

const count = z.coerce.number().int().positive();
const layoutFields = {
  partitions: count.optional(),
  replicationFactor: count.optional(),
  minInsyncReplicas: count.optional(),
};

/** A topic's layout on the cluster; unset fields fall back to the section's, then to the catalogue and broker. */
const topicLayoutSchema = z.object(layoutFields).strict();
export type TopicLayout = z.output<typeof topicLayoutSchema>;

const kafkaConfigSchema = z
  .object({
    topicPrefix: prefix.default(''),
    groupPrefix: prefix.optional(),
    ...layoutFields,
    topics: z.record(z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/), topicLayoutSchema).default({}),
  })
  .strict();

export interface KafkaConfig {
  topicPrefix: string;
  groupPrefix: string;
  /** Layout for every topic. */
  defaults: TopicLayout;
  /** Layout per logical topic name. */
  topics: Record<string, TopicLayout>;
}

const ENV_KEYS = ['topicPrefix', 'groupPrefix', 'partitions', 'replicationFactor', 'minInsyncReplicas'] as const;

export function loadKafkaConfig(file: Record<string, unknown>, env: NodeJS.ProcessEnv, configPath?: string): KafkaConfig {
  const parsed = resolveSection(kafkaConfigSchema, sectionSources('kafka', ENV_KEYS, file, env, {}, configPath));
  const { topicPrefix, groupPrefix, partitions, replicationFactor, minInsyncReplicas, topics } = parsed;
  // A misspelt name in the per-topic map would otherwise be ignored without a word.
  const unknown = Object.keys(topics).filter((name) => !TOPIC_NAMES.includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(`config file: kafka.topics: unknown topic ${unknown.map((n) => `"${n}"`).join(', ')} (the pipeline's topics: ${TOPIC_NAMES.join(', ')})`, { path: configPath });
  }
  return {
    topicPrefix,
    groupPrefix: groupPrefix ?? topicPrefix,
    defaults: { partitions, replicationFactor, minInsyncReplicas },
    topics,
  };
}
