/**
 * The Bronze sink: consumes the clean topics and lands them as Hive-partitioned Parquet, exactly
 * once without trusting committed offsets alone.
 *
 * - Where each partition resumes comes from the files on disk (recovery.ts), not from the
 *   consumer group: records below that point are skipped, so a replay from the beginning or a
 *   restart after SIGKILL adds nothing twice.
 * - Several sinks in one consumer group can share one Bronze directory (locks.ts): a sink writes
 *   a partition the group gives it only once it holds the partition's lock, which the previous
 *   owner lets go after publishing its last group (or loses by dying), and then resumes from
 *   the partition's files as they are at that moment. Before each publish it checks that it still
 *   holds the lock, so a sink paused past its lease writes nothing after its successor started.
 * - Rows are buffered per source partition and per `dt` (the UTC date of the record's event time)
 *   and flushed as one write group (write-group.ts) when the partition's buffer reaches its row or
 *   byte limit, when its time window ends, or when it has been idle; offsets are committed only
 *   after the group's files are renamed into place.
 * - Memory is bounded: each buffer by its limits, all of them together by `maxBufferedBytes`
 *   (the largest is flushed first), and finished groups waiting for the writer thread by
 *   `maxPendingGroups` (consuming waits for the disk).
 * - Small files are merged per `dt` directory (compact.ts): every `compactEveryMs` for the
 *   directories written since, and when a run ends; the first time, every directory.
 * - The main thread only consumes, checks each record and routes its Avro body to its partition
 *   and `dt`; the writer thread builds the Arrow columns from those bytes and encodes Parquet.
 *   Records written with an older schema are decoded with schema resolution and encoded with the
 *   current one. Records that cannot be read go to `pma.dlq`.
 */
import { rm } from 'node:fs/promises';
import { Registry } from 'prom-client';
import { readSchemaId, type Serde, type TopicCodec } from '../../registry/serde.ts';
import { DecodeError, SinkError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { consumeLoop, DeadLetterOutbox, groupCaughtUp, type Until, withDefaults, withSource } from '../../runtime/stage/index.ts';
import { CLEAN_TOPIC_KEYS, type CleanTopicKey, EVENT_TIME_FIELD } from '../../schemas/clean-records.ts';
import { loadSchema } from '../../schemas/index.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { parsePartitionKey, partitionKey } from '../../transport/partition-key.ts';
import type { Consumer, RecordBatch, Transport } from '../../transport/types.ts';
import { refuseAheadOfLog } from '../common/ahead-of-log.ts';
import { DEFAULT_LEASE_MS } from '../common/lock-file.ts';
import { sinkWriteError } from '../common/write-error.ts';
import type { PackedBodies } from './body-buffer.ts';
import { COMPACT_DEFAULTS, compactBronze } from './compact.ts';
import { compileInspector, type Inspector } from './inspect.ts';
import { bronzeRoot, utcDate } from './layout.ts';
import { BronzeLocks } from './locks.ts';
import { BronzeMetrics } from './metrics.ts';
import { ParquetWriterPool } from './parquet/pool.ts';
import { PartitionBuffer } from './partition-buffer.ts';
import { liveDtDirs, recoverBronze } from './recovery.ts';
import { publish, writeTemporaries } from './write-group.ts';

export interface BronzeSinkOptions {
  dataDir: string;
  /** Clean topics to sink (keys of schemas/topics.ts); default all seven. */
  topics?: readonly CleanTopicKey[];
  groupId?: string;
  /** Flush a partition at this many rows. Default 250,000. */
  rollRows?: number;
  /** Flush a partition once it took in this many bytes of Avro. Default 32 MiB. */
  rollBytes?: number;
  /** Flush a partition this long after its first buffered record. Default 60 s. */
  rollMs?: number;
  /** Flush a partition that received nothing for this long. Default 10 s. */
  idleMs?: number;
  /** Bound on the bytes buffered over all partitions. Default 96 MiB. */
  maxBufferedBytes?: number;
  /** Finished groups allowed to wait for the writer thread before consuming pauses. Default 2. */
  maxPendingGroups?: number;
  /** Records per poll. Default 5,000. */
  pollRecords?: number;
  /** Compact the dt directories written since the last compaction this often, and when the run ends. Default 5 min; 0 turns compaction off. */
  compactEveryMs?: number;
  /** Compaction's target file size. Default 64 MiB. */
  compactTargetBytes?: number;
  /** A sink on another host takes over this sink's partitions after this long without a lease refresh. Default 30 s. */
  lockLeaseMs?: number;
}

export interface BronzeSinkDeps {
  transport: Transport;
  serde: Serde;
  logger: Logger;
  signal: AbortSignal;
  /** 'caught-up': stop once every assigned partition is read to its end and written. */
  until: Until;
  /** Called after each write group is published and committed (tests, progress). */
  onPublished?: (info: PublishedGroup) => void;
  /** Where the sink's Prometheus metrics go (a private registry if absent). */
  metrics?: Registry;
}

export interface PublishedGroup {
  type: CleanTopicKey;
  topic: string;
  partition: number;
  first: number;
  last: number;
  rows: number;
  files: number;
  bytes: number;
}

export interface BronzeSinkResult {
  rows: number;
  files: number;
  bytes: number;
  deadLettered: number;
  /** Records below the resume point (already in Bronze). */
  skipped: number;
  /** What this run's compactions did (files: before and after, in the dt directories compacted). */
  compaction: { dirs: number; filesBefore: number; filesAfter: number; seconds: number };
}

export const BRONZE_DEFAULTS = {
  groupId: 'pma-sink-bronze',
  rollRows: 250_000,
  rollBytes: 32 * 1024 * 1024,
  rollMs: 60_000,
  idleMs: 10_000,
  maxBufferedBytes: 96 * 1024 * 1024,
  maxPendingGroups: 2,
  pollRecords: 5_000,
  compactEveryMs: 300_000,
  compactTargetBytes: COMPACT_DEFAULTS.targetBytes,
  lockLeaseMs: DEFAULT_LEASE_MS,
} as const;

/** How often a sink tries again for partitions whose locks other sinks still hold. */
const CLAIM_RETRY_MS = 250;

interface TopicState {
  type: CleanTopicKey;
  topic: string;
  codec: TopicCodec<Record<string, unknown>>;
  /** Name of the .avsc of the topic's current schema. */
  schemaName: string;
  inspect: Inspector;
}

export async function runBronzeSink(options: BronzeSinkOptions, deps: BronzeSinkDeps): Promise<BronzeSinkResult> {
  const sink = new BronzeSink(withDefaults({ ...BRONZE_DEFAULTS, topics: CLEAN_TOPIC_KEYS }, options), deps);
  try {
    return await sink.run();
  } catch (err) {
    // A file-system error no step wrapped still reaches the user with a code, the directory and, if so, the full disk.
    throw sinkWriteError(err, 'Bronze sink failed writing', bronzeRoot(options.dataDir));
  }
}

class BronzeSink {
  readonly #o: Required<BronzeSinkOptions>;
  readonly #deps: BronzeSinkDeps;
  readonly #log: Logger;
  readonly #metrics: BronzeMetrics;
  readonly #root: string;
  readonly #topics = new Map<string, TopicState>();
  readonly #buffers = new Map<string, PartitionBuffer>();
  /** Next offset to take per partition; below it records are already in Bronze. */
  readonly #next = new Map<string, number>();
  readonly #positioned = new Set<string>();
  /** Partitions whose lock another sink took over while this one wrote them: let go at the next turn. */
  readonly #fenced = new Set<string>();
  #nextClaimAt = 0;
  /** Per partition, the publish step of its latest group (groups publish in offset order). */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #pending = new Set<Promise<void>>();
  readonly #knownDirs = new Set<string>();
  readonly #result: BronzeSinkResult = { rows: 0, files: 0, bytes: 0, deadLettered: 0, skipped: 0, compaction: { dirs: 0, filesBefore: 0, filesAfter: 0, seconds: 0 } };
  /** `<type>/<dt>` written since the last compaction. */
  readonly #touched = new Set<string>();
  #lastCompaction = Date.now();
  #compactAll = true;
  #bufferedBytes = 0;
  #failure: Error | undefined;
  #consumer!: Consumer;
  #deadLetters!: DeadLetterOutbox;
  #pool!: ParquetWriterPool;
  #locks!: BronzeLocks;

  constructor(options: Required<BronzeSinkOptions>, deps: BronzeSinkDeps) {
    this.#o = options;
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'bronze' });
    this.#metrics = new BronzeMetrics(deps.metrics ?? new Registry());
    this.#root = bronzeRoot(options.dataDir);
  }

  async run(): Promise<BronzeSinkResult> {
    try {
      return await this.#run();
    } catch (err) {
      this.#metrics.stage.failed('fatal');
      throw err;
    }
  }

  async #run(): Promise<BronzeSinkResult> {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(this.#root, { recursive: true });
    this.#locks = await BronzeLocks.open(this.#root, this.#log, this.#o.lockLeaseMs);
    try {
      await this.#settleGenerations();
      this.#log.info('bronze sink starting', { root: this.#root });
      await this.#deps.transport.admin().createTopics([...this.#o.topics.map((k) => TOPICS[k]), TOPICS.dlq].map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy })));
      for (const type of this.#o.topics) await this.#addTopic(type);
      this.#pool = new ParquetWriterPool();
      this.#deadLetters = new DeadLetterOutbox(this.#deps.transport, 'bronze', this.#log, this.#metrics.stage);
      this.#consumer = this.#deps.transport.consumer({ groupId: this.#o.groupId, maxRecords: this.#o.pollRecords, clientId: 'pma-sink-bronze' });
      const unwatch = this.#metrics.stage.watchLag(this.#deps.transport.admin(), this.#o.groupId, [...this.#topics.keys()], this.#log);
      try {
        await this.#consumer.subscribe([...this.#topics.keys()]);
        await this.#followAssignment();
        await this.#loop();
        await this.#flushAll();
        await this.#drain();
        if (!this.#deps.signal.aborted) await this.#compact();
      } finally {
        unwatch();
        await this.#consumer.close().catch((err) => this.#log.warn('closing the consumer failed', { err }));
        await this.#deadLetters.close().catch((err) => this.#log.warn('closing the dead-letter producer failed', { err }));
        await this.#pool.close();
      }
    } finally {
      await this.#locks.close();
    }
    if (this.#failure) throw this.#failure;
    this.#result.deadLettered = this.#deadLetters.sent;
    this.#log.info('bronze sink stopped', { ...this.#result });
    return this.#result;
  }

  async #addTopic(type: CleanTopicKey): Promise<void> {
    const def = TOPICS[type];
    const codec = await this.#deps.serde.codecFor<Record<string, unknown>>(def);
    this.#topics.set(def.name, {
      type,
      topic: def.name,
      codec,
      schemaName: def.schema,
      inspect: compileInspector(loadSchema(def.schema), EVENT_TIME_FIELD[type]),
    });
  }

  async #loop(): Promise<void> {
    await consumeLoop({
      signal: this.#deps.signal,
      until: this.#deps.until,
      sources: [this.#consumer],
      waitMs: () => this.#pollWait(),
      handle: async (batches) => {
        await this.#followAssignment();
        for (const batch of batches) await this.#take(batch);
        await this.#rollDue(Date.now());
        this.#metrics.buffered(this.#bufferedBytes);
        if (this.#o.compactEveryMs > 0 && Date.now() - this.#lastCompaction >= this.#o.compactEveryMs) await this.#compact();
      },
      caughtUp: () => groupCaughtUp(this.#consumer, this.#deps.transport.admin(), this.#o.groupId, [...this.#topics.keys()]),
      failure: () => this.#failure,
      metrics: this.#metrics.stage,
    });
  }

  /** Settles what a killed compaction left, unless another sink is compacting (it settles when it starts). */
  async #settleGenerations(): Promise<void> {
    const lock = await this.#locks.tryCompaction();
    if (!lock) return;
    try {
      await liveDtDirs(this.#root, this.#log);
    } finally {
      await lock.release();
    }
  }

  /**
   * Lets go of partitions rebalanced away or taken over (their new owner writes them) and takes
   * up the partitions given to this sink whose locks it can get, each from where its files end.
   */
  async #followAssignment(): Promise<void> {
    const owned = new Set(this.#consumer.assignment().map((tp) => partitionKey(tp.topic, tp.partition)));
    for (const key of [...this.#positioned]) {
      if (owned.has(key) && !this.#fenced.has(key)) continue;
      await this.#letGo(key);
    }
    const wanted = [...owned].filter((key) => !this.#positioned.has(key));
    if (wanted.length === 0 || Date.now() < this.#nextClaimAt) return;
    this.#nextClaimAt = Date.now() + CLAIM_RETRY_MS;
    const got = await this.#locks.claim(wanted);
    if (got.length === 0) return;
    const report = await recoverBronze(this.#root, this.#log, { partitions: new Set(got), settle: false, withDt: this.#locks.withDt });
    for (const key of got) {
      const { topic, partition } = parsePartitionKey(key);
      const resume = await this.#resumePoint(topic, partition, report.resume.get(key));
      this.#consumer.seek(topic, partition, resume);
      this.#next.set(key, resume);
      this.#positioned.add(key);
    }
    this.#log.info('bronze sink took up partitions', { partitions: got.length, files: report.files });
  }

  /** Drops a partition's buffer, waits for its groups in flight, then frees its lock for the next owner. */
  async #letGo(key: string): Promise<void> {
    this.#positioned.delete(key);
    this.#fenced.delete(key);
    this.#next.delete(key);
    const buf = this.#buffers.get(key);
    if (buf) {
      this.#bufferedBytes -= buf.bytes;
      this.#buffers.delete(key);
    }
    await this.#chains.get(key);
    this.#chains.delete(key);
    await this.#locks.release(key);
  }

  async #resumePoint(topic: string, partition: number, fromFiles: number | undefined): Promise<number> {
    const bounds = (await this.#deps.transport.admin().offsets(topic)).find((o) => o.partition === partition);
    const low = bounds?.low ?? 0;
    if (fromFiles === undefined) return low;
    if (fromFiles > (bounds?.high ?? 0)) {
      throw refuseAheadOfLog({ layer: 'Bronze', path: this.#root, transport: this.#deps.transport, topic, partition, next: fromFiles, logEnd: bounds?.high ?? 0 });
    }
    if (fromFiles < low) {
      this.#log.warn('records were deleted from the log before Bronze wrote them', { topic, partition, from: fromFiles, to: low - 1 });
      return low;
    }
    return fromFiles;
  }

  async #take(batch: RecordBatch): Promise<void> {
    const state = this.#topics.get(batch.topic);
    if (!state || batch.records.length === 0) return;
    const key = partitionKey(batch.topic, batch.partition);
    // Not (yet) this sink's to write: when it is, the consumer is sought to where its files end.
    if (!this.#positioned.has(key) || this.#fenced.has(key)) return;
    const expected = this.#next.get(key)!;
    // `from`: the consumer read on from at or before the files' end over offsets no record fills
    // (Kafka's transaction markers, aborted records), so nothing lies between them and this batch.
    const continues = batch.from !== undefined && batch.from <= expected;
    if (batch.records[0]!.offset > expected && !continues) {
      // The consumer is ahead of the files (e.g. it joined before we positioned it): go back.
      this.#consumer.seek(batch.topic, batch.partition, expected);
      return;
    }
    const now = Date.now();
    let buf = this.#buffers.get(key);
    let next = expected;
    for (const record of batch.records) {
      if (record.offset < next) {
        this.#result.skipped++;
        continue;
      }
      next = record.offset + 1;
      buf ??= this.#newBuffer(state, batch.partition, now);
      buf.cover(record.offset, now);
      if (record.value === null) continue;
      try {
        const size =
          readSchemaId(record.value) === state.codec.schemaId
            ? this.#appendCurrent(state, buf, record.value, 5, record.value.length, record.offset)
            : await this.#appendEvolved(state, buf, record.value, batch.partition, record.offset);
        buf.rows++;
        buf.bytes += size;
        this.#bufferedBytes += size;
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        this.#deadLetters.add(record, err.reason, withSource(err, record));
      }
      if (buf.rows >= this.#o.rollRows || buf.bytes >= this.#o.rollBytes) {
        // Dead letters first: once the group is published its offsets are never read again.
        await this.#deadLetters.flush();
        this.#next.set(key, next);
        await this.#flush(key);
        buf = undefined;
      }
    }
    this.#next.set(key, next);
    await this.#deadLetters.flush();
    while (this.#bufferedBytes > this.#o.maxBufferedBytes) await this.#flush(this.#largestBuffer()!);
  }

  /** Buffers a body written with the topic's current schema as it is (checked in one pass that also reads its event time). */
  #appendCurrent(state: TopicState, buf: PartitionBuffer, body: Buffer, start: number, end: number, offset: number): number {
    const eventMs = state.inspect(body, start, end);
    const dt = this.#dt(eventMs);
    buf.bodiesFor(dt).append(body, start, end, offset);
    if (buf.newestEventMs === undefined || eventMs > buf.newestEventMs) buf.newestEventMs = eventMs;
    return end - start;
  }

  /** A record written with another schema: decoded with schema resolution, encoded again with the current one. */
  async #appendEvolved(state: TopicState, buf: PartitionBuffer, value: Buffer, partition: number, offset: number): Promise<number> {
    const record = await state.codec.decode(value, { partition, offset });
    const body = state.codec.type.toBuffer(record);
    return this.#appendCurrent(state, buf, body, 0, body.length, offset);
  }

  #dt(ms: number): string {
    if (ms < -62_135_596_800_000 || ms > 253_402_300_799_999) {
      throw new DecodeError('undecodable-body', `event time ${ms} is not a date between years 1 and 9999`);
    }
    return utcDate(ms);
  }

  #newBuffer(state: TopicState, partition: number, now: number): PartitionBuffer {
    const buf = new PartitionBuffer(state.topic, partition, now);
    this.#buffers.set(partitionKey(state.topic, partition), buf);
    return buf;
  }

  #largestBuffer(): string | undefined {
    let best: string | undefined;
    let size = -1;
    for (const [key, buf] of this.#buffers) {
      if (buf.bytes > size) {
        size = buf.bytes;
        best = key;
      }
    }
    return best;
  }

  async #rollDue(now: number): Promise<void> {
    for (const [key, buf] of [...this.#buffers]) {
      if (now - buf.openedAt >= this.#o.rollMs || now - buf.lastAt >= this.#o.idleMs) await this.#flush(key);
    }
  }

  #pollWait(): number {
    // Caught-up runs end on an empty poll: keep that last wait short.
    let wait = this.#deps.until === 'caught-up' ? 100 : 1_000;
    const now = Date.now();
    for (const buf of this.#buffers.values()) {
      wait = Math.min(wait, buf.openedAt + this.#o.rollMs - now, buf.lastAt + this.#o.idleMs - now);
    }
    return Math.max(10, wait);
  }

  async #flushAll(): Promise<void> {
    for (const key of [...this.#buffers.keys()]) await this.#flush(key);
  }

  /**
   * Turns a partition's buffer into a write group: temporaries now (on the writer thread), then,
   * after the previous group of the same partition, rename and commit.
   */
  async #flush(key: string): Promise<void> {
    const buf = this.#buffers.get(key);
    if (!buf) return;
    this.#buffers.delete(key);
    this.#bufferedBytes -= buf.bytes;
    if (buf.empty) return;
    while (this.#pending.size >= this.#o.maxPendingGroups) {
      await Promise.race(this.#pending);
      this.#throwIfFailed();
    }
    const started = performance.now();
    const state = this.#topics.get(buf.topic)!;
    const range = { topic: buf.topic, partition: buf.partition, first: buf.first, last: buf.last };
    const parts = [...buf.byDt].filter(([, b]) => b.rows > 0).map(([dt, b]) => [dt, b.take()] as [string, PackedBodies]);
    const fileRows = parts.map(([, b]) => b.rows);
    const newestEventMs = buf.newestEventMs;
    for (const [dt] of parts) this.#touched.add(`${state.type}/${dt}`);
    const prepared = writeTemporaries(this.#root, state.type, state.schemaName, range, parts, this.#pool, this.#knownDirs);
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const done = (async () => {
      const files = await prepared.written;
      await previous;
      if (this.#fenced.has(key) || !(await this.#locks.holds(key))) {
        this.#fenced.add(key);
        this.#metrics.stage.failed('fenced');
        await Promise.all(files.map((f) => rm(f.temp, { force: true })));
        this.#log.warn('another Bronze sink took this partition over; its group is dropped unpublished', { ...range });
        return;
      }
      const published = files.length > 0 ? await publish(this.#root, files, this.#locks.withDt, this.#knownDirs) : { files: 0, bytes: 0 };
      await this.#commit(range.topic, range.partition, range.last + 1);
      this.#result.rows += prepared.rows;
      this.#result.files += published.files;
      this.#result.bytes += published.bytes;
      this.#metrics.published({ topic: range.topic, rows: prepared.rows, fileRows, bytes: published.bytes, seconds: (performance.now() - started) / 1000, newestEventMs });
      this.#deps.onPublished?.({ type: state.type, ...range, rows: prepared.rows, ...published });
      this.#log.debug('bronze group published', { ...range, rows: prepared.rows, files: published.files });
    })();
    const tracked = done.catch((err) => {
      this.#failure ??= err instanceof Error ? err : new SinkError(String(err));
    });
    this.#chains.set(key, tracked);
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  async #commit(topic: string, partition: number, offset: number): Promise<void> {
    try {
      await this.#consumer.commit([{ topic, partition, offset }]);
    } catch (err) {
      // The files are what counts; a commit refused after a rebalance only costs the new owner a re-read.
      this.#metrics.stage.failed('offset-commit');
      this.#log.warn('offset commit after publishing failed; the files already record the progress', { topic, partition, offset, err });
    }
  }

  /**
   * Merges the small files of the dt directories written since the last time, unless another sink
   * is compacting (they are left for the next round). Consuming waits meanwhile; compaction holds
   * one row group at a time, and each dt's lock only while it swaps that dt's generation.
   */
  async #compact(): Promise<void> {
    this.#lastCompaction = Date.now();
    if (this.#o.compactEveryMs <= 0 || (!this.#compactAll && this.#touched.size === 0)) return;
    const lock = await this.#locks.tryCompaction();
    if (!lock) return;
    try {
      await this.#compactHolding();
    } finally {
      await lock.release();
    }
  }

  async #compactHolding(): Promise<void> {
    // The first time, every dt: a run killed or stopped before its compaction left small files behind.
    const only = this.#compactAll ? undefined : new Set(this.#touched);
    this.#touched.clear();
    this.#compactAll = false;
    const started = performance.now();
    const done = await compactBronze(this.#root, this.#pool, this.#log, { only, targetBytes: this.#o.compactTargetBytes, withDt: this.#locks.withDt });
    const total = this.#result.compaction;
    total.dirs += done.dirs;
    total.filesBefore += done.filesBefore;
    total.filesAfter += done.filesAfter;
    total.seconds += (performance.now() - started) / 1000;
    this.#lastCompaction = Date.now();
  }

  async #drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure;
  }
}
