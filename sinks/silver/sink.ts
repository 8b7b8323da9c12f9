/**
 * The Silver sink: consumes the clean topics, stages each micro-batch with DuckDB's appender and
 * folds it into the Silver tables in one transaction together with the consumed offsets. On start
 * it resumes from the offsets stored in the Silver file, so a crash at any moment neither loses
 * nor double-counts a record. While it runs it serves read-only queries and publishes a snapshot
 * file for other readers.
 */
import { existsSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { DecodeError, describeError, SinkError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import type { ProgressTask } from '../../runtime/progress.ts';
import type { Serde, TopicCodec } from '../../registry/serde.ts';
import type { CleanRecordByTopic } from '../../schemas/clean-records.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { Consumer, ConsumedRecord, ProduceRecord, Producer, Transport } from '../../transport/types.ts';
import { type QueryEndpoint, serveQueries } from './endpoint.ts';
import { PartitionPositions } from './positions.ts';
import { type PublishedSnapshot, publishSnapshot } from './snapshot.ts';
import { SILVER_TOPIC_KEYS, type SilverTopicKey } from './staging.ts';
import { type CommitResult, openSilverDatabase, type PartitionOffset, readStoredOffsets, SilverWriter } from './writer.ts';

export interface SilverSinkOptions {
  /** The Silver DuckDB file. */
  path: string;
  /** The snapshot file; null publishes none. */
  snapshotPath: string | null;
  /** Minimum time between two snapshots (stretched to ten times the last copy's duration for big files). */
  snapshotIntervalMs: number;
  /** Consumer group; its committed offsets are only advisory (for lag), Silver's own are the truth. */
  groupId: string;
  /** A micro-batch is committed once it holds this many records… */
  batchRows: number;
  /** …or this long after its first record, or as soon as the log has nothing more to give. */
  batchMaxMs: number;
  /**
   * Where to start. `stored` (default): where Silver stopped, and the log's beginning in partitions
   * it never read. `beginning`: every partition from its first record (a rebuild). `timestamp`:
   * every partition from its first record at or after the time (ms), re-applying what follows.
   */
  start?: { from: 'stored' } | { from: 'beginning' } | { from: 'timestamp'; timestamp: number };
  /** Stop once every partition is read up to the end it had when the sink started. */
  untilCaughtUp?: boolean;
  /** When this aborts, the sink reads up to the end the log has at that moment, then stops. */
  drain?: AbortSignal;
  /** Serve `pma query` from this process (default true). */
  serveQueries?: boolean;
  /** DuckDB memory_limit, e.g. "1GB". */
  memoryLimit?: string;
  threads?: number;
  /** Clean topics to read; default all that Silver holds. */
  topics?: readonly SilverTopicKey[];
}

export interface SilverCommitInfo {
  records: number;
  totalRecords: number;
  millis: number;
  offsets: PartitionOffset[];
}

export interface SilverSinkDeps {
  transport: Transport;
  serde: Serde;
  logger: Logger;
  signal: AbortSignal;
  progress?: ProgressTask;
  onCommit?: (info: SilverCommitInfo) => void;
}

export interface SilverSinkResult {
  path: string;
  records: number;
  perTopic: Partial<Record<SilverTopicKey, number>>;
  deadLettered: number;
  commits: number;
  offsets: PartitionOffset[];
  snapshot: PublishedSnapshot | undefined;
  /** Why it stopped. */
  reason: 'caught-up' | 'stopped';
}

/**
 * Defaults for callers (`pma sink`, `pma run`): a snapshot each minute; micro-batches of up to
 * 250,000 records or 1 s (a batch past DuckDB's row group size is written straight to the file
 * instead of through the WAL); DuckDB's buffer pool capped at 512 MB so the sink's memory stays flat
 * (peak RSS about 1.2 GB over a 5,000,000-trade rebuild, pma bench sink --layer silver).
 */
export const SILVER_DEFAULTS = {
  snapshotIntervalMs: 60_000,
  groupId: 'pma-sink-silver',
  batchRows: 250_000,
  batchMaxMs: 1_000,
  memoryLimit: '512MB',
} as const satisfies Partial<SilverSinkOptions>;

const TOPIC_BY_NAME = new Map<string, SilverTopicKey>(SILVER_TOPIC_KEYS.map((k) => [TOPICS[k].name, k]));

export async function runSilverSink(options: SilverSinkOptions, deps: SilverSinkDeps): Promise<SilverSinkResult> {
  const { transport, serde, signal } = deps;
  const logger = deps.logger.child({ component: 'silver-sink' });
  const keys = options.topics ?? SILVER_TOPIC_KEYS;
  const topicNames = keys.map((k) => TOPICS[k].name);
  const admin = transport.admin();
  await admin.createTopics([...keys.map((k) => TOPICS[k]), TOPICS.dlq].map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy })));
  const codecs = new Map<SilverTopicKey, TopicCodec<unknown>>();
  for (const k of keys) codecs.set(k, await serde.codecFor(TOPICS[k]));

  const instance = await openSilverDatabase(options.path, { memoryLimit: options.memoryLimit, threads: options.threads });
  let writer: SilverWriter | undefined;
  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  let endpoint: QueryEndpoint | undefined;
  const state = {
    records: 0,
    perTopic: {} as Partial<Record<SilverTopicKey, number>>,
    deadLettered: 0,
    commits: 0,
    snapshot: undefined as PublishedSnapshot | undefined,
    committedAt: 0,
  };
  try {
    writer = await SilverWriter.open(instance);
    const positions = await startingPositions(options, writer, topicNames, transport);
    consumer = transport.consumer({ groupId: options.groupId, fromBeginning: true, maxRecords: Math.min(options.batchRows, 20_000), clientId: 'pma-silver-sink' });
    await consumer.subscribe(topicNames);
    for (const o of positions.all()) {
      try {
        consumer.seek(o.topic, o.partition, o.offset);
      } catch (err) {
        logger.debug('seek before assignment refused; the first batch will correct the position', { topic: o.topic, partition: o.partition, err });
      }
    }
    if (options.serveQueries !== false) {
      endpoint = await serveQueries(instance, options.path, () => ({
        pid: process.pid,
        path: options.path,
        offsets: positions.all(),
        records: state.records,
        commits: state.commits,
        committedAt: state.committedAt,
        snapshot: state.snapshot ?? null,
      }), logger);
    }
    if (options.snapshotPath && !existsSync(options.snapshotPath)) {
      state.snapshot = await publishSnapshot(writer.conn, options.path, options.snapshotPath);
    }

    const w = writer;
    const c = consumer;
    let dirty = new Map<string, PartitionOffset>();
    let deadLetters: ProduceRecord[] = [];
    let firstStagedAt = 0;
    let lastSnapshotAt = Date.now();
    let changedSinceSnapshot = false;
    let targets: PartitionOffset[] | undefined = options.untilCaughtUp ? await logEnds(transport, topicNames) : undefined;

    // A commit merges on DuckDB's threads while the loop stages the next batch; `settled` is the
    // bookkeeping of the commit in flight, and the first failure stops the loop.
    let settled: Promise<void> = Promise.resolve();
    let failure: unknown;
    const bookkeep = async (result: CommitResult, offsets: PartitionOffset[]): Promise<void> => {
      let n = 0;
      for (const [k, v] of Object.entries(result.records) as Array<[SilverTopicKey, number]>) {
        state.perTopic[k] = (state.perTopic[k] ?? 0) + v;
        n += v;
      }
      state.records += n;
      state.commits += 1;
      state.committedAt = Date.now();
      changedSinceSnapshot = true;
      deps.progress?.add('records', n);
      deps.onCommit?.({ records: n, totalRecords: state.records, millis: result.millis, offsets });
      try {
        await c.commit(offsets);
      } catch (err) {
        logger.debug('could not mirror Silver offsets to the consumer group (lag figures may lag)', { err });
      }
    };
    const commit = async (): Promise<void> => {
      if (failure) throw failure;
      if (dirty.size === 0) return;
      if (deadLetters.length > 0) {
        producer ??= transport.producer({ clientId: 'pma-silver-sink' });
        await producer.send(TOPICS.dlq.name, deadLetters);
        state.deadLettered += deadLetters.length;
        deadLetters = [];
      }
      const offsets = [...dirty.values()];
      dirty = new Map();
      firstStagedAt = 0;
      const { done } = await w.startCommit(offsets);
      await settled;
      settled = done.then((result) => bookkeep(result, offsets));
      settled.catch((err) => {
        failure ??= err;
      });
    };
    const snapshotIfDue = async (force: boolean): Promise<void> => {
      if (!options.snapshotPath || !changedSinceSnapshot) return;
      // A big file takes a while to copy: at least ten times that between two copies, so publishing stays under a tenth of the time.
      const gap = Math.max(options.snapshotIntervalMs, 10 * (state.snapshot?.millis ?? 0));
      if (!force && Date.now() - lastSnapshotAt < gap) return;
      await settled;
      const published = await publishSnapshot(w.conn, options.path, options.snapshotPath);
      if (!published) return;
      state.snapshot = published;
      lastSnapshotAt = Date.now();
      changedSinceSnapshot = false;
      logger.debug('Silver snapshot published', { path: published.path, bytes: published.bytes, ms: Math.round(published.millis) });
    };

    let reason: SilverSinkResult['reason'] = 'stopped';
    while (!signal.aborted) {
      if (!targets && options.drain?.aborted) targets = await logEnds(transport, topicNames);
      if (targets && caughtUp(targets, positions)) {
        reason = 'caught-up';
        break;
      }
      const waitMs = firstStagedAt ? Math.max(1, Math.min(200, options.batchMaxMs - (Date.now() - firstStagedAt))) : 500;
      let batches: Awaited<ReturnType<Consumer['poll']>>;
      let behind = false;
      try {
        batches = await c.poll({ waitMs, signal });
      } catch (err) {
        if (signal.aborted) break;
        throw err;
      }
      for (const batch of batches) {
        const topicKey = TOPIC_BY_NAME.get(batch.topic);
        if (!topicKey) continue;
        const admission = positions.admit(batch);
        if (admission.kind === 'seek') {
          logger.info('resuming from the offset stored in Silver', { topic: batch.topic, partition: batch.partition, offset: admission.offset });
          c.seek(batch.topic, batch.partition, admission.offset);
          continue;
        }
        if (admission.skippedTo !== undefined) {
          logger.warn('records between the stored offset and the log start are gone (retention); continuing', {
            topic: batch.topic,
            partition: batch.partition,
            offset: positions.next(batch.topic, batch.partition),
            resumesAt: admission.skippedTo,
          });
        }
        const codec = codecs.get(topicKey)!;
        // The hot path stays synchronous: awaiting only when a writer schema or an appender must be fetched.
        for (const r of admission.records) {
          if (r.value !== null) {
            let value = decode(codec, r);
            if (value instanceof Promise) value = await value;
            if (value instanceof DecodeError) deadLetters.push(deadLetter(r, value));
            else {
              const staging = w.stage(topicKey, value as CleanRecordByTopic[typeof topicKey]);
              if (staging) await staging;
            }
          }
          if (!firstStagedAt) firstStagedAt = Date.now();
        }
        const last = admission.records[admission.records.length - 1];
        if (last) {
          positions.advance(batch.topic, batch.partition, last.offset + 1);
          dirty.set(`${batch.topic}\u0000${batch.partition}`, { topic: batch.topic, partition: batch.partition, offset: last.offset + 1 });
          if (last.offset + 1 < batch.highWatermark) behind = true;
        }
      }
      // Far behind the log, batches fill up to their size; near its end, they go out within batchMaxMs.
      const due =
        w.staged >= options.batchRows ||
        batches.length === 0 ||
        (!behind && firstStagedAt > 0 && Date.now() - firstStagedAt >= options.batchMaxMs);
      if (due) {
        await commit();
        await snapshotIfDue(false);
      }
      // Caught-up checks read committed positions: wait for the commit in flight once idle.
      if (batches.length === 0) await settled;
      // A poll served from the consumer's buffer resolves at once, so the loop would stage a whole
      // batch without giving the event loop a turn, and the merge in flight (its statements
      // finish on DuckDB's threads, their callbacks wait for a turn) would stall until it does.
      else await yieldToEventLoop();
      if (failure) throw failure;
    }
    await commit();
    await settled;
    if (failure) throw failure;
    await snapshotIfDue(true);
    return {
      path: options.path,
      records: state.records,
      perTopic: state.perTopic,
      deadLettered: state.deadLettered,
      commits: state.commits,
      offsets: positions.all(),
      snapshot: state.snapshot,
      reason,
    };
  } finally {
    await endpoint?.close();
    await consumer?.close().catch((err) => logger.warn('consumer close failed', { err }));
    await producer?.close().catch((err) => logger.warn('producer close failed', { err }));
    writer?.close();
    instance.closeSync();
  }
}

async function startingPositions(options: SilverSinkOptions, writer: SilverWriter, topics: string[], transport: Transport): Promise<PartitionPositions> {
  const start = options.start ?? { from: 'stored' };
  if (start.from === 'stored') return new PartitionPositions(await readStoredOffsets(writer.conn));
  const admin = transport.admin();
  const offsets: PartitionOffset[] = [];
  for (const topic of topics) {
    if (start.from === 'beginning') {
      for (const p of await admin.offsets(topic)) offsets.push({ topic, partition: p.partition, offset: p.low });
    } else {
      for (const p of await admin.offsetsForTimestamp(topic, start.timestamp)) offsets.push({ topic, partition: p.partition, offset: p.offset });
    }
  }
  return new PartitionPositions(offsets);
}

/** The end of every partition of the topics right now. */
async function logEnds(transport: Transport, topics: string[]): Promise<PartitionOffset[]> {
  const admin = transport.admin();
  const out: PartitionOffset[] = [];
  for (const topic of topics) {
    for (const p of await admin.offsets(topic)) if (p.high > p.low) out.push({ topic, partition: p.partition, offset: p.high });
  }
  return out;
}

function caughtUp(targets: PartitionOffset[], positions: PartitionPositions): boolean {
  return targets.every((t) => (positions.next(t.topic, t.partition) ?? -1) >= t.offset);
}

/** The record, a DecodeError for a record that cannot be read, or a promise of either when the writer schema must be fetched first. */
function decode(codec: TopicCodec<unknown>, r: ConsumedRecord): unknown {
  const where = { partition: r.partition, offset: r.offset };
  try {
    return codec.decodeSync(r.value!, where);
  } catch (err) {
    if (err instanceof DecodeError) return err;
    if ((err as { context?: { cached?: boolean } }).context?.cached === false) {
      return codec.decode(r.value!, where).catch((again: unknown) => {
        if (again instanceof DecodeError) return again;
        throw again;
      });
    }
    throw err instanceof SinkError ? err : new SinkError(`cannot decode ${r.topic}: ${describeError(err)}`, { topic: r.topic, partition: r.partition, offset: r.offset }, { cause: err });
  }
}

function deadLetter(r: ConsumedRecord, err: DecodeError): ProduceRecord {
  return {
    key: r.key,
    value: r.value,
    headers: {
      ...r.headers,
      'pma-dlq-reason': err.reason,
      'pma-dlq-error': describeError(err).slice(0, 4_000),
      'pma-dlq-source-topic': r.topic,
      'pma-dlq-source-partition': String(r.partition),
      'pma-dlq-source-offset': String(r.offset),
      'pma-dlq-stage': 'silver-sink',
    },
  };
}
