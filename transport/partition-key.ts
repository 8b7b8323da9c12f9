/**
 * The one string key for a topic-partition, for maps and sets keyed by where a record lives.
 * NUL cannot appear in a topic name on either transport, so the key splits back unambiguously.
 */

const SEP = '\u0000';

export function partitionKey(topic: string, partition: number): string {
  return `${topic}${SEP}${partition}`;
}

export function parsePartitionKey(key: string): { topic: string; partition: number } {
  const at = key.lastIndexOf(SEP);
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}
