/**
 * The embedded transport: Kafka's model on one SQLite file (WAL mode, fsync on every commit),
 * safe for several OS processes at once. See README "Embedded log" for the layout and the
 * guarantees; the parts live beside this file:
 *   schema.ts (tables, migrations)      batch-codec.ts (stored batch framing, CRC)
 *   database.ts (connection, txns)      catalog.ts (topic metadata cache)
 *   producer.ts (append)                fetcher.ts, consumer.ts (poll, seek, commit)
 *   group.ts, assignor.ts (groups)      offsets.ts (bounds, timestamp search)
 *   admin.ts (admin)                    maintenance.ts (retention, compaction)
 *   notifier.ts (wake-ups without busy loops)  writer.ts, writer-thread.ts, append.ts (commits off the main thread)
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { TransportError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import type { Consumer, ConsumerOptions, Producer, ProducerOptions, TransactionalProducer, Transport } from '../types.ts';
import { type EmbeddedAdmin, EmbeddedAdminImpl } from './admin.ts';
import { TopicCatalog, type TopicMeta } from './catalog.ts';
import { EmbeddedConsumer } from './consumer.ts';
import { LogDatabase } from './database.ts';
import { GroupMember } from './group.ts';
import { DEFAULT_MAINTENANCE, LogMaintenance, type MaintenanceOptions } from './maintenance.ts';
import { ChangeNotifier } from './notifier.ts';
import { EmbeddedProducer } from './producer.ts';
import { LogWriter } from './writer.ts';

export type { EmbeddedAdmin } from './admin.ts';
export type { MaintenanceOptions, MaintenanceReport } from './maintenance.ts';

export interface EmbeddedTransportOptions {
  /** The SQLite file; created with its directory if missing. */
  path: string;
  logger: Logger;
  /** A group member that has not heartbeated for this long loses its partitions. Default 10 s. */
  sessionTimeoutMs?: number;
  /** Heartbeat period. Default a third of the session timeout, at most 3 s. */
  heartbeatMs?: number;
  /** How long a write waits for another process's write to finish. Default 10 s. */
  busyTimeoutMs?: number;
  /** Period of the fallback `data_version` check while a consumer waits. Default 500 ms. */
  safetyPollMs?: number;
  maintenance?: Partial<MaintenanceOptions>;
}

export interface EmbeddedTransport extends Transport {
  readonly kind: 'embedded';
  readonly path: string;
  admin(): EmbeddedAdmin;
}

export async function createEmbeddedTransport(options: EmbeddedTransportOptions): Promise<EmbeddedTransport> {
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
  const heartbeatMs = options.heartbeatMs ?? Math.min(3_000, Math.max(50, Math.floor(sessionTimeoutMs / 3)));
  const logger = options.logger.child({ component: 'embedded-log' });
  const path = resolve(options.path);
  const db = new LogDatabase(path, { busyTimeoutMs: options.busyTimeoutMs ?? 10_000 });
  const catalog = new TopicCatalog(db);
  const notifier = new ChangeNotifier(db, logger, options.safetyPollMs ?? 500);
  const maintenance = new LogMaintenance({ db, catalog, logger, notifier }, { ...DEFAULT_MAINTENANCE, ...options.maintenance });
  const admin = new EmbeddedAdminImpl({ db, catalog, maintenance, notifier });
  const writer = new LogWriter({ path, busyTimeoutMs: options.busyTimeoutMs ?? 10_000 }, logger);
  const producers = new Set<Producer>();
  const consumers = new Set<Consumer>();
  const members = new WeakMap<Consumer, GroupMember>();
  const afterWrite = (written: Map<TopicMeta, number>) => {
    notifier.changed();
    maintenance.noteWrite(written);
  };
  let closed = false;
  maintenance.start();

  const checkOpen = () => {
    if (closed) throw new TransportError('the embedded transport is closed', { path });
  };

  return {
    kind: 'embedded',
    path,
    admin: () => {
      checkOpen();
      return admin;
    },
    producer(_options?: ProducerOptions): Producer {
      checkOpen();
      writer.start();
      const producer: EmbeddedProducer = new EmbeddedProducer({ writer, catalog, afterWrite }, () => producers.delete(producer));
      producers.add(producer);
      return producer;
    },
    transactionalProducer(_options?: ProducerOptions): TransactionalProducer {
      checkOpen();
      const producer: EmbeddedProducer = new EmbeddedProducer({ writer, catalog, afterWrite, db, memberOf: (c) => members.get(c) }, () => producers.delete(producer));
      producers.add(producer);
      return producer;
    },
    consumer(consumerOptions: ConsumerOptions): Consumer {
      checkOpen();
      const clientId = consumerOptions.clientId ?? 'pma';
      const member = new GroupMember({ db, catalog, logger }, { groupId: consumerOptions.groupId, memberId: `${clientId}-${process.pid}-${randomUUID()}`, clientId }, sessionTimeoutMs);
      const consumer: EmbeddedConsumer = new EmbeddedConsumer({ db, catalog, notifier, logger, member, heartbeatMs, sessionTimeoutMs }, consumerOptions, () => consumers.delete(consumer));
      consumers.add(consumer);
      members.set(consumer, member);
      return consumer;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      maintenance.stop();
      // One part failing to close (a full disk refuses a consumer's leave) must not leave the
      // others, or the writer thread's connection, holding the file: all are closed, then the
      // first failure is thrown and the rest logged.
      const failures: unknown[] = [];
      const attempt = async (close: () => Promise<void>) => {
        try {
          await close();
        } catch (err) {
          failures.push(err);
        }
      };
      try {
        for (const c of [...consumers]) await attempt(() => c.close());
        for (const p of [...producers]) await attempt(() => p.close());
        await attempt(() => writer.close());
      } finally {
        notifier.close();
        db.close();
      }
      for (const err of failures.slice(1)) logger.warn('embedded log: another part failed to close as well', { err });
      if (failures.length > 0) throw failures[0];
    },
  };
}
