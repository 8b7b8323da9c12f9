/**
 * Opens the configured schema registry: "embedded" (kept in the embedded log's SQLite file under
 * the data dir) or the URL of a Confluent-compatible registry. The HTTP client is loaded only
 * when a URL is configured.
 */
import type { GlobalConfig } from '../runtime/config.ts';
import { readSettingFile } from '../runtime/secret-file.ts';
import { embeddedLogPath } from '../transport/index.ts';
import type { SchemaRegistry } from './types.ts';

export type { CompatibilityLevel, CompatibilityResult, SchemaRegistry, SubjectVersion } from './types.ts';

type RegistryAccess = Partial<Pick<GlobalConfig, 'registryUser' | 'registryPassword' | 'registryTlsCa'>>;

/** On Kafka with a topic prefix, subjects carry the prefix too: they are named after the wire topics. */
export async function openRegistry(config: Pick<GlobalConfig, 'registry' | 'dataDir'> & Partial<Pick<GlobalConfig, 'transport' | 'kafka'>> & RegistryAccess): Promise<SchemaRegistry> {
  const registry = await openUnprefixed(config);
  if (config.transport !== 'kafka' || !config.kafka?.topicPrefix) return registry;
  const { PrefixedRegistry } = await import('./prefixed.ts');
  return new PrefixedRegistry(registry, config.kafka.topicPrefix);
}

async function openUnprefixed(config: Pick<GlobalConfig, 'registry' | 'dataDir'> & RegistryAccess): Promise<SchemaRegistry> {
  if (config.registry === 'embedded') {
    const { EmbeddedRegistry } = await import('./embedded.ts');
    return new EmbeddedRegistry({ path: embeddedLogPath(config.dataDir) });
  }
  const { HttpRegistry } = await import('./http.ts');
  return new HttpRegistry({
    url: config.registry,
    user: config.registryUser,
    password: config.registryPassword,
    ca: config.registryTlsCa ? readSettingFile(config.registryTlsCa, 'registryTlsCa (PMA_REGISTRY_TLS_CA)') : undefined,
  });
}
