/**
 * The Silver sink: consumes the clean topics, stages each micro-batch as columns (built off the
 * main thread from the records' Avro bodies) and folds it into the Silver tables in one transaction together with the consumed offsets. On start
 * it resumes from the offsets stored in the Silver file, so a crash at any moment neither loses
 * nor double-counts a record. While it runs it serves read-only queries and publishes a snapshot
 * file for other readers.
 */
import { existsSync } from 'node:fs';
import { Registry } from 'prom-client';
import { HEADER_BYTES, readSchemaId, type Serde, type TopicCodec } from '../../registry/serde.ts';
import { DecodeError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import type { ProgressTask } from '../../runtime/progress.ts';
import { consumeLoop, DeadLetterOutbox, decodeRecord, LogEnds, type StopReason, type Until, withDefaults, withSource } from '../../runtime/stage/index.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { partitionKey } from '../../transport/partition-key.ts';
import type { Consumer, Transport } from '../../transport/types.ts';
import { refuseAheadOfLog } from '../common/ahead-of-log.ts';
import { sinkWriteError } from '../common/write-error.ts';
import { type QueryEndpoint, serveQueries } from './endpoint.ts';
import { SilverMetrics } from './metrics.ts';
import { openAsWriter, releaseWriterClaim } from './open-writer.ts';
import { PartitionPositions } from './positions.ts';
import { type PublishedSnapshot, SnapshotPublisher } from './snapshot.ts';
import { SILVER_TOPIC_KEYS, type SilverTopicKey } from './staging.ts';
import { type CommitResult, type PartitionOffset, readStoredOffsets, SilverWriter } from './writer.ts';

export interface SilverSinkOptions {
  /** The Silver DuckDB file. */
  path: string;
  /** The snapshot file; null publishes none. */
  snapshotPath: string | null;
  /** Minimum time between two snapshots (stretched to ten times the last copy's duration for big files). Default 60 s. */
  snapshotIntervalMs?: number;
  /** Consumer group; its committed offsets are only advisory (for lag), Silver's own are the truth. Default "pma-sink-silver". */
  groupId?: string;
  /** A micro-batch is committed once it holds this many records (default 250,000)… */
  batchRows?: number;
  /** …or this long after its first record (default 1 s), or as soon as the log has nothing more to give. */
  batchMaxMs?: number;
  /**
   * Where to start. `stored` (default): where Silver stopped, and the log's beginning in partitions
   * it never read. `beginning`: every partition from its first record (a rebuild). `timestamp`:
   * every partition from its first record at or after the time (ms), re-applying what follows.
   */
  start?: { from: 'stored' } | { from: 'beginning' } | { from: 'timestamp'; timestamp: number };
  /** 'caught-up': stop once every partition is read up to the end it had when the sink started. Default 'signal'. */
  until?: Until;
  /** When this aborts, the sink reads up to the end the log has at that moment, then stops. */
  drain?: AbortSignal;
  /** Serve `pma query` from this process (default true). */
  serveQueries?: boolean;
  /** DuckDB memory_limit, e.g. "1GB". Default 512MB. */
  memoryLimit?: string;
  threads?: number;
  /** Clean topics to read; default all that Silver holds. */
  topics?: readonly SilverTopicKey[];
  /** When another process writes the file: wait until it is free and take over (true), or fail at once (default). */
  standby?: boolean;
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
  /** Where the sink's Prometheus metrics go (a private registry if absent). */
  metrics?: Registry;
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
  reason: StopReason;
}

/**
 * Defaults: a snapshot each minute; micro-batches of up to
 * 250,000 records or 1 s (a batch past DuckDB's row group size is written straight to the file
 * instead of through the WAL); DuckDB's buffer pool capped at 512 MB so the sink's memory stays flat
 * (peak RSS 1.37 GiB over a 5,000,000-trade rebuild, pma bench sink --layer silver).
 */
export const SILVER_DEFAULTS = {
  snapshotIntervalMs: 60_000,
  groupId: 'pma-sink-silver',
  batchRows: 250_000,
  batchMaxMs: 1_000,
  memoryLimit: '512MB',
} as const satisfies Partial<SilverSinkOptions>;

const TOPIC_BY_NAME = new Map<string, SilverTopicKey>(SILVER_TOPIC_KEYS.map((k) => [TOPICS[k].name, k]));

export async function runSilverSink(given: SilverSinkOptions, deps: SilverSinkDeps): Promise<SilverSinkResult> {
  const metrics = new SilverMetrics(deps.metrics ?? new Registry());
  try {
    return await sinkToSilver(given, deps, metrics);
  } catch (err) {
    metrics.stage.failed('fatal');
    // DuckDB's own errors carry no code: whatever step met a full disk, say so, with the file.
    throw sinkWriteError(err, 'Silver sink failed writing', given.path, true);
  }
}

async function sinkToSilver(given: SilverSinkOptions, deps: SilverSinkDeps, metrics: SilverMetrics): Promise<SilverSinkResult> {
  const options = withDefaults(SILVER_DEFAULTS, given);
  const { transport, serde, signal } = deps;
  const logger = deps.logger.child({ component: 'silver-sink' });
  const keys = options.topics ?? SILVER_TOPIC_KEYS;
  const topicNames = keys.map((k) => TOPICS[k].name);
  const admin = transport.admin();
  await admin.createTopics([...keys.map((k) => TOPICS[k]), TOPICS.dlq].map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy })));
  const codecs = new Map<SilverTopicKey, TopicCodec<unknown>>();
  for (const k of keys) codecs.set(k, await serde.codecFor(TOPICS[k]));

  const dbOptions = { memoryLimit: options.memoryLimit, threads: options.threads };
  const instance = await openAsWriter(options.path, { ...dbOptions, standby: options.standby }, signal, logger);
  if (!instance) return { path: options.path, records: 0, perTopic: {}, deadLettered: 0, commits: 0, offsets: [], snapshot: undefined, reason: 'stopped' };
  const deadLetters = new DeadLetterOutbox(transport, 'silver', logger, metrics.stage);
  let writer: SilverWriter | undefined;
  let consumer: Consumer | undefined;
  let endpoint: QueryEndpoint | undefined;
  let snapshots: SnapshotPublisher | undefined;
  let unwatch: (() => void) | undefined;
  const state = {
    records: 0,
    perTopic: {} as Partial<Record<SilverTopicKey, number>>,
    commits: 0,
    snapshot: undefined as PublishedSnapshot | undefined,
    committedAt: 0,
  };
  try {
    if (options.snapshotPath) snapshots = await SnapshotPublisher.open(options.path, options.snapshotPath);
    writer = await SilverWriter.open(instance, options.path);
    const positions = await startingPositions(options, writer, topicNames, transport);
    consumer = transport.consumer({ groupId: options.groupId, fromBeginning: true, maxRecords: Math.min(options.batchRows, 20_000), clientId: 'pma-silver-sink' });
    await consumer.subscribe(topicNames);
    unwatch = metrics.stage.watchLag(admin, options.groupId, topicNames, logger);
    // What the endpoint reports: the offsets of the last commit, which queries see and a kill keeps, not those staged since.
    const durable = new Map<string, PartitionOffset>(positions.all().map((o) => [partitionKey(o.topic, o.partition), o]));
    if (options.serveQueries !== false) {
      endpoint = await serveQueries(
        instance,
        options.path,
        () => ({
          pid: process.pid,
          path: options.path,
          offsets: [...durable.values()],
          records: state.records,
          commits: state.commits,
          committedAt: state.committedAt,
          snapshot: state.snapshot ?? null,
        }),
        logger,
      );
    }
    if (snapshots && !existsSync(snapshots.snapshotPath)) state.snapshot = await snapshots.publish(writer.conn);

    const w = writer;
    const c = consumer;
    const positioned = new Set<string>();
    let dirty = new Map<string, PartitionOffset>();
    /** Topic name -> newest event time (ms) staged since the last commit started. */
    let newest = new Map<string, number>();
    let firstStagedAt = 0;
    let lastSnapshotAt = Date.now();
    let changedSinceSnapshot = false;
    let ends: LogEnds | undefined = options.until === 'caught-up' ? await LogEnds.now(admin, topicNames) : undefined;

    // A commit merges on DuckDB's threads while the loop stages the next batch; `settled` is the
    // bookkeeping of the commit in flight, and the first failure stops the loop.
    let settled: Promise<void> = Promise.resolve();
    let failure: unknown;
    const bookkeep = async (result: CommitResult, offsets: PartitionOffset[], newestEventMs: Map<string, number>): Promise<void> => {
      let n = 0;
      const byName = new Map<string, number>();
      for (const [k, v] of Object.entries(result.records) as Array<[SilverTopicKey, number]>) {
        state.perTopic[k] = (state.perTopic[k] ?? 0) + v;
        byName.set(TOPICS[k].name, v);
        n += v;
      }
      metrics.committed(result.millis, byName, newestEventMs);
      state.records += n;
      state.commits += 1;
      state.committedAt = Date.now();
      for (const o of offsets) durable.set(partitionKey(o.topic, o.partition), o);
      changedSinceSnapshot = true;
      deps.progress?.add('records', n);
      deps.onCommit?.({ records: n, totalRecords: state.records, millis: result.millis, offsets });
      try {
        await c.commit(offsets);
      } catch (err) {
        metrics.stage.failed('offset-commit');
        logger.debug('could not mirror Silver offsets to the consumer group (lag figures may lag)', { err });
      }
    };
    const commit = async (): Promise<void> => {
      if (failure) throw failure;
      if (dirty.size === 0) return;
      await deadLetters.flush();
      const offsets = [...dirty.values()];
      const newestEventMs = newest;
      dirty = new Map();
      newest = new Map();
      firstStagedAt = 0;
      const { done } = await w.startCommit(offsets);
      await settled;
      settled = done.then((result) => bookkeep(result, offsets, newestEventMs));
      settled.catch((err) => {
        failure ??= err;
      });
    };
    const snapshotIfDue = async (force: boolean): Promise<void> => {
      if (!snapshots || !changedSinceSnapshot) return;
      // A big file takes a while to copy: at least ten times that between two copies, so publishing stays under a tenth of the time.
      const gap = Math.max(options.snapshotIntervalMs, 10 * (state.snapshot?.millis ?? 0));
      if (!force && Date.now() - lastSnapshotAt < gap) return;
      await settled;
      const published = await snapshots.publish(w.conn);
      if (!published) return;
      state.snapshot = published;
      lastSnapshotAt = Date.now();
      changedSinceSnapshot = false;
      logger.debug('Silver snapshot published', { path: published.path, bytes: published.bytes, ms: Math.round(published.millis) });
    };
    // Silver's own offsets are the truth: a partition newly assigned starts where Silver stopped
    // (or at the log's start), never where the consumer group happens to be.
    const positionAssigned = (): void => {
      for (const { topic, partition } of c.assignment()) {
        const key = partitionKey(topic, partition);
        if (positioned.has(key)) continue;
        positioned.add(key);
        const next = positions.next(topic, partition);
        if (next !== undefined) c.seek(topic, partition, next);
      }
    };
    const stage = async (batches: Awaited<ReturnType<Consumer['poll']>>): Promise<boolean> => {
      let behind = false;
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
        let newestInBatch = Number.NEGATIVE_INFINITY;
        // The hot path stays synchronous: a body in the current schema is staged as it is; one
        // written with another schema is decoded (awaiting only when its schema must be fetched)
        // and encoded again with the current one.
        for (const r of admission.records) {
          const value = r.value;
          if (value !== null) {
            try {
              let eventMs: number;
              if (readSchemaId(value) === codec.schemaId) eventMs = w.stage(topicKey, value, HEADER_BYTES, value.length);
              else {
                let decoded = decodeRecord(codec, r);
                if (decoded instanceof Promise) decoded = await decoded;
                if (decoded instanceof DecodeError) throw decoded;
                const body = codec.type.toBuffer(decoded);
                eventMs = w.stage(topicKey, body, 0, body.length);
              }
              if (eventMs > newestInBatch) newestInBatch = eventMs;
            } catch (err) {
              if (!(err instanceof DecodeError)) throw err;
              deadLetters.add(r, err.reason, withSource(err, r));
            }
          }
          if (!firstStagedAt) firstStagedAt = Date.now();
        }
        if (newestInBatch > (newest.get(batch.topic) ?? Number.NEGATIVE_INFINITY)) newest.set(batch.topic, newestInBatch);
        const last = admission.records[admission.records.length - 1];
        if (last) {
          positions.advance(batch.topic, batch.partition, last.offset + 1);
          dirty.set(partitionKey(batch.topic, batch.partition), { topic: batch.topic, partition: batch.partition, offset: last.offset + 1 });
          if (last.offset + 1 < batch.highWatermark) behind = true;
        }
      }
      return behind;
    };

    const reason = await consumeLoop({
      signal,
      until: options.until === 'caught-up' || options.drain ? 'caught-up' : 'signal',
      checkCaughtUp: 'every-turn',
      sources: [c],
      waitMs: () => (firstStagedAt ? Math.max(1, Math.min(200, options.batchMaxMs - (Date.now() - firstStagedAt))) : 500),
      handle: async (batches) => {
        positionAssigned();
        const behind = await stage(batches);
        // Far behind the log, batches fill up to their size; near its end, they go out within batchMaxMs.
        const due = w.staged >= options.batchRows || batches.length === 0 || (!behind && firstStagedAt > 0 && Date.now() - firstStagedAt >= options.batchMaxMs);
        if (due) {
          await commit();
          await snapshotIfDue(false);
        }
        // Caught-up checks read committed positions: wait for the commit in flight once idle.
        if (batches.length === 0) await settled;
      },
      caughtUp: async () => {
        if (!ends && options.drain?.aborted) ends = await LogEnds.now(admin, topicNames);
        // The consumer's position also steps over offsets no record fills (Kafka's transaction markers),
        // but only once Silver has positioned the partition: before that it stands where the consumer
        // group stopped, which says nothing about what this Silver file holds (a lost file starts empty).
        const at = (topic: string, partition: number) => (positioned.has(partitionKey(topic, partition)) ? (c.position(topic, partition) ?? -1) : -1);
        return ends?.reached((topic, partition) => Math.max(positions.next(topic, partition) ?? -1, at(topic, partition))) ?? false;
      },
      failure: () => failure,
      metrics: metrics.stage,
    });
    await commit();
    await settled;
    if (failure) throw failure;
    await snapshotIfDue(true);
    return {
      path: options.path,
      records: state.records,
      perTopic: state.perTopic,
      deadLettered: deadLetters.sent,
      commits: state.commits,
      offsets: positions.all(),
      snapshot: state.snapshot,
      reason,
    };
  } finally {
    unwatch?.();
    await endpoint?.close();
    await consumer?.close().catch((err) => logger.warn('consumer close failed', { err }));
    await deadLetters.close().catch((err) => logger.warn('closing the dead-letter producer failed', { err }));
    await writer?.close();
    instance.closeSync();
    releaseWriterClaim(options.path);
    await snapshots?.close();
  }
}

async function startingPositions(options: Pick<SilverSinkOptions, 'start'>, writer: SilverWriter, topics: string[], transport: Transport): Promise<PartitionPositions> {
  const start = options.start ?? { from: 'stored' };
  const admin = transport.admin();
  const offsets: PartitionOffset[] = [];
  const stored = start.from === 'stored' ? new Map((await readStoredOffsets(writer.conn)).map((o) => [partitionKey(o.topic, o.partition), o.offset])) : undefined;
  for (const topic of topics) {
    if (stored) {
      // A partition Silver never read (a new or lost Silver file) starts at the log's beginning.
      for (const p of await admin.offsets(topic)) {
        const next = stored.get(partitionKey(topic, p.partition));
        if (next !== undefined && next > p.high) throw refuseAheadOfLog({ layer: 'Silver', path: writer.path, transport, topic, partition: p.partition, next, logEnd: p.high });
        offsets.push({ topic, partition: p.partition, offset: next ?? p.low });
      }
    } else if (start.from === 'beginning') {
      for (const p of await admin.offsets(topic)) offsets.push({ topic, partition: p.partition, offset: p.low });
    } else if (start.from === 'timestamp') {
      for (const p of await admin.offsetsForTimestamp(topic, start.timestamp)) offsets.push({ topic, partition: p.partition, offset: p.offset });
    }
  }
  return new PartitionPositions(offsets);
}
