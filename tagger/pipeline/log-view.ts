/**
 * A read-only view of the pipeline's control topics for the Pipeline page: the last cursor per
 * (endpoint, scope) from pma.cursors, and the newest failures and dead letters. One consumer
 * tails the three topics (starting near the end of the two that only need their latest records)
 * and never commits: it is a viewer, not a processor.
 */
import { DLQ_HEADERS } from '../../registry/dead-letter.ts';
import type { Serde, TopicCodec } from '../../registry/serde.ts';
import { describeError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { ConsumedRecord, Transport } from '../../transport/types.ts';

export const VIEW_GROUP_PREFIX = 'pma-tagger-view';

export interface CursorState {
  endpoint: string;
  scope: string;
  complete: boolean;
  records: number;
  updatedAt: number;
  offset: number | null;
  lastTimestamp: number | null;
}

export interface Problem {
  at: number;
  where: string;
  reason: string;
}

export interface EndpointProgress {
  endpoint: string;
  scopes: number;
  complete: number;
  records: number;
  updatedAt: number;
}

const KEEP = 8;
const TAIL = 50;

export class LogView {
  readonly #transport: Transport;
  readonly #serde: Serde;
  readonly #logger: Logger;
  readonly #cursors = new Map<string, CursorState>();
  readonly failures: Problem[] = [];
  readonly deadLetters: Problem[] = [];
  #cursorCodec: TopicCodec<CursorState & Record<string, unknown>> | undefined;
  #failureCodec: TopicCodec<Record<string, unknown>> | undefined;

  constructor(transport: Transport, serde: Serde, logger: Logger) {
    this.#transport = transport;
    this.#serde = serde;
    this.#logger = logger;
  }

  /** Progress per endpoint, busiest first. */
  endpoints(): EndpointProgress[] {
    const by = new Map<string, EndpointProgress>();
    for (const c of this.#cursors.values()) {
      const e = by.get(c.endpoint) ?? { endpoint: c.endpoint, scopes: 0, complete: 0, records: 0, updatedAt: 0 };
      e.scopes++;
      if (c.complete) e.complete++;
      e.records += c.records;
      e.updatedAt = Math.max(e.updatedAt, c.updatedAt);
      by.set(c.endpoint, e);
    }
    return [...by.values()].sort((a, b) => b.records - a.records || a.endpoint.localeCompare(b.endpoint));
  }

  async run(signal: AbortSignal): Promise<void> {
    const admin = this.#transport.admin();
    const present = [TOPICS.cursors, TOPICS.failures, TOPICS.dlq];
    // Created here (as the catalogue defines them) when no producer ran yet, so the view follows them from the start.
    await admin.createTopics(present.map((t) => ({ name: t.name, partitions: t.partitions, cleanupPolicy: t.cleanupPolicy })));
    this.#cursorCodec = await this.#serde.codecFor(TOPICS.cursors);
    this.#failureCodec = await this.#serde.codecFor(TOPICS.failures);
    const consumer = this.#transport.consumer({ groupId: `${VIEW_GROUP_PREFIX}-${process.pid}`, clientId: 'pma-tagger-view', maxRecords: 5_000 });
    try {
      await consumer.subscribe(present.map((t) => t.name));
      for (const t of present) {
        if (t.name === TOPICS.cursors.name) continue;
        for (const o of await admin.offsets(t.name)) consumer.seek(t.name, o.partition, Math.max(o.low, o.high - TAIL));
      }
      while (!signal.aborted) {
        let got: Awaited<ReturnType<typeof consumer.poll>>;
        try {
          got = await consumer.poll({ waitMs: 1_000, signal });
        } catch (err) {
          if (signal.aborted) return;
          throw err;
        }
        for (const batch of got) for (const record of batch.records) await this.#take(record);
      }
    } finally {
      await consumer.close();
    }
  }

  async #take(record: ConsumedRecord): Promise<void> {
    try {
      if (record.topic === TOPICS.cursors.name) {
        const key = record.key?.toString('utf8') ?? '';
        if (record.value === null) this.#cursors.delete(key);
        else {
          const c = await this.#cursorCodec!.decode(record.value, record);
          this.#cursors.set(key, {
            endpoint: c.endpoint,
            scope: c.scope,
            complete: c.complete,
            records: Number(c.records),
            updatedAt: Number(c.updatedAt),
            offset: c.offset === null ? null : Number(c.offset),
            lastTimestamp: c.lastTimestamp === null ? null : Number(c.lastTimestamp),
          });
        }
      } else if (record.topic === TOPICS.failures.name && record.value) {
        const f = await this.#failureCodec!.decode(record.value, record);
        push(this.failures, { at: Number(f.failedAt ?? record.timestamp), where: `${f.endpoint}${f.scope ? ` ${f.scope}` : ''}`, reason: String(f.lastError) });
      } else if (record.topic === TOPICS.dlq.name) {
        const h = record.headers;
        const offset = h[DLQ_HEADERS.sourceOffset];
        push(this.deadLetters, {
          at: record.timestamp,
          where: `${h[DLQ_HEADERS.sourceTopic] ?? '?'}${offset ? ` @${offset}` : ''}`,
          reason: [h[DLQ_HEADERS.reason], h[DLQ_HEADERS.error]].filter(Boolean).join(': ') || 'no reason given',
        });
      }
    } catch (err) {
      this.#logger.debug('pipeline view skipped a record it cannot read', { topic: record.topic, offset: record.offset, error: describeError(err) });
    }
  }
}

function push(list: Problem[], p: Problem): void {
  list.unshift(p);
  list.length = Math.min(list.length, KEEP);
}
