/**
 * The layers section of `pma status`: per layer (ingest, process, Bronze, Silver, Gold) how far
 * it is behind the newest record, in records and in event time, and whether the processes holding
 * it are alive. Kept cheap: partition bounds, stored offsets, file names, and per partition a
 * layer lags in two records (its newest, and the newest the layer holds) for their event times.
 *
 * Who holds a layer: ingest and the processors are the members of their consumer groups
 * (INGEST_GROUP, the processors' two groups), Bronze sinks their `.locks/sink-*.lock` files,
 * the Silver sink its endpoint advert. Gold is built by a command and held by none. A process
 * of this host is alive while its pid runs; of another host, while the broker keeps its group
 * session or its lock's lease is fresh.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Serde } from '../../registry/serde.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { processAlive } from '../../sinks/common/lock-file.ts';
import { embeddedLogPath } from '../../transport/index.ts';
import { partitionKey } from '../../transport/partition-key.ts';
import type { Admin, GroupMemberInfo } from '../../transport/types.ts';
import { behind, EventTimes, type InputPartition, wantTimes } from './layer-lag.ts';
import { embeddedRecordsAt, type RecordsAt, transportRecordsAt } from './records-at.ts';
import type { StatusContext, StatusSection } from './status-section.ts';

export interface Holder {
  /** What the process is: `ingest`, a processors' group, `bronze sink`, `silver sink`. */
  role: string;
  pid: number | null;
  host: string | null;
  state: 'alive' | 'dead';
}

export interface LayerStatus {
  layer: 'ingest' | 'process' | 'bronze' | 'silver' | 'gold';
  /** Records of the layer's input it does not hold yet; null where that is not known (ingest has no input in the log; a Silver file busy). */
  recordsBehind: number | null;
  /** Event time of the newest input record minus that of the newest record held (ingest: now minus its newest raw record); null if unknown. */
  secondsBehind: number | null;
  holders: Holder[];
  /** What the numbers were read from, or why they are missing. */
  note: string;
}

const RAW_TOPICS = Object.values(TOPICS)
  .filter((t) => t.name.startsWith('pma.raw.'))
  .map((t) => t.name);

export const layersSection: StatusSection = {
  name: 'layers',
  async collect(ctx) {
    const layers = await collectLayers(ctx);
    return { text: layers.map(formatLayer), json: layers };
  },
};

/** A layer as first gathered: what it holds of which input, before any record is read. */
interface Gathered {
  layer: LayerStatus['layer'];
  holders: Holder[];
  note: string;
  /** Absent where the layer's holdings are unknown. */
  lag?: { inputs: InputPartition[]; held: Map<string, number> };
}

export async function collectLayers(ctx: StatusContext): Promise<LayerStatus[]> {
  const { config } = ctx.action;
  const transport = await ctx.transport();
  const admin = transport.admin();
  const existing = new Set((await admin.listTopics()).map((t) => t.name));
  const inputs = async (topics: readonly string[]): Promise<InputPartition[]> => {
    const out: InputPartition[] = [];
    for (const topic of topics) if (existing.has(topic)) for (const p of await admin.offsets(topic)) out.push({ topic, partition: p.partition, low: p.low, end: p.high });
    return out;
  };
  const { CLEAN_TOPIC_KEYS } = await import('../../schemas/clean-records.ts');
  const { SILVER_TOPIC_KEYS } = await import('../../sinks/silver/index.ts');
  const raw = await inputs(RAW_TOPICS);
  const silverInputs = await inputs(SILVER_TOPIC_KEYS.map((k) => TOPICS[k].name));
  const silver = await silverLayer(config.dataDir, silverInputs);
  const layers = [
    await processLayer(admin, raw),
    await bronzeLayer(config.dataDir, await inputs(CLEAN_TOPIC_KEYS.map((k) => TOPICS[k].name))),
    silver,
    await goldLayer(config.dataDir, silverInputs, silver.lag?.held),
  ];

  const times = new EventTimes(await recordsAt(ctx), serdeOnce(ctx));
  // Ingest's lag is the age of the newest raw record: the end of every raw partition.
  for (const p of raw) if (p.end > p.low) times.want(p, p.end - 1);
  for (const l of layers) if (l.lag) wantTimes(l.lag.inputs, l.lag.held, times);
  await times.load();
  const unknown = { recordsBehind: null, secondsBehind: null };
  return [await ingestLayer(admin, raw, times), ...layers.map(({ lag, ...l }): LayerStatus => ({ ...l, ...(lag ? behind(lag.inputs, lag.held, times) : unknown) }))];
}

async function recordsAt(ctx: StatusContext): Promise<RecordsAt> {
  const { config } = ctx.action;
  if (config.transport !== 'embedded') return transportRecordsAt(await ctx.transport());
  const { EmbeddedRecordSource } = await import('../../transport/embedded/verify.ts');
  const source = new EmbeddedRecordSource(embeddedLogPath(config.dataDir));
  ctx.action.onClose(() => source.close());
  return embeddedRecordsAt(source);
}

/** The registry is opened only if a clean record's event time is read. */
function serdeOnce(ctx: StatusContext): () => Promise<Serde> {
  let serde: Promise<Serde> | undefined;
  return () => {
    serde ??= (async () => {
      const { openRegistry } = await import('../../registry/index.ts');
      const { Serde } = await import('../../registry/serde.ts');
      const registry = await openRegistry(ctx.action.config);
      ctx.action.onClose(() => registry.close());
      return new Serde(registry);
    })();
    return serde;
  };
}

async function ingestLayer(admin: Admin, raw: InputPartition[], times: EventTimes): Promise<LayerStatus> {
  const { INGEST_GROUP } = await import('../../producers/liveness.ts');
  const newest = Math.max(...raw.map((p) => (p.end > p.low ? (times.get(p.topic, p.partition, p.end - 1) ?? -Infinity) : -Infinity)));
  const known = Number.isFinite(newest);
  const holders = await groupHolders(admin, INGEST_GROUP, 'ingest');
  // Only the embedded log registers a running ingest (producers/liveness.ts).
  const unregistered = holders.length === 0 ? '; a running ingest registers on the embedded log only' : '';
  return {
    layer: 'ingest',
    recordsBehind: null,
    secondsBehind: known ? Math.max(0, (Date.now() - newest) / 1000) : null,
    holders,
    note: `${known ? 'seconds since the newest raw record was published' : 'no raw record yet'}${unregistered}`,
  };
}

async function processLayer(admin: Admin, raw: InputPartition[]): Promise<Gathered> {
  const { PROCESSOR_DEFAULTS } = await import('../../processors/index.ts');
  const groups = [`${PROCESSOR_DEFAULTS.groupId}.reference`, `${PROCESSOR_DEFAULTS.groupId}.facts`];
  const held = new Map<string, number>();
  for (const group of groups) {
    for (const topic of new Set(raw.map((p) => p.topic))) {
      for (const o of await admin.groupOffsets(group, topic)) {
        const key = partitionKey(topic, o.partition);
        held.set(key, Math.max(held.get(key) ?? 0, o.offset));
      }
    }
  }
  const holders: Holder[] = [];
  for (const group of groups) holders.push(...(await groupHolders(admin, group, group)));
  return { layer: 'process', holders, note: `committed offsets of ${groups.join(' and ')} on the raw topics`, lag: { inputs: raw, held } };
}

async function bronzeLayer(dataDir: string, clean: InputPartition[]): Promise<Gathered> {
  const { bronzeRoot } = await import('../../sinks/bronze/layout.ts');
  const { scanBronze } = await import('../../sinks/bronze/verify.ts');
  const { registeredSinks } = await import('../../sinks/bronze/locks.ts');
  const root = bronzeRoot(dataDir);
  const held = new Map<string, number>();
  for (const [key, p] of (await scanBronze(root)).partitions) held.set(key, Math.max(...p.groups.map((g) => g.range.last + 1)));
  const holders = (await registeredSinks(root)).map((s): Holder => ({ role: 'bronze sink', pid: s.pid, host: s.host, state: s.alive ? 'alive' : 'dead' }));
  return { layer: 'bronze', holders, note: `file names under ${root}`, lag: { inputs: clean, held } };
}

async function silverLayer(dataDir: string, inputs: InputPartition[]): Promise<Gathered> {
  const { defaultSnapshotPath } = await import('../../sinks/silver/index.ts');
  const { readSilverProgress } = await import('../../sinks/silver/progress.ts');
  const { defaultSilverPath } = await import('../../sinks/silver/query-client.ts');
  const { advertPath } = await import('../../sinks/silver/endpoint.ts');
  const path = defaultSilverPath(dataDir);
  const progress = await readSilverProgress(path, defaultSnapshotPath(path));
  const holders: Holder[] = [];
  const advert = readJson(advertPath(path));
  // The sink serves queries on localhost only: its advert names a process of this host.
  if (typeof advert?.pid === 'number') holders.push({ role: 'silver sink', pid: advert.pid, host: hostname(), state: processAlive(advert.pid) ? 'alive' : 'dead' });
  if (progress.source === 'missing') return { layer: 'silver', holders, note: `no Silver file at ${path} yet` };
  if (progress.source === 'busy') return { layer: 'silver', holders, note: `${path} is held by a process that serves no queries` };
  const held = new Map(progress.offsets.map((o) => [partitionKey(o.topic, o.partition), o.offset]));
  return { layer: 'silver', holders, note: `offsets stored in Silver, read from ${progress.source === 'live' ? 'the running sink' : path}`, lag: { inputs, held } };
}

/** Gold against Silver: the Silver records of each partition that the last build did not take in. */
async function goldLayer(dataDir: string, log: InputPartition[], silver: Map<string, number> | undefined): Promise<Gathered> {
  const path = join(dataDir, 'gold', 'gold.duckdb');
  const gold = await readGold(path);
  const none = (note: string): Gathered => ({ layer: 'gold', holders: [], note });
  if (gold === 'missing') return none(`no Gold file at ${path} yet`);
  if (gold === 'busy') return none(`${path} is being built`);
  const built = `built ${new Date(gold.builtAt).toISOString()}`;
  if (!silver) return none(`${built}; what Silver holds is not known`);
  // Gold's input ends where Silver's holdings do.
  const inputs = log.map((p) => ({ ...p, end: Math.min(p.end, silver.get(partitionKey(p.topic, p.partition)) ?? p.low) }));
  return { layer: 'gold', holders: [], note: `${built}, against the offsets Silver holds`, lag: { inputs, held: gold.offsets } };
}

async function readGold(path: string): Promise<{ builtAt: number; offsets: Map<string, number> } | 'missing' | 'busy'> {
  const { existsSync } = await import('node:fs');
  if (!existsSync(path)) return 'missing';
  const { DuckDBInstance } = await import('@duckdb/node-api');
  let instance: InstanceType<typeof DuckDBInstance>;
  try {
    instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  } catch {
    return 'busy';
  }
  const conn = await instance.connect();
  try {
    const built = (await conn.runAndReadAll('SELECT epoch_ms(built_at) FROM gold_build')).getRows()[0]?.[0];
    const rows = (await conn.runAndReadAll('SELECT topic, "partition", next_offset FROM gold_silver_offsets')).getRows();
    return { builtAt: Number(built), offsets: new Map(rows.map(([t, p, o]) => [partitionKey(String(t), Number(p)), Number(o)])) };
  } catch {
    // A build that has not finished has no gold_build table yet.
    return 'busy';
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/**
 * The members of a group: on the embedded log by pid (a killed member stays listed until its
 * session lapses and another member sweeps it); on Kafka the coordinator lists only members whose
 * session lasts, so a listed member is alive.
 */
async function groupHolders(admin: Admin, group: string, role: string): Promise<Holder[]> {
  return (await admin.groupMembers(group)).map((m: GroupMemberInfo): Holder => {
    if (m.pid === undefined) return { role, pid: null, host: m.host ?? null, state: m.live ? 'alive' : 'dead' };
    return { role, pid: m.pid, host: m.host ?? hostname(), state: m.live && processAlive(m.pid) ? 'alive' : 'dead' };
  });
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const count = (n: number | null) => (n === null ? '?' : n.toLocaleString('en-US'));
const secs = (s: number | null) => (s === null ? '?' : `${Math.round(s).toLocaleString('en-US')}s`);

export function formatLayer(l: LayerStatus): string {
  const holders =
    l.holders.length === 0 ? 'no process' : l.holders.map((h) => `${h.role} ${h.pid === null ? '' : `pid ${h.pid} `}${h.host && h.host !== hostname() ? `on ${h.host} ` : ''}${h.state}`).join(', ');
  const lag =
    l.layer === 'ingest'
      ? `newest raw record ${secs(l.secondsBehind)} old`
      : l.recordsBehind === null && l.secondsBehind === null
        ? 'behind unknown'
        : `${count(l.recordsBehind)} records, ${secs(l.secondsBehind)} behind`;
  return `${l.layer.padEnd(8)}${lag}; ${holders} (${l.note})`;
}
