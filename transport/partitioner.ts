/**
 * Partition choice for keyed records, bit-for-bit the same as the Java client's default
 * partitioner (`Utils.toPositive(Utils.murmur2(keyBytes)) % numPartitions`), so a key lands on
 * the same partition whether it was produced by us, by kafkajs' DefaultPartitioner or by a Java
 * or librdkafka client configured for murmur2.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (32-bit, seed 0x9747b28c) as a signed 32-bit integer, like the Java method. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The Java switch falls through from 3 to 2 to 1; the multiply happens once if any byte is left.
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's `Utils.toPositive`: clears the sign bit (not Math.abs, which differs for negatives). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Java's default partitioner picks for a non-null key. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions;
}

/**
 * Chooses partitions for a producer: murmur2 for keyed records, round-robin for records without
 * a key (each such record goes to the next partition, per topic).
 */
export class Partitioner {
  readonly #next = new Map<string, number>();

  partition(topic: string, key: Uint8Array | null, numPartitions: number): number {
    if (key !== null) return partitionForKey(key, numPartitions);
    const n = this.#next.get(topic) ?? 0;
    this.#next.set(topic, (n + 1) % numPartitions);
    return n % numPartitions;
  }
}
