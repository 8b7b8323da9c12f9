/**
 * Publishes fetched pages: each API object is mapped to its raw Avro record, checked by encoding
 * it, keyed deterministically and headed with its source; an object that fails the check goes to
 * the dead-letter topic with its JSON and the reason, and the page goes on. Pages from all
 * workers are group-committed: one send per topic for everything queued, and only once those
 * records are acknowledged, a second send with the pages' cursors and gap reports. A page's
 * promise resolves when both are durable, so a cursor never runs ahead of its records.
 */
import { DLQ_HEADERS, deadLetterErrorText } from '../../registry/dead-letter.ts';
import { describeError, SchemaValidationError } from '../../runtime/errors.ts';
import type { ProduceRecord, Producer } from '../../transport/types.ts';
import { type SourceInfo, sourceHeaders } from './headers.ts';

/** Encodes a value of one topic in the wire format; throws SchemaValidationError on mismatch. */
export interface Encoder {
  readonly topic: string;
  encode(value: unknown): Buffer;
}

export interface PageItem {
  key: string;
  /** The object as the API sent it. */
  api: unknown;
  /** Extra headers for this record (e.g. the fill role). */
  headers?: Record<string, string>;
}

export interface PageInput {
  encoder: Encoder;
  /** API object to raw record; may throw SchemaValidationError. */
  toRaw: (api: unknown) => unknown;
  items: readonly PageItem[];
  source: SourceInfo;
  /** Control records (cursor, gaps) written after the items are durable. */
  control?: ControlRecord[];
}

export interface ControlRecord {
  encoder: Encoder;
  key: string;
  value: unknown;
}

export interface PageResult {
  published: number;
  deadLettered: number;
}

export interface DeadLetter {
  key: string;
  /** The original bytes: the API object's JSON, or a whole malformed body. */
  body: string;
  reason: string;
  error: string;
  source: SourceInfo;
  /** The raw topic the record was meant for. */
  topic?: string;
}

export interface PublisherOptions {
  producer: Producer;
  dlqTopic: string;
  /** Upper bound of records in one group commit. Default 20,000. */
  maxBatchRecords?: number;
  /** Group commits sent and not yet durable, at most. Default 4. */
  maxInFlight?: number;
  onPublished?: (topic: string, n: number) => void;
  onDeadLetter?: (d: DeadLetter) => void;
}

interface Pending {
  records: Map<string, ProduceRecord[]>;
  control: ControlRecord[];
  count: number;
  result: PageResult;
  resolve: (r: PageResult) => void;
  reject: (e: unknown) => void;
}

export class Publisher {
  readonly #o: PublisherOptions;
  readonly #queue: Pending[] = [];
  #running: Promise<void> | undefined;
  #failed: unknown;

  constructor(options: PublisherOptions) {
    this.#o = options;
  }

  /** Maps, checks and queues a page; resolves when its records and control records are durable. */
  page(input: PageInput): Promise<PageResult> {
    const records = new Map<string, ProduceRecord[]>();
    const ok: ProduceRecord[] = [];
    const result: PageResult = { published: 0, deadLettered: 0 };
    const base = sourceHeaders(input.source);
    // Items usually share a few header objects (e.g. one per fill role): merge each once.
    const merged = new Map<Record<string, string>, Record<string, string>>();
    const headersOf = (extra: Record<string, string> | undefined) => {
      if (!extra) return base;
      let h = merged.get(extra);
      if (!h) {
        h = { ...base, ...extra };
        merged.set(extra, h);
      }
      return h;
    };
    for (const item of input.items) {
      try {
        const value = input.encoder.encode(input.toRaw(item.api));
        ok.push({ key: Buffer.from(item.key), value, headers: headersOf(item.headers) });
      } catch (err) {
        if (!(err instanceof SchemaValidationError)) throw err;
        result.deadLettered++;
        this.#pushDead(records, {
          key: item.key,
          body: safeJson(item.api),
          reason: 'schema-mismatch',
          error: describeError(err),
          source: input.source,
          topic: input.encoder.topic,
        });
      }
    }
    if (ok.length > 0) records.set(input.encoder.topic, ok);
    result.published = ok.length;
    return this.#enqueue(records, input.control ?? [], result);
  }

  /** Queues a dead letter on its own (a malformed body), durable when resolved. */
  deadLetter(d: DeadLetter): Promise<PageResult> {
    const records = new Map<string, ProduceRecord[]>();
    this.#pushDead(records, d);
    return this.#enqueue(records, [], { published: 0, deadLettered: 1 });
  }

  /** Queues control records only (a gap, a failure, a cursor without a page). */
  control(control: ControlRecord[]): Promise<PageResult> {
    return this.#enqueue(new Map(), control, { published: 0, deadLettered: 0 });
  }

  /** Resolves when everything queued so far is durable. */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
    if (this.#failed) throw this.#failed;
  }

  #pushDead(records: Map<string, ProduceRecord[]>, d: DeadLetter): void {
    this.#o.onDeadLetter?.(d);
    const list = records.get(this.#o.dlqTopic) ?? [];
    list.push({
      key: Buffer.from(d.key),
      value: Buffer.from(d.body),
      headers: {
        ...sourceHeaders(d.source),
        [DLQ_HEADERS.reason]: d.reason,
        [DLQ_HEADERS.error]: deadLetterErrorText(d.error),
        [DLQ_HEADERS.stage]: 'ingest',
        [DLQ_HEADERS.time]: new Date().toISOString(),
        ...(d.topic ? { [DLQ_HEADERS.sourceTopic]: d.topic } : {}),
      },
    });
    records.set(this.#o.dlqTopic, list);
  }

  #enqueue(records: Map<string, ProduceRecord[]>, control: ControlRecord[], result: PageResult): Promise<PageResult> {
    if (this.#failed) return Promise.reject(this.#failed);
    let count = control.length;
    for (const list of records.values()) count += list.length;
    if (count === 0) return Promise.resolve(result);
    return new Promise<PageResult>((resolve, reject) => {
      this.#queue.push({ records, control, count, result, resolve, reject });
      this.#kick();
    });
  }

  /**
   * Starts draining unless a drain runs. A page queued after a drain's last look at the queue but
   * before that drain has ended is picked up by the next drain, started as this one ends.
   */
  #kick(): void {
    this.#running ??= this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#queue.length > 0) this.#kick();
    });
  }

  /**
   * Sends group after group without waiting for the previous one to be durable (up to
   * `maxInFlight`): the log lands sends in call order, and a group's control records are sent
   * only once its own records are durable, so a cursor never lands before its records.
   */
  async #drain(): Promise<void> {
    const max = this.#o.maxBatchRecords ?? 20_000;
    const inFlight = new Set<Promise<void>>();
    while (this.#queue.length > 0 || inFlight.size > 0) {
      if (this.#failed) break;
      if (this.#queue.length === 0 || inFlight.size >= (this.#o.maxInFlight ?? 4)) {
        await Promise.race(inFlight);
        continue;
      }
      const batch: Pending[] = [];
      let n = 0;
      while (this.#queue.length > 0 && (batch.length === 0 || n + this.#queue[0]!.count <= max)) {
        const p = this.#queue.shift()!;
        batch.push(p);
        n += p.count;
      }
      const sent = this.#send(batch).then(
        () => {
          for (const p of batch) p.resolve(p.result);
        },
        (err: unknown) => {
          this.#failed ??= err;
          for (const p of batch) p.reject(err);
        },
      );
      const tracked = sent.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
    if (this.#failed) for (const p of this.#queue.splice(0)) p.reject(this.#failed);
  }

  async #send(batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, ProduceRecord[]>();
    for (const p of batch) {
      for (const [topic, list] of p.records) {
        const all = byTopic.get(topic);
        if (all) for (const r of list) all.push(r);
        else byTopic.set(topic, [...list]);
      }
    }
    if (byTopic.size > 0) {
      await this.#o.producer.sendBatch([...byTopic].map(([topic, records]) => ({ topic, records })));
      for (const [topic, records] of byTopic) this.#o.onPublished?.(topic, records.length);
    }
    // Control records only after the data they describe is durable.
    const control = new Map<string, ProduceRecord[]>();
    for (const p of batch) {
      for (const c of p.control) {
        const list = control.get(c.encoder.topic) ?? [];
        list.push({ key: Buffer.from(c.key), value: c.encoder.encode(c.value) });
        control.set(c.encoder.topic, list);
      }
    }
    if (control.size > 0) await this.#o.producer.sendBatch([...control].map(([topic, records]) => ({ topic, records })));
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'undefined';
  } catch {
    return String(v);
  }
}
