/**
 * The processors as one stream: raw topics in, clean topics out.
 *
 *   poll (bounded) -> decode -> normalise -> dedup -> enrich (or hold) -> produce -> commit
 *
 * Each round's output is produced and acknowledged before the next poll, so a slow output slows
 * consuming and memory stays bounded (poll size, retry buffer, dedup windows; the lookup tables
 * grow only with the number of markets). Input offsets are committed only up to the lowest record
 * whose output is not yet acknowledged, held records included: a crash re-reads them, and the
 * dedup windows (rebuilt from the clean topics' tails) drop what was already emitted.
 *
 * Raw reference topics (markets, events) are read by their own consumer group and polled first, so
 * trades rarely wait for their market. Every instance also reads the clean reference topics whole
 * (ReferenceTable), so a trade finds its market whichever instance emitted it. Anything that cannot be decoded or normalised goes to
 * `pma.dlq` with its reason and source offset, and the stream goes on.
 */
import type { Serde, TopicCodec } from '../registry/serde.ts';
import { DecodeError, NormaliseError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import { consumeLoop, DeadLetterOutbox, DoneTracker, decodeRecord, groupCaughtUp, type Until, withDefaults, withSource } from '../runtime/stage/index.ts';
import type { CleanPricePoint, CleanTopicKey, CleanTrade } from '../schemas/clean-records.ts';
import { CLEAN_TOPIC_KEYS } from '../schemas/clean-records.ts';
import { TOPICS } from '../schemas/topics.ts';
import type { ConsumedRecord, Consumer, ProduceRecord, Producer, RecordBatch, Transport } from '../transport/types.ts';
import { enrichPricePoint, enrichTrade } from './enrich.ts';
import { DEDUP_HEADER, dedupIdentity, REFERENCE_TOPICS, SOURCE_HEADER } from './identity.ts';
import { NORMALISERS } from './normalise/index.ts';
import type { CleanOutput, RawInput } from './normalise/types.ts';
import type { RawRecord } from './normalise/values.ts';
import { rebuildState } from './rebuild.ts';
import { DedupWindow } from './state/dedup-window.ts';
import { LookupTables } from './state/lookup.ts';
import { ReferenceTable } from './state/reference-table.ts';
import { RetryBuffer } from './state/retry-buffer.ts';

export interface ProcessorOptions {
  /** Prefix of the two consumer groups (`<groupId>.reference`, `<groupId>.facts`). Default "pma-process". */
  groupId?: string;
  /** Identities remembered per clean topic. Default 200,000. */
  dedupWindow?: number;
  /** Records held for missing reference data, at most. Default 100,000. */
  retryCapacity?: number;
  /** How long a held record waits before it goes out unresolved. Default 30 s. */
  retryWaitMs?: number;
  /** Records per poll. Default 2,000. */
  pollRecords?: number;
}

export interface ProcessorDeps {
  transport: Transport;
  serde: Serde;
  logger: Logger;
  signal: AbortSignal;
  /** 'caught-up': stop once every raw partition is read to its end and everything held has gone out. */
  until: Until;
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
  pollRecords: 2_000,
} as const;

const REFERENCE_RAW: readonly string[] = [TOPICS.rawGammaMarkets, TOPICS.rawGammaEvents, TOPICS.rawClobMarkets].map((t) => t.name);
const FACT_RAW: readonly string[] = [TOPICS.rawTrades, TOPICS.rawPrices, TOPICS.rawLeaderboard, TOPICS.rawMarketWs].map((t) => t.name);

interface Held {
  out: Extract<CleanOutput, { topic: 'trades' | 'prices' }>;
  id: string;
  source: ConsumedRecord;
}

/** One round's clean records, plus the input offsets they finish. */
class Round {
  readonly records = new Map<string, ProduceRecord[]>();
  readonly finishes: ConsumedRecord[] = [];
  count = 0;

  add(topic: string, record: ProduceRecord): void {
    const list = this.records.get(topic);
    if (list) list.push(record);
    else this.records.set(topic, [record]);
    this.count++;
  }
}

export async function runProcessors(options: ProcessorOptions, deps: ProcessorDeps): Promise<ProcessorResult> {
  return new ProcessorRunner(withDefaults(PROCESSOR_DEFAULTS, options), deps).run();
}

class ProcessorRunner {
  readonly #o: Required<ProcessorOptions>;
  readonly #deps: ProcessorDeps;
  readonly #log: Logger;
  readonly #lookup = new LookupTables();
  readonly #windows = new Map<CleanTopicKey, DedupWindow>();
  readonly #cleanCodecs = new Map<CleanTopicKey, TopicCodec<unknown>>();
  readonly #rawCodecs = new Map<string, TopicCodec<RawRecord>>();
  readonly #done = new DoneTracker();
  readonly #retry: RetryBuffer<Held>;
  readonly #result: ProcessorResult = { consumed: 0, emitted: {}, duplicates: 0, deadLettered: 0, unresolved: 0, filtered: 0 };
  #producer!: Producer;
  #deadLetters!: DeadLetterOutbox;
  #reference!: Consumer;
  #facts!: Consumer;
  #table!: ReferenceTable;

  constructor(options: Required<ProcessorOptions>, deps: ProcessorDeps) {
    this.#o = options;
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'process' });
    this.#retry = new RetryBuffer<Held>(options.retryCapacity, options.retryWaitMs);
  }

  async run(): Promise<ProcessorResult> {
    const { transport, serde, signal } = this.#deps;
    const all = [...REFERENCE_RAW, ...FACT_RAW].map((n) => Object.values(TOPICS).find((t) => t.name === n)!);
    const clean = CLEAN_TOPIC_KEYS.map((k) => TOPICS[k]);
    await transport.admin().createTopics([...all, ...clean, TOPICS.dlq].map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy })));
    this.#deadLetters = new DeadLetterOutbox(transport, 'process', this.#log);
    for (const def of all) this.#rawCodecs.set(def.name, await serde.codecFor<RawRecord>(def));
    for (const key of CLEAN_TOPIC_KEYS) {
      this.#cleanCodecs.set(key, await serde.codecFor(TOPICS[key]));
      this.#windows.set(key, new DedupWindow(this.#o.dedupWindow));
    }
    const rebuilt = await rebuildState({ transport, logger: this.#log, lookup: this.#lookup, windows: this.#windows, codecs: this.#cleanCodecs, signal });
    this.#log.info('processor state rebuilt from the clean topics', { records: rebuilt.records, millis: rebuilt.millis, tokens: this.#lookup.tokenCount, markets: this.#lookup.marketCount });
    this.#table = await ReferenceTable.open({ transport, logger: this.#log, lookup: this.#lookup, windows: this.#windows, codecs: this.#cleanCodecs }, this.#o.groupId, rebuilt.referenceEnds);

    this.#producer = transport.producer({ clientId: 'pma-process' });
    this.#reference = transport.consumer({ groupId: `${this.#o.groupId}.reference`, maxRecords: this.#o.pollRecords, clientId: 'pma-process' });
    this.#facts = transport.consumer({ groupId: `${this.#o.groupId}.facts`, maxRecords: this.#o.pollRecords, clientId: 'pma-process' });
    try {
      await this.#reference.subscribe([...REFERENCE_RAW]);
      await this.#facts.subscribe([...FACT_RAW]);
      await this.#loop();
    } finally {
      await this.#deadLetters.close().catch((err) => this.#log.warn('closing the dead-letter producer failed', { err }));
      await this.#reference.close().catch((err) => this.#log.warn('closing a consumer failed', { err }));
      await this.#facts.close().catch((err) => this.#log.warn('closing a consumer failed', { err }));
      await this.#table.close().catch((err) => this.#log.warn('closing the reference table failed', { err }));
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
      sources: [this.#table.consumer, this.#reference, this.#facts],
      waitMs: () => this.#waitMs(),
      handle: async (batches) => {
        const round = new Round();
        for (const batch of batches) {
          if (ReferenceTable.owns(batch.topic)) this.#released(await this.#table.absorb(batch), round);
          else await this.#take(batch, round);
        }
        for (const held of this.#retry.expired(Date.now())) this.#emitHeld(held, round, true);
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

  #waitMs(): number {
    const deadline = this.#retry.nextDeadline();
    const base = this.#deps.until === 'caught-up' ? 100 : 1_000;
    return deadline === undefined ? base : Math.max(10, Math.min(base, deadline - Date.now()));
  }

  async #caughtUp(): Promise<boolean> {
    const admin = this.#deps.transport.admin();
    // The groups first: once every raw reference record is committed, its clean output is in the
    // log, and the table must then have read it before held records give up waiting.
    return (
      (await groupCaughtUp(this.#reference, admin, `${this.#o.groupId}.reference`, REFERENCE_RAW)) &&
      (await groupCaughtUp(this.#facts, admin, `${this.#o.groupId}.facts`, FACT_RAW)) &&
      (await this.#table.caughtUp(admin))
    );
  }

  async #take(batch: RecordBatch, round: Round): Promise<void> {
    const codec = this.#rawCodecs.get(batch.topic)!;
    const normalise = NORMALISERS[batch.topic]!;
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
    round.add(TOPICS[out.topic].name, {
      key: Buffer.from(out.key),
      value: codec.encode(out.value),
      headers: { [DEDUP_HEADER]: id, [SOURCE_HEADER]: `${source.topic}/${source.partition}/${source.offset}` },
    });
    this.#result.emitted[out.topic] = (this.#result.emitted[out.topic] ?? 0) + 1;
  }

  /** Produces the round and its dead letters (durable before this resolves), then finishes and commits its inputs. */
  async #send(round: Round): Promise<void> {
    await this.#deadLetters.flush();
    if (round.count > 0) {
      await this.#producer.sendBatch([...round.records].map(([topic, records]) => ({ topic, records })));
    }
    for (const r of round.finishes) this.#done.finish(r.topic, r.partition, r.offset);
    await this.#commit();
  }

  async #commit(): Promise<void> {
    try {
      await this.#done.commit((topic) => (REFERENCE_RAW.includes(topic) ? this.#reference : this.#facts));
    } catch (err) {
      this.#log.warn('input offset commit failed; records will be read again and deduplicated', { err });
    }
  }
}

function rawInput(record: ConsumedRecord, value: RawRecord): RawInput {
  return { key: record.key?.toString('utf8') ?? '', value, timestamp: record.timestamp, headers: record.headers };
}
