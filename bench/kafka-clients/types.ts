/**
 * What `pma bench transport --clients` asks of one Kafka client: send pre-encoded batches with
 * acks=all and idempotence, and hand every record of a topic back once. Encoding, decoding, timing
 * and checking stay in bench/kafka-clients/compare.ts, so every client pays for the same serde.
 */

/** One record as our producers send it: key, Confluent wire-format value, murmur2 partition. */
export interface BenchRecord {
  key: Buffer;
  value: Buffer;
  partition: number;
}

export interface BenchProducer {
  /** Resolves once the broker acknowledged every record (acks=all). */
  send(records: BenchRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** Where a client finds the topic: our transport adds the configured prefix, raw clients need it added. */
export interface BenchTopic {
  /** The name pma gives the topic. */
  name: string;
  /** The name on the broker. */
  wire: string;
}

export interface BenchClient {
  readonly name: string;
  producer(topic: BenchTopic): Promise<BenchProducer>;
  /**
   * Reads the topic from the beginning in a new group until `count` records came, calling
   * `onRecord` for each; fails after `idleMs` without a record.
   */
  consume(topic: BenchTopic, count: number, idleMs: number, onRecord: (key: Buffer, value: Buffer) => void): Promise<void>;
  close(): Promise<void>;
}
