/**
 * Open interest of every market (Data API `/oi`), one snapshot per pass. The route takes a comma
 * list of condition ids and names the market in each element, so a request asks for a batch of
 * markets (`openInterestBatch`); asked for none, it answers only the all-markets total.
 */
import { toRawOpenInterest } from '../../schemas/raw/index.ts';
import type { IngestContext } from '../context.ts';
import { paramsText } from '../http/apis.ts';
import { openInterestKey } from '../keys.ts';
import { openInterestResponse } from './shapes.ts';
import { type BatchRead, knownMarkets, runSnapshotPass, type SnapshotRoute } from './snapshot-pass.ts';

export const OPEN_INTEREST_ENDPOINT = 'data:/oi';

export class OpenInterestFetcher {
  readonly #ctx: IngestContext;

  constructor(ctx: IngestContext) {
    this.#ctx = ctx;
  }

  /** Reads the open interest of every known market (or only `only`) for the snapshot `snapshot` (Unix ms). */
  async run(listed: Iterable<string>, snapshot: number, only?: readonly string[]): Promise<void> {
    const ctx = this.#ctx;
    const route: SnapshotRoute = {
      fetcher: 'open-interest',
      endpoint: OPEN_INTEREST_ENDPOINT,
      batchSize: ctx.settings.openInterestBatch,
      encoder: 'rawOpenInterest',
      read: async (markets): Promise<BatchRead> => {
        const params = { market: markets.join(',') };
        const res = await ctx.caller.call({ api: 'data', endpoint: '/oi', params }, openInterestResponse);
        const asked = new Set(markets.map((m) => m.toLowerCase()));
        // Only the markets asked for: an element for another (or the GLOBAL total) is no answer of this batch.
        const rows = res.value.filter((r) => asked.has(r.market.toLowerCase()));
        const perMarket = new Map<string, number>();
        for (const m of markets) perMarket.set(m, rows.filter((r) => r.market.toLowerCase() === m.toLowerCase()).length);
        const toRaw = (api: unknown) => toRawOpenInterest(api, { fetchedAt: snapshot });
        return { items: rows.map((r) => ({ key: openInterestKey(r.market), api: r })), toRaw, perMarket, params: paramsText(params), fetchedAt: res.fetchedAt };
      },
    };
    await runSnapshotPass(ctx, route, only ?? knownMarkets(ctx, OPEN_INTEREST_ENDPOINT, listed), snapshot);
  }
}
