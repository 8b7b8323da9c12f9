/**
 * Top holders of every market's outcome tokens (Data API `/holders`), one snapshot per pass. A
 * holder row names its token but not its market, so each request asks for one market: its rows
 * then belong to it without a token-to-market lookup (which a resumed run that did not list
 * again would not have). The API serves at most 20 holders per token; `holdersLimit` asks that many.
 */
import { toRawHolder } from '../../schemas/raw/index.ts';
import type { IngestContext } from '../context.ts';
import { paramsText } from '../http/apis.ts';
import { holderKey } from '../keys.ts';
import type { PageItem } from '../records/publisher.ts';
import { holdersResponse } from './shapes.ts';
import { type BatchRead, knownMarkets, runSnapshotPass, type SnapshotRoute } from './snapshot-pass.ts';

export const HOLDERS_ENDPOINT = 'data:/holders';

export class HoldersFetcher {
  readonly #ctx: IngestContext;

  constructor(ctx: IngestContext) {
    this.#ctx = ctx;
  }

  /** Reads the holders of every known market (or only `only`) for the snapshot `snapshot` (Unix ms). */
  async run(listed: Iterable<string>, snapshot: number, only?: readonly string[]): Promise<void> {
    const ctx = this.#ctx;
    const route: SnapshotRoute = {
      fetcher: 'holders',
      endpoint: HOLDERS_ENDPOINT,
      batchSize: 1,
      encoder: 'rawHolders',
      read: async (batch): Promise<BatchRead> => {
        // One market per batch (batchSize 1): its rows are that market's.
        const market = batch[0]!;
        const params = { market, limit: ctx.settings.holdersLimit };
        const res = await ctx.caller.call({ api: 'data', endpoint: '/holders', params }, holdersResponse);
        const items: PageItem[] = [];
        // The token each row was listed under, for its raw record (a row's own asset may be missing).
        const tokens = new Map<unknown, string>();
        for (const element of res.value) {
          for (const row of element.holders) {
            tokens.set(row, element.token);
            items.push({ key: holderKey(market, row.asset || element.token, row.proxyWallet), api: row });
          }
        }
        const toRaw = (api: unknown) => toRawHolder(api, { market: market, token: tokens.get(api) ?? null, fetchedAt: snapshot });
        return { items, toRaw, perMarket: new Map([[market, items.length]]), params: paramsText(params), fetchedAt: res.fetchedAt };
      },
    };
    await runSnapshotPass(ctx, route, only ?? knownMarkets(ctx, HOLDERS_ENDPOINT, listed), snapshot);
  }
}
