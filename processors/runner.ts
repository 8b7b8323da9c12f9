/**
 * The processors as one stream: raw topics in, clean topics out.
 *
 *   poll (bounded) -> decode -> normalise -> dedup -> enrich (or hold) -> produce -> commit
 *
 * Each round's output is produced and acknowledged before the next poll, so a slow output slows
 * consuming and memory stays bounded (poll size, retry buffer, dedup windows; the lookup tables
 * grow only with the number of markets). Output is exactly once: per input partition, a round's
 * clean records and that partition's next input offset commit as one transaction
 * (TransactionalProducer), so a processor killed mid-round leaves neither, and whoever owns the
 * partition next (fencing the one before) reads its records again. The offset committed is the
 * lowest record still open, held records included; records after a held one that went out
 * before a crash are dropped on the re-read by the dedup windows (rebuilt from the clean topics'
 * tails, and fed by every instance's output through GlobalState). Dead letters go out
 * at least once, before the transaction.
 *
 * Raw reference topics (markets, events) are read by their own consumer group and polled first, so
 * trades rarely wait for their market. Every instance also reads the clean reference topics whole
 * (GlobalState), so a trade finds its market whichever instance emitted it. Anything that cannot be decoded or normalised goes to
 * `pma.dlq` with its reason and source offset, and the stream goes on.
 */
import { Registry } from 'prom-client';
import type { Serde, TopicCodec } from '../registry/serde.ts';
import { ConsumerStateError, DecodeError, NormaliseError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import { consumeLoop, DeadLetterOutbox, DoneTracker, decodeRecord, groupCaughtUp, type Until, withDefaults, withSource } from '../runtime/stage/index.ts';
import type { CleanPricePoint, CleanTopicKey, CleanTrade } from '../schemas/clean-records.ts';
import { CLEAN_TOPIC_KEYS } from '../schemas/clean-records.ts';
import { TOPICS } from '../schemas/topics.ts';
import { parsePartitionKey, partitionKey } from '../transport/partition-key.ts';
import type { ConsumedRecord, Consumer, ProduceRecord, RecordBatch, TransactionalProducer, Transport } from '../transport/types.ts';
import { enrichPricePoint, enrichTrade } from './enrich.ts';
import { DEDUP_HEADER, dedupIdentity, REFERENCE_TOPICS, SOURCE_HEADER } from './identity.ts';
import { ProcessMetrics } from './metrics.ts';
import { NORMALISERS } from './normalise/index.ts';
import type { CleanOutput, RawInput } from './normalise/types.ts';
import type { RawRecord } from './normalise/values.ts';
import { rebuildState } from './rebuild.ts';
import { DedupWindow } from './state/dedup-window.ts';
import { GlobalState } from './state/global-state.ts';
import { LookupTables } from './state/lookup.ts';
import { RetryBuffer } from './state/retry-buffer.ts';

export interface ProcessorOptions {
  /** Prefix of the two consumer groups (`<groupId>.reference`, `<groupId>.facts`). Default "pma-process". */
  groupId?: string;
  /** Identities remembered per clean topic. Default 200,000. */
  dedupWindow?: number;
  /** Records held for missing reference data, at most. Default 100,000. */
  retryCapacity?: number;
  /** How long a held record waits before it goes out unresolved, once every reference record is read. Default 30 s. */
  retryWaitMs?: number;
  /**
   * How long it waits at most while reference records are still unread: a processor that died
   * holding a reference partition leaves it unread until the group moves it (Kafka: the session
   * timeout), and a record given up meanwhile would go out unresolved for good. Default 5 min.
   */
  retryMaxWaitMs?: number;
  /** Records per poll. Default 2,000. */
  pollRecords?: number;
  /**
   * How long an input partition fenced while still assigned waits for a newer assignment before
   * it is taken back anyway: past the group's session timeout (30 s) a member that still lists a
   * partition has missed no rebalance. Default 45 s.
   */
  fencedRetakeMs?: number;
}

export interface ProcessorDeps {
  transport: Transport;
  serde: Serde;
  logger: Logger;
  signal: AbortSignal;
  /** 'caught-up': stop once every raw partition is read to its end and everything held has gone out. */
  until: Until;
  /** Where the processors' Prometheus metrics go (a private registry if absent). */
  metrics?: Registry;
}

export interface ProcessorResult {
  consumed: number;
  emitted: Partial<Record<CleanTopicKey, number>>;
  duplicates: number;
  deadLettered: number;
  unresolved: number;
  /** Records the normalisers dropped on purpose (e.g. price points past the requested window). */
  filtered: number;
}

export const PROCESSOR_DEFAULTS = {
  groupId: 'pma-process',
  dedupWindow: 200_000,
  retryCapacity: 100_000,
  retryWaitMs: 30_000,
  retryMaxWaitMs: 300_000,
  pollRecords: 2_000,
  fencedRetakeMs: 45_000,
} as const;

const REFERENCE_RAW: readonly string[] = [TOPICS.rawGammaMarkets, TOPICS.rawGammaEvents, TOPICS.rawClobMarkets].map((t) => t.name);
/** How often held records past their wait ask whether reference records are still unread. */
const SETTLED_RECHECK_MS = 500;
const FACT_RAW: readonly string[] = [TOPICS.rawTrades, TOPICS.rawPrices, TOPICS.rawLeaderboard, TOPICS.rawHolders, TOPICS.rawOpenInterest, TOPICS.rawMarketWs].map((t) => t.name);

interface Held {
  out: Extract<CleanOutput, { topic: 'trades' | 'prices' }>;
  id: string;
  source: ConsumedRecord;
}

/** One round's clean records by the input partition they came from, plus the input offsets they finish. */
class Round {
  /** Input partition key -> output topic -> records. */
  readonly records = new Map<string, Map<string, ProduceRecord[]>>();
  readonly finishes: ConsumedRecord[] = [];

  add(source: ConsumedRecord, topic: string, record: ProduceRecord): void {
    const input = partitionKey(source.topic, source.partition);
    let byTopic = this.records.get(input);
    if (!byTopic) {
      byTopic = new Map();
      this.records.set(input, byTopic);
    }
    const list = byTopic.get(topic);
    if (list) list.push(record);
    else byTopic.set(topic, [record]);
  }
}

export async function runProcessors(options: ProcessorOptions, deps: ProcessorDeps): Promise<ProcessorResult> {
  return new ProcessorRunner(withDefaults(PROCESSOR_DEFAULTS, options), deps).run();
}

class ProcessorRunner {
  readonly #o: Required<ProcessorOptions>;
  readonly #deps: ProcessorDeps;
  readonly #log: Logger;
  readonly #metrics: ProcessMetrics;
  readonly #lookup = new LookupTables();
  readonly #windows = new Map<CleanTopicKey, DedupWindow>();
  readonly #cleanCodecs = new Map<CleanTopicKey, TopicCodec<unknown>>();
  readonly #rawCodecs = new Map<string, TopicCodec<RawRecord>>();
  readonly #done = new DoneTracker();
  readonly #retry: RetryBuffer<Held>;
  readonly #result: ProcessorResult = { consumed: 0, emitted: {}, duplicates: 0, deadLettered: 0, unresolved: 0, filtered: 0 };
  #producer!: TransactionalProducer;
  /** Per input partition, the next offset last committed with its output. */
  readonly #committed = new Map<string, number>();
  #deadLetters!: DeadLetterOutbox;
  #reference!: Consumer;
  #facts!: Consumer;
  #shared!: GlobalState;
  /** Per consumer, the partitions assigned at the last turn. */
  readonly #owned = new Map<Consumer, Set<string>>();
  /**
   * Input partitions whose round was voided by fencing while their consumer still listed them
   * (it had not yet noticed the rebalance), with the consumer's generation and the time then.
   * Their steps are refused until an assignment newer than that still holds them, or none came
   * within `fencedRetakeMs`: then they are taken back.
   */
  readonly #fencedAt = new Map<string, { generation: number; at: number }>();
  /** Not before this time do held records ask again whether the reference records are all read. */
  #settledCheckAt = 0;

  constructor(options: Required<ProcessorOptions>, deps: ProcessorDeps) {
    this.#o = options;
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'process' });
    this.#metrics = new ProcessMetrics(deps.metrics ?? new Registry());
    this.#retry = new RetryBuffer<Held>(options.retryCapacity, options.retryWaitMs, options.retryMaxWaitMs);
  }

  async run(): Promise<ProcessorResult> {
    try {
      return await this.#run();
    } catch (err) {
      this.#metrics.stage.failed('fatal');
      throw err;
    }
  }

  async #run(): Promise<ProcessorResult> {
    const { transport, serde, signal } = this.#deps;
    const all = [...REFERENCE_RAW, ...FACT_RAW].map((n) => Object.values(TOPICS).find((t) => t.name === n)!);
    const clean = CLEAN_TOPIC_KEYS.map((k) => TOPICS[k]);
    await transport.admin().createTopics([...all, ...clean, TOPICS.dlq].map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy })));
    this.#deadLetters = new DeadLetterOutbox(transport, 'process', this.#log, this.#metrics.stage);
    for (const def of all) this.#rawCodecs.set(def.name, await serde.codecFor<RawRecord>(def));
    for (const key of CLEAN_TOPIC_KEYS) {
      this.#cleanCodecs.set(key, await serde.codecFor(TOPICS[key]));
      this.#windows.set(key, new DedupWindow(this.#o.dedupWindow));
    }
    const rebuilt = await rebuildState({ transport, logger: this.#log, lookup: this.#lookup, windows: this.#windows, codecs: this.#cleanCodecs, signal });
    this.#log.info('processor state rebuilt from the clean topics', { records: rebuilt.records, millis: rebuilt.millis, tokens: this.#lookup.tokenCount, markets: this.#lookup.marketCount });
    this.#shared = await GlobalState.open({ transport, logger: this.#log, lookup: this.#lookup, windows: this.#windows, codecs: this.#cleanCodecs }, this.#o.groupId, rebuilt.ends);

    this.#producer = transport.transactionalProducer({ clientId: 'pma-process' });
    this.#reference = transport.consumer({ groupId: `${this.#o.groupId}.reference`, maxRecords: this.#o.pollRecords, clientId: 'pma-process' });
    this.#facts = transport.consumer({ groupId: `${this.#o.groupId}.facts`, maxRecords: this.#o.pollRecords, clientId: 'pma-process' });
    const admin = transport.admin();
    const unwatch = [
      this.#metrics.stage.watchLag(admin, `${this.#o.groupId}.reference`, REFERENCE_RAW, this.#log),
      this.#metrics.stage.watchLag(admin, `${this.#o.groupId}.facts`, FACT_RAW, this.#log),
    ];
    try {
      await this.#reference.subscribe([...REFERENCE_RAW]);
      await this.#facts.subscribe([...FACT_RAW]);
      await this.#loop();
    } finally {
      for (const stop of unwatch) stop();
      await this.#deadLetters.close().catch((err) => this.#log.warn('closing the dead-letter producer failed', { err }));
      await this.#reference.close().catch((err) => this.#log.warn('closing a consumer failed', { err }));
      await this.#facts.close().catch((err) => this.#log.warn('closing a consumer failed', { err }));
      await this.#shared.close().catch((err) => this.#log.warn('closing the global state consumer failed', { err }));
      await this.#producer.close().catch((err) => this.#log.warn('closing the producer failed', { err }));
    }
    this.#result.deadLettered = this.#deadLetters.sent;
    this.#log.info('processors stopped', { ...this.#result, emitted: JSON.stringify(this.#result.emitted), held: this.#retry.size });
    return this.#result;
  }

  async #loop(): Promise<void> {
    const reason = await consumeLoop({
      signal: this.#deps.signal,
      until: this.#deps.until,
      sources: [this.#shared.consumer, this.#reference, this.#facts],
      waitMs: () => this.#waitMs(),
      handle: async (batches) => {
        const round = new Round();
        const rewound = await this.#takeOver(round);
        for (const batch of batches) {
          if (GlobalState.owns(batch.topic)) this.#released(await this.#shared.absorb(batch), round);
          else if (!rewound.has(partitionKey(batch.topic, batch.partition))) await this.#take(batch, round);
        }
        await this.#expire(round);
        await this.#send(round);
      },
      caughtUp: () => this.#caughtUp(),
    });
    if (reason === 'caught-up') {
      const last = new Round();
      for (const held of this.#retry.drain()) this.#emitHeld(held, last, true);
      await this.#send(last);
      return;
    }
    // Stopping: what was produced is committed; held records stay uncommitted and are read again next start.
    await this.#commit();
  }

  /**
   * Partitions newly assigned (a start, a takeover) are claimed, which fences their last owner,
   * and start with no progress state of an earlier ownership. Fact records are then read only
   * once the shared state has read every instance's output to its present end: the last owner may
   * have sent records past its committed offset (after a held one), and the dedup windows must
   * hold them before they are read again. Partitions taken back after being fenced are rewound to
   * the group's committed offset; their records polled in this turn are skipped (returned).
   */
  async #takeOver(round: Round): Promise<Set<string>> {
    const rewound = new Set<string>();
    let factsGained = false;
    for (const [consumer, group] of [
      [this.#reference, `${this.#o.groupId}.reference`],
      [this.#facts, `${this.#o.groupId}.facts`],
    ] as const) {
      const assigned = consumer.assignment();
      const before = this.#owned.get(consumer) ?? new Set<string>();
      const now = new Set(assigned.map((tp) => partitionKey(tp.topic, tp.partition)));
      this.#owned.set(consumer, now);
      const back: Array<{ topic: string; partition: number }> = [];
      for (const [k, fenced] of this.#fencedAt) {
        const tp = parsePartitionKey(k);
        if (this.#consumerOf(tp.topic) !== consumer) continue;
        if (!now.has(k)) this.#fencedAt.delete(k);
        else if (consumer.generation() > fenced.generation || Date.now() - fenced.at > this.#o.fencedRetakeMs) {
          this.#fencedAt.delete(k);
          back.push(tp);
        }
      }
      const gained = [...assigned.filter((tp) => !before.has(partitionKey(tp.topic, tp.partition))), ...back];
      const moved = new Set([...[...before].filter((k) => !now.has(k)), ...gained.map((tp) => partitionKey(tp.topic, tp.partition))]);
      this.#dropHeld(moved);
      if (gained.length === 0) continue;
      // Fenced first: a last owner still committing would otherwise land output after the catch-up read past it.
      await this.#producer.claim(consumer, gained);
      for (const { topic, partition } of gained) {
        this.#done.forget(topic, partition);
        this.#committed.delete(partitionKey(topic, partition));
      }
      for (const { topic, partition } of back) {
        const committed = (await this.#deps.transport.admin().groupOffsets(group, topic)).find((o) => o.partition === partition)?.offset;
        if (committed === undefined) await consumer.seekToBeginning(topic, [partition]);
        else consumer.seek(topic, partition, committed);
        rewound.add(partitionKey(topic, partition));
      }
      if (consumer === this.#facts) factsGained = true;
    }
    if (factsGained) this.#released(await this.#shared.catchUp(this.#deps.transport.admin(), this.#deps.signal), round);
    return rewound;
  }

  /** Sends out unresolved the held records whose wait is over (see RetryBuffer). */
  async #expire(round: Round): Promise<void> {
    const now = Date.now();
    const due = this.#retry.nextDeadline();
    if (due === undefined || due > now) return;
    let settled = false;
    if (now >= this.#settledCheckAt) {
      settled = await this.#referenceSettled();
      if (!settled) this.#settledCheckAt = now + SETTLED_RECHECK_MS;
    }
    for (const held of this.#retry.expired(now, settled)) this.#emitHeld(held, round, true);
  }

  /** Every raw reference record is read (by this or another member) and the shared state has read their clean output. */
  async #referenceSettled(): Promise<boolean> {
    const admin = this.#deps.transport.admin();
    // The group first: once every raw reference record is committed, its clean output is in the
    // log, and the shared state must then have read it before held records give up waiting.
    return (await groupCaughtUp(this.#reference, admin, `${this.#o.groupId}.reference`, REFERENCE_RAW)) && (await this.#shared.caughtUp(admin));
  }

  #waitMs(): number {
    const next = this.#retry.nextDeadline();
    const deadline = next === undefined ? undefined : Math.max(next, this.#settledCheckAt);
    const base = this.#deps.until === 'caught-up' ? 100 : 1_000;
    return deadline === undefined ? base : Math.max(10, Math.min(base, deadline - Date.now()));
  }

  async #caughtUp(): Promise<boolean> {
    return (await groupCaughtUp(this.#facts, this.#deps.transport.admin(), `${this.#o.groupId}.facts`, FACT_RAW)) && (await this.#referenceSettled());
  }

  async #take(batch: RecordBatch, round: Round): Promise<void> {
    const codec = this.#rawCodecs.get(batch.topic)!;
    const normalise = NORMALISERS[batch.topic]!;
    this.#metrics.stage.read(batch.topic, batch.records.length);
    for (const record of batch.records) {
      this.#result.consumed++;
      this.#done.begin(record.topic, record.partition, record.offset);
      if (record.value === null) {
        round.finishes.push(record);
        continue;
      }
      let outputs: CleanOutput[];
      try {
        let value = decodeRecord(codec, record);
        if (value instanceof Promise) value = await value;
        if (value instanceof DecodeError) {
          this.#deadLetters.add(record, value.reason, value);
          round.finishes.push(record);
          continue;
        }
        outputs = normalise(rawInput(record, value));
      } catch (err) {
        if (!(err instanceof NormaliseError)) throw err;
        this.#deadLetters.add(record, 'normalise-failed', withSource(err, record));
        round.finishes.push(record);
        continue;
      }
      if (outputs.length === 0) this.#result.filtered++;
      let held = false;
      for (const out of outputs) held = this.#accept(out, record, round) || held;
      if (!held) round.finishes.push(record);
    }
  }

  /** Dedups, enriches and emits (or holds) one clean record. Returns true if it was held. */
  #accept(out: CleanOutput, source: ConsumedRecord, round: Round): boolean {
    const id = dedupIdentity(out);
    if (!this.#windows.get(out.topic)!.add(id)) {
      this.#result.duplicates++;
      return false;
    }
    if (REFERENCE_TOPICS.has(out.topic)) {
      this.#emit(out, id, source, round);
      this.#released(this.#lookup.apply(out.topic as 'markets' | 'tokens' | 'events', out.value as never), round);
      return false;
    }
    if (out.topic === 'trades' || out.topic === 'prices') {
      const missing = this.#missing(out);
      if (missing.length > 0) {
        for (const evicted of this.#retry.hold({ out, id, source }, missing, Date.now())) this.#emitHeld(evicted, round, true);
        return true;
      }
    }
    this.#emit(out, id, source, round);
    return false;
  }

  #released(keys: string[], round: Round): void {
    for (const key of keys) {
      for (const held of this.#retry.release(key)) this.#retryHeld(held, round);
    }
  }

  #missing(out: Held['out']): string[] {
    return out.topic === 'trades' ? enrichTrade(out.value as CleanTrade, this.#lookup) : enrichPricePoint(out.value as CleanPricePoint, this.#lookup);
  }

  /** A held record whose awaited key arrived: complete now, or wait for what is still missing. */
  #retryHeld(held: Held, round: Round): void {
    const missing = this.#missing(held.out);
    if (missing.length === 0) this.#emitHeld(held, round, false);
    else for (const evicted of this.#retry.hold(held, missing, Date.now())) this.#emitHeld(evicted, round, true);
  }

  #emitHeld(held: Held, round: Round, unresolved: boolean): void {
    if (unresolved) {
      this.#missing(held.out);
      held.out.value.unresolved = true;
      this.#result.unresolved++;
    }
    this.#emit(held.out, held.id, held.source, round);
    round.finishes.push(held.source);
  }

  #emit(out: CleanOutput, id: string, source: ConsumedRecord, round: Round): void {
    const codec = this.#cleanCodecs.get(out.topic)!;
    round.add(source, TOPICS[out.topic].name, {
      key: Buffer.from(out.key),
      value: codec.encode(out.value),
      headers: { [DEDUP_HEADER]: id, [SOURCE_HEADER]: `${source.topic}/${source.partition}/${source.offset}` },
    });
    this.#result.emitted[out.topic] = (this.#result.emitted[out.topic] ?? 0) + 1;
  }

  /**
   * Sends the round's dead letters (durable first), then per input partition its clean records
   * with the partition's next offset, in one transaction each.
   */
  async #send(round: Round): Promise<void> {
    await this.#deadLetters.flush();
    for (const r of round.finishes) this.#done.finish(r.topic, r.partition, r.offset);
    await this.#commit(round.records);
    this.#metrics.round(this.#result, this.#retry.size);
  }

  /** Commits every input partition whose offset moved or that has output, each with its output. */
  async #commit(records = new Map<string, Map<string, ProduceRecord[]>>()): Promise<void> {
    const moved = new Map(this.#done.takeCommittable().map((o) => [partitionKey(o.topic, o.partition), o.offset]));
    for (const input of new Set([...records.keys(), ...moved.keys()])) {
      const { topic, partition } = parsePartitionKey(input);
      const offset = moved.get(input) ?? this.#committed.get(input);
      const batches = [...(records.get(input) ?? [])].map(([t, list]) => ({ topic: t, records: list }));
      if (offset === undefined) throw new ConsumerStateError('output without an input offset to commit it with', { topic, partition });
      try {
        const started = performance.now();
        await this.#producer.commitStep(this.#consumerOf(topic), { topic, partition, offset }, batches);
        this.#metrics.committed((performance.now() - started) / 1000);
        for (const b of batches) this.#metrics.stage.written(b.topic, b.records.length);
        this.#committed.set(input, offset);
      } catch (err) {
        if (!(err instanceof ConsumerStateError && err.context.fenced)) {
          if (moved.has(input)) this.#done.uncommitted([{ topic, partition, offset }]);
          throw err;
        }
        // Another instance owns the partition now and reads these records again: ours are void,
        // and must not count as sent should this instance read them again itself later.
        this.#metrics.stage.failed('fenced');
        this.#forget(batches);
        this.#done.forget(topic, partition);
        const consumer = this.#consumerOf(topic);
        if (!this.#fencedAt.has(input) && consumer.assignment().some((tp) => tp.topic === topic && tp.partition === partition))
          this.#fencedAt.set(input, { generation: consumer.generation(), at: Date.now() });
        this.#log.warn('input partition taken over by another processor; this round of it was not written', { topic, partition, offset, records: batches.reduce((n, b) => n + b.records.length, 0) });
      }
    }
  }

  /**
   * Held records read from partitions that changed hands: their offsets were never committed
   * (a held record keeps its partition's offset before it), so whoever owns the partition reads
   * them again, this instance included after taking it back; the held copy would go out beside
   * that one, or make it look like a duplicate.
   */
  #dropHeld(partitions: Set<string>): void {
    if (partitions.size === 0) return;
    for (const held of this.#retry.takeWhere((h) => partitions.has(partitionKey(h.source.topic, h.source.partition)))) this.#windows.get(held.out.topic)!.delete(held.id);
  }

  /** Takes the identities of records that never reached the log out of the dedup windows. */
  #forget(batches: Array<{ topic: string; records: ProduceRecord[] }>): void {
    for (const { topic, records } of batches) {
      const key = CLEAN_TOPIC_KEYS.find((k) => TOPICS[k].name === topic);
      const window = key && this.#windows.get(key);
      if (!window) continue;
      for (const r of records) {
        const id = r.headers?.[DEDUP_HEADER];
        if (id !== undefined) window.delete(id);
      }
    }
  }

  #consumerOf(topic: string): Consumer {
    return REFERENCE_RAW.includes(topic) ? this.#reference : this.#facts;
  }
}

function rawInput(record: ConsumedRecord, value: RawRecord): RawInput {
  return { key: record.key?.toString('utf8') ?? '', value, timestamp: record.timestamp, headers: record.headers };
}
