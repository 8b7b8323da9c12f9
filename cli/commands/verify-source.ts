/**
 * The log as `pma verify` reads it on a transport without direct file access (Kafka): bounds and
 * committed offsets from the admin client, records through a consumer of a group of its own that
 * never commits, so no group's progress changes.
 */
import { TransportError } from '../../runtime/errors.ts';
import type { LogPartitionBounds, LogRecordSource } from '../../runtime/verify.ts';
import type { ConsumedRecord, Transport } from '../../transport/types.ts';

/** Polls in a row that may bring nothing before a read is given up (each waits up to a second). */
const MAX_EMPTY_POLLS = 30;

export class TransportRecordSource implements LogRecordSource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async bounds(topic: string): Promise<LogPartitionBounds[]> {
    const admin = this.#transport.admin();
    if (!(await admin.describeTopic(topic))) return [];
    return admin.offsets(topic);
  }

  async committed(groupId: string, topic: string): Promise<Map<number, number>> {
    const admin = this.#transport.admin();
    if (!(await admin.describeTopic(topic))) return new Map();
    return new Map((await admin.groupOffsets(groupId, topic)).map((o) => [o.partition, o.offset]));
  }

  async read(topic: string, partition: number, from: number, to: number, each: (records: readonly ConsumedRecord[]) => Promise<void> | void): Promise<void> {
    const high = (await this.bounds(topic)).find((b) => b.partition === partition)?.high ?? 0;
    const end = Math.min(to + 1, high);
    if (from >= end) return;
    const consumer = this.#transport.consumer({ groupId: `pma-verify-${process.pid}-${Date.now()}`, clientId: 'pma-verify' });
    try {
      await consumer.subscribe([topic]);
      let empty = 0;
      let positioned = false;
      for (;;) {
        if (!positioned && consumer.assignment().some((a) => a.topic === topic && a.partition === partition)) {
          consumer.seek(topic, partition, from);
          positioned = true;
        }
        const batches = await consumer.poll({ waitMs: 1_000 });
        const records = positioned ? batches.filter((b) => b.partition === partition).flatMap((b) => b.records.filter((r) => r.offset >= from && r.offset < end)) : [];
        if (records.length > 0) {
          empty = 0;
          await each(records);
        } else if (++empty > MAX_EMPTY_POLLS) {
          throw new TransportError(`verify could not read offsets ${from}..${end - 1}: nothing arrived in ${MAX_EMPTY_POLLS} polls`, { topic, partition, offset: from });
        }
        if (positioned && (consumer.position(topic, partition) ?? 0) >= end) return;
      }
    } finally {
      await consumer.close();
    }
  }
}
