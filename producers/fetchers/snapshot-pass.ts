/**
 * One snapshot pass over every known market, for the Data API routes that report a market's
 * state now rather than its history (`/holders`, `/oi`). Every record of a pass carries the
 * pass's snapshot time (Unix ms), so a pass is a snapshot of its own downstream and a page read
 * twice within it repeats its records exactly.
 *
 * Each market has a cursor (endpoint, condition id) naming the snapshot it was last read for:
 * a pass skips the markets already read for its snapshot, which is how a stopped or crashed
 * backfill resumes (its snapshot is the generation's start, the same after a restart). Markets
 * are read in batches of `batchSize` condition ids per request (the routes take a comma list);
 * a batch is a unit, so a failed request goes to pma.failures naming the batch's markets. A pass
 * first writes an open cursor for every market it has none for, so a resumed run that does not
 * list the markets again still knows them all.
 */
import type { IngestContext } from '../context.ts';
import type { FetcherName } from '../metrics.ts';
import { BoundedQueue, drainWith } from '../pipeline/queue.ts';
import type { PageItem } from '../records/publisher.ts';
import { TRADES_ENDPOINT } from './markets/discovery.ts';
import { readDetail } from './units.ts';

/** What one batch's request gave: the records to publish and when the response arrived. */
export interface BatchRead {
  items: PageItem[];
  /** API object to raw record, with what the batch's request adds to it. */
  toRaw: (api: unknown) => unknown;
  /** Records per market of the batch (its cursor's count). */
  perMarket: Map<string, number>;
  params: string;
  fetchedAt: number;
}

export interface SnapshotRoute {
  fetcher: FetcherName;
  /** `<api>:<path>`, the cursors' and failures' endpoint. */
  endpoint: string;
  batchSize: number;
  encoder: 'rawHolders' | 'rawOpenInterest';
  read: (conditionIds: readonly string[]) => Promise<BatchRead>;
}

/** The snapshot of a backfill pass: the generation's start, so a resumed backfill goes on with it. */
export const backfillSnapshot = (ctx: IngestContext): number => ctx.generation * 1000;

/**
 * The markets a pass reads, sorted: those this run listed, those earlier runs gave trade units,
 * and those an earlier pass of this route read (a resumed run may not list again).
 */
export function knownMarkets(ctx: IngestContext, endpoint: string, listed: Iterable<string>): string[] {
  const out = new Set<string>(listed);
  for (const c of ctx.cursors.of(TRADES_ENDPOINT)) out.add(c.scope);
  for (const c of ctx.cursors.of(endpoint)) out.add(c.scope);
  return [...out].filter((id) => id !== '').sort();
}

/** Reads every market not yet read for `snapshot`, `workers` batches at a time. */
export async function runSnapshotPass(ctx: IngestContext, route: SnapshotRoute, markets: readonly string[], snapshot: number): Promise<void> {
  const due = markets.filter((id) => {
    const c = ctx.cursors.get(route.endpoint, id);
    return !(c?.complete && readDetail(c).snap === snapshot);
  });
  await planMarkets(ctx, route.endpoint, due);
  const batches: string[][] = [];
  for (let i = 0; i < due.length; i += route.batchSize) batches.push(due.slice(i, i + route.batchSize));
  const task = ctx.metrics.task(route.fetcher, 'markets');
  task?.grow(due.length);
  const queue = new BoundedQueue<string[]>(batches.length || 1);
  for (const b of batches) await queue.push(b);
  queue.close();
  await drainWith(
    queue,
    ctx.settings.workers,
    async (batch) => {
      const outcome = await ctx.runUnit({ fetcher: route.fetcher, endpoint: route.endpoint, scope: batch.join(',') }, () => readBatch(ctx, route, batch, snapshot));
      if (outcome !== 'stopped') task?.advance(batch.length);
    },
    ctx.stop,
  );
  task?.end(ctx.stop.aborted ? 'stopped' : 'done');
}

/** Cursors written per control batch when a pass plans its markets. */
const PLAN_CHUNK = 1_000;

/**
 * Writes an open cursor for each market the route has none for yet, before reading any: a
 * resumed run that does not list the markets again still finds every market of the pass.
 */
async function planMarkets(ctx: IngestContext, endpoint: string, markets: readonly string[]): Promise<void> {
  const unplanned = markets.filter((id) => ctx.cursors.get(endpoint, id) === undefined);
  for (let i = 0; i < unplanned.length; i += PLAN_CHUNK) {
    await ctx.publisher.control(unplanned.slice(i, i + PLAN_CHUNK).map((id) => ctx.cursorRecord({ ...ctx.cursorOf(endpoint, id), detail: JSON.stringify({ gen: ctx.generation }) })));
  }
}

async function readBatch(ctx: IngestContext, route: SnapshotRoute, batch: readonly string[], snapshot: number): Promise<void> {
  const read = await route.read(batch);
  const encoder = ctx.enc[route.encoder];
  const control = batch.map((id) =>
    ctx.cursorRecord({
      ...ctx.cursorOf(route.endpoint, id),
      offset: null,
      page: 1,
      records: read.perMarket.get(id) ?? 0,
      complete: true,
      lastTimestamp: read.fetchedAt,
      detail: JSON.stringify({ gen: ctx.generation, snap: snapshot }),
    }),
  );
  const res = await ctx.publisher.page({ encoder, toRaw: read.toRaw, items: read.items, source: { endpoint: route.endpoint, params: read.params, fetchedAt: read.fetchedAt }, control });
  ctx.metrics.published(route.fetcher, encoder.topic, res.published);
  if (res.deadLettered) ctx.metrics.deadLettered(route.fetcher, 'schema-mismatch', res.deadLettered);
}
