/** The topics the tagger reads and writes, created if missing, with their codecs. */
import type { Serde, TopicCodec } from '../registry/serde.ts';
import type { CleanMarket } from '../schemas/clean-records.ts';
import { TOPICS, type TopicDef } from '../schemas/topics.ts';
import type { Transport } from '../transport/types.ts';
import type { TagDecisionEvent, TagEvent } from './events.ts';

export interface TagCodecs {
  decisions: TopicCodec<TagDecisionEvent>;
  catalog: TopicCodec<TagEvent>;
  markets: TopicCodec<CleanMarket>;
}

const spec = (t: TopicDef) => ({ name: t.name, partitions: t.partitions, cleanupPolicy: t.cleanupPolicy });

export async function prepareTagTopics(transport: Transport, serde: Serde): Promise<TagCodecs> {
  await transport.admin().createTopics([spec(TOPICS.tagDecisions), spec(TOPICS.tagCatalog), spec(TOPICS.markets)]);
  return {
    decisions: await serde.codecFor<TagDecisionEvent>(TOPICS.tagDecisions),
    catalog: await serde.codecFor<TagEvent>(TOPICS.tagCatalog),
    markets: await serde.codecFor<CleanMarket>(TOPICS.markets),
  };
}
