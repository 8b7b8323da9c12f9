/**
 * Rebuilds the processor's state from the clean topics on start: the lookup tables from every
 * market, token and event record, and each topic's dedup window from the identities in the
 * headers of its last records. Reads with a throwaway consumer group and commits nothing.
 */
import { randomUUID } from 'node:crypto';
import type { TopicCodec } from '../registry/serde.ts';
import { DecodeError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import type { CleanEvent, CleanMarket, CleanToken, CleanTopicKey } from '../schemas/clean-records.ts';
import { TOPICS } from '../schemas/topics.ts';
import { parsePartitionKey, partitionKey } from '../transport/partition-key.ts';
import type { TopicPartitionOffset, Transport } from '../transport/types.ts';
import { DEDUP_HEADER, REFERENCE_TOPICS } from './identity.ts';
import type { DedupWindow } from './state/dedup-window.ts';
import type { LookupTables } from './state/lookup.ts';

export interface RebuildInput {
  transport: Transport;
  logger: Logger;
  lookup: LookupTables;
  windows: Map<CleanTopicKey, DedupWindow>;
  codecs: Map<CleanTopicKey, TopicCodec<unknown>>;
  signal: AbortSignal;
}

export interface Rebuilt {
  records: number;
  millis: number;
  /** Per partition of every clean topic, the offset the state is rebuilt up to. */
  ends: TopicPartitionOffset[];
}

export async function rebuildState(input: RebuildInput): Promise<Rebuilt> {
  const started = Date.now();
  const { transport, lookup, windows, codecs } = input;
  const admin = transport.admin();
  const byName = new Map<string, CleanTopicKey>();
  const ends = new Map<string, number>();
  const starts = new Map<string, number>();
  const rebuiltTo: TopicPartitionOffset[] = [];
  for (const [key, window] of windows) {
    const name = TOPICS[key].name;
    byName.set(name, key);
    for (const o of await admin.offsets(name)) {
      rebuiltTo.push({ topic: name, partition: o.partition, offset: o.high });
      const from = REFERENCE_TOPICS.has(key) ? o.low : Math.max(o.low, o.high - window.capacity);
      if (from < o.high) {
        starts.set(partitionKey(name, o.partition), from);
        ends.set(partitionKey(name, o.partition), o.high);
      }
    }
  }
  if (ends.size === 0) return { records: 0, millis: Date.now() - started, ends: rebuiltTo };
  const consumer = transport.consumer({ groupId: `pma-process-rebuild-${randomUUID()}`, fromBeginning: true, maxRecords: 20_000 });
  let records = 0;
  try {
    await consumer.subscribe([...new Set([...ends.keys()].map((k) => parsePartitionKey(k).topic))]);
    for (const [k, from] of starts) {
      const { topic, partition } = parsePartitionKey(k);
      consumer.seek(topic, partition, from);
    }
    const done = () =>
      [...ends].every(([k, high]) => {
        const { topic, partition } = parsePartitionKey(k);
        return (consumer.position(topic, partition) ?? 0) >= high;
      });
    while (!done() && !input.signal.aborted) {
      for (const batch of await consumer.poll({ waitMs: 200, signal: input.signal })) {
        const key = byName.get(batch.topic)!;
        const window = windows.get(key)!;
        const high = ends.get(partitionKey(batch.topic, batch.partition)) ?? 0;
        for (const record of batch.records) {
          if (record.offset >= high) break;
          records++;
          const id = record.headers[DEDUP_HEADER];
          if (id) window.add(id);
          if (!REFERENCE_TOPICS.has(key) || record.value === null) continue;
          try {
            const value = await codecs.get(key)!.decode(record.value, { partition: record.partition, offset: record.offset });
            lookup.apply(key as 'markets' | 'tokens' | 'events', value as CleanMarket | CleanToken | CleanEvent);
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
            input.logger.warn('skipping an unreadable clean record while rebuilding lookups', { topic: batch.topic, partition: record.partition, offset: record.offset, err });
          }
        }
      }
    }
  } finally {
    await consumer.close();
  }
  return { records, millis: Date.now() - started, ends: rebuiltTo };
}
