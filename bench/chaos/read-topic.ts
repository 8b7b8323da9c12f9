/** Every record of a topic up to its end when asked, read with a throwaway consumer group. */
import { BenchError } from '../../runtime/errors.ts';
import type { ConsumedRecord, Transport } from '../../transport/types.ts';

/** Polls without a record for this long means the end was not reached: the log lost what it promised. */
const STALL_MS = 30_000;

export async function readTopic(transport: Transport, topic: string): Promise<ConsumedRecord[]> {
  const highs = new Map((await transport.admin().offsets(topic)).filter((o) => o.high > o.low).map((o) => [o.partition, o.high]));
  const out: ConsumedRecord[] = [];
  if (highs.size === 0) return out;
  const consumer = transport.consumer({ groupId: `pma-chaos-read-${topic}-${Math.random().toString(36).slice(2)}`, fromBeginning: true });
  try {
    await consumer.subscribe([topic]);
    const done = () => [...highs].every(([p, high]) => (consumer.position(topic, p) ?? 0) >= high);
    let quietSince = Date.now();
    while (!done()) {
      const batches = await consumer.poll({ waitMs: 200 });
      if (batches.length > 0) quietSince = Date.now();
      else if (Date.now() - quietSince > STALL_MS) {
        const at = Object.fromEntries([...highs].map(([p]) => [p, consumer.position(topic, p) ?? null]));
        throw new BenchError(`reading ${topic} stalled for ${STALL_MS} ms before its end`, { topic, positions: JSON.stringify(at), ends: JSON.stringify(Object.fromEntries(highs)) });
      }
      for (const b of batches) out.push(...b.records);
    }
  } finally {
    await consumer.close();
  }
  return out;
}
