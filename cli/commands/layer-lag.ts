/**
 * How far a layer is behind its input, in records and in event time, from the log's partition
 * bounds and the next offset the layer holds per partition. Event times come from the records
 * themselves: the record at each lagging partition's end and the one the layer reached, read in
 * one go for every layer (records-at.ts), so the cost does not grow with the topics.
 */
import type { Serde } from '../../registry/serde.ts';
import { CLEAN_TOPIC_KEYS, EVENT_TIME_FIELD } from '../../schemas/clean-records.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { partitionKey } from '../../transport/partition-key.ts';
import type { ConsumedRecord } from '../../transport/types.ts';
import { offsetKey, type RecordsAt, type WantedOffset } from './records-at.ts';

/** A partition of the layer's input: its first offset and the end the layer should reach (the log end, or for Gold what Silver holds). */
export interface InputPartition {
  topic: string;
  partition: number;
  low: number;
  end: number;
}

export interface Behind {
  recordsBehind: number;
  /** Null when an event time could not be read where the layer lags (records gone, undecodable). */
  secondsBehind: number | null;
}

/** Event times (epoch ms) of records by offset: a clean record's event field, else the time the record was published. */
export class EventTimes {
  readonly #reader: RecordsAt;
  readonly #serde: () => Promise<Serde>;
  readonly #wanted = new Map<string, WantedOffset>();
  readonly #times = new Map<string, number | null>();

  constructor(reader: RecordsAt, serde: () => Promise<Serde>) {
    this.#reader = reader;
    this.#serde = serde;
  }

  want(p: InputPartition, offset: number): void {
    const key = offsetKey(p.topic, p.partition, offset);
    if (!this.#times.has(key)) this.#wanted.set(key, { topic: p.topic, partition: p.partition, offset, low: p.low });
  }

  /** Reads every offset wanted since the last load. */
  async load(): Promise<void> {
    const wants = [...this.#wanted.values()];
    this.#wanted.clear();
    const records = await this.#reader.read(wants);
    for (const w of wants) {
      const key = offsetKey(w.topic, w.partition, w.offset);
      const record = records.get(key);
      this.#times.set(key, record ? await this.#eventTime(record) : null);
    }
  }

  get(topic: string, partition: number, offset: number): number | null {
    return this.#times.get(offsetKey(topic, partition, offset)) ?? null;
  }

  async #eventTime(record: ConsumedRecord): Promise<number | null> {
    const type = CLEAN_TOPIC_KEYS.find((k) => TOPICS[k].name === record.topic);
    // Raw records carry no common event field: the time they were published stands for it.
    if (!type) return record.timestamp;
    if (record.value === null) return null;
    try {
      const codec = await (await this.#serde()).codecFor<Record<string, unknown>>(TOPICS[type]);
      const ms = (await codec.decode(record.value, record))[EVENT_TIME_FIELD[type]];
      return typeof ms === 'number' ? ms : null;
    } catch {
      // An undecodable record has no event time; pma verify reports it.
      return null;
    }
  }
}

/** The next offset a layer holds of a partition: never before the log's start. */
const nextHeld = (p: InputPartition, held: ReadonlyMap<string, number>): number => Math.max(held.get(partitionKey(p.topic, p.partition)) ?? p.low, p.low);

/** The offsets whose event times `behind` needs: per lagging partition its newest record and the newest the layer holds (its first if none). */
export function wantTimes(inputs: readonly InputPartition[], held: ReadonlyMap<string, number>, times: EventTimes): void {
  for (const p of inputs) {
    const next = nextHeld(p, held);
    if (next >= p.end) continue;
    times.want(p, p.end - 1);
    times.want(p, Math.max(next - 1, p.low));
  }
}

/**
 * Records the layer lacks (each partition's end minus the next offset it holds), and the event
 * time between the newest input record and the newest record it holds, the largest of any
 * partition it lags in. A partition it holds nothing of counts from its first record. Needs
 * the times `wantTimes` asked for, loaded.
 */
export function behind(inputs: readonly InputPartition[], held: ReadonlyMap<string, number>, times: EventTimes): Behind {
  let records = 0;
  let seconds: number | null = 0;
  for (const p of inputs) {
    const next = nextHeld(p, held);
    if (next >= p.end) continue;
    records += p.end - next;
    const newest = times.get(p.topic, p.partition, p.end - 1);
    const reached = times.get(p.topic, p.partition, Math.max(next - 1, p.low));
    if (newest === null || reached === null) seconds = null;
    else if (seconds !== null) seconds = Math.max(seconds, (newest - reached) / 1000);
  }
  return { recordsBehind: records, secondsBehind: seconds };
}
