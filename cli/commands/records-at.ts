/**
 * Reads single records by offset, for `pma status` to learn event times at partition ends and at
 * what each layer reached: bounded reads, never a scan. The record wanted may not exist on Kafka
 * (a transaction marker takes an offset no record has), so each read looks a few offsets back and
 * takes the newest record at or before the one asked for.
 */
import { randomUUID } from 'node:crypto';
import type { EmbeddedRecordSource } from '../../transport/embedded/verify.ts';
import { partitionKey } from '../../transport/partition-key.ts';
import type { ConsumedRecord, TopicPartitionOffset, Transport } from '../../transport/types.ts';

/** How far before a wanted offset a read starts: past the markers of a few transactions. */
const LOOK_BACK = 8;
/** A Kafka round gives up on what has not arrived by then: status reports those times as unknown. */
const KAFKA_ROUND_MS = 20_000;

/** An offset to read, and the first offset of its partition still in the log (a read never starts before it). */
export interface WantedOffset extends TopicPartitionOffset {
  low: number;
}

export interface RecordsAt {
  /** Per wanted offset (keyed by offsetKey), the newest record at or before it; absent when none is left. */
  read(wants: readonly WantedOffset[]): Promise<Map<string, ConsumedRecord>>;
}

export const offsetKey = (topic: string, partition: number, offset: number): string => `${partitionKey(topic, partition)}@${offset}`;

/** On the embedded log: one indexed read of the batch holding each offset. */
export function embeddedRecordsAt(source: EmbeddedRecordSource): RecordsAt {
  return {
    async read(wants) {
      const out = new Map<string, ConsumedRecord>();
      for (const w of wants) {
        await source.read(w.topic, w.partition, Math.max(w.low, w.offset - LOOK_BACK), w.offset, (records) => {
          const last = records.at(-1);
          if (last) out.set(offsetKey(w.topic, w.partition, w.offset), last);
        });
      }
      return out;
    },
  };
}

/**
 * On Kafka: a consumer of a group of its own (it never commits), one per round; a round asks at
 * most one offset of each partition, since a partition is read forward from one position.
 */
export function transportRecordsAt(transport: Transport): RecordsAt {
  return {
    async read(wants) {
      const out = new Map<string, ConsumedRecord>();
      const rounds: WantedOffset[][] = [];
      for (const w of wants) {
        const round = rounds.find((r) => !r.some((o) => o.topic === w.topic && o.partition === w.partition));
        if (round) round.push(w);
        else rounds.push([w]);
      }
      for (const round of rounds) await readRound(transport, round, out);
      return out;
    },
  };
}

async function readRound(transport: Transport, round: WantedOffset[], out: Map<string, ConsumedRecord>): Promise<void> {
  // Partitions nobody asked about start at the end, so the consumer fetches nothing of them.
  const consumer = transport.consumer({ groupId: `pma-status-${process.pid}-${randomUUID()}`, fromBeginning: false, clientId: 'pma-status' });
  try {
    await consumer.subscribe([...new Set(round.map((w) => w.topic))]);
    const pending = new Map(round.map((w) => [partitionKey(w.topic, w.partition), w]));
    const positioned = new Set<string>();
    const deadline = Date.now() + KAFKA_ROUND_MS;
    while (pending.size > 0 && Date.now() < deadline) {
      for (const a of consumer.assignment()) {
        const key = partitionKey(a.topic, a.partition);
        const w = pending.get(key);
        if (w && !positioned.has(key)) {
          consumer.seek(a.topic, a.partition, Math.max(w.low, w.offset - LOOK_BACK));
          positioned.add(key);
        }
      }
      for (const batch of await consumer.poll({ waitMs: 500 })) {
        const key = partitionKey(batch.topic, batch.partition);
        const w = pending.get(key);
        if (!w || !positioned.has(key)) continue;
        for (const r of batch.records) if (r.offset <= w.offset) out.set(offsetKey(w.topic, w.partition, w.offset), r);
      }
      for (const [key, w] of pending) if (positioned.has(key) && (consumer.position(w.topic, w.partition) ?? 0) > w.offset) pending.delete(key);
    }
  } finally {
    await consumer.close();
  }
}
