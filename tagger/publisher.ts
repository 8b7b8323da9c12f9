/**
 * Publishes tag events with group commit: events queued within `lingerMs` (or up to `maxBatch`)
 * go out in one produce call, each caller's promise resolving with its record's offset once the
 * batch is durable. Flushes run one at a time, so events land in the order they were queued.
 */
import type { TopicCodec } from '../registry/serde.ts';
import type { Producer } from '../transport/types.ts';

interface Pending {
  key: string;
  value: Buffer;
  resolve: (offset: number) => void;
  reject: (err: unknown) => void;
}

export interface PublisherOptions {
  lingerMs?: number;
  maxBatch?: number;
}

export class EventPublisher<T> {
  readonly #producer: Producer;
  readonly #codec: TopicCodec<T>;
  readonly #lingerMs: number;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(producer: Producer, codec: TopicCodec<T>, options: PublisherOptions = {}) {
    this.#producer = producer;
    this.#codec = codec;
    this.#lingerMs = options.lingerMs ?? 5;
    this.#maxBatch = options.maxBatch ?? 500;
  }

  get topic(): string {
    return this.#codec.topic;
  }

  /** Encodes (throwing SchemaValidationError at once if `value` breaks the schema) and queues. */
  publish(key: string, value: T): Promise<number> {
    const encoded = this.#codec.encode(value);
    return new Promise((resolve, reject) => {
      this.#queue.push({ key, value: encoded, resolve, reject });
      if (this.#queue.length >= this.#maxBatch) this.#flushSoon(0);
      else this.#flushSoon(this.#lingerMs);
    });
  }

  /** Sends whatever is queued and waits for every earlier flush. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#queue;
    this.#queue = [];
    const run = this.#flushing.then(() => this.#send(batch));
    this.#flushing = run;
    await run;
  }

  #flushSoon(ms: number): void {
    if (this.#timer && ms > 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch(() => undefined);
    }, ms);
  }

  async #send(batch: Pending[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      const meta = await this.#producer.send(
        this.#codec.topic,
        batch.map((p) => ({ key: Buffer.from(p.key), value: p.value })),
      );
      for (const [i, p] of batch.entries()) p.resolve(meta[i]!.offset);
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
