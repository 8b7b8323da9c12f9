/**
 * Headers on every record the producers write: where it came from (endpoint, request
 * parameters) and when it was fetched. Dead letters carry the shared pma.dlq.* headers
 * (registry/dead-letter.ts) on top: reason, error, the topic the record was meant for, time.
 */

export const HEADERS = {
  endpoint: 'pma-source-endpoint',
  params: 'pma-request-params',
  fetchedAt: 'pma-fetched-at',
  /** Trades: "taker" or "maker", the side of the fill this row is. */
  fillRole: 'pma-fill-role',
  /**
   * Trades fetched in follow mode: why the market was fetched then. "socket": the market WebSocket
   * reported a trade in it since the last pass, which woke the pass and put the market first;
   * "gap": its socket was blind for a while; "poll": the pass came round to it. Absent on backfill.
   */
  fetchTrigger: 'pma-fetch-trigger',
} as const;

export type FetchTrigger = 'socket' | 'gap' | 'poll';

export interface SourceInfo {
  /** "data:/trades" */
  endpoint: string;
  /** JSON text of the request parameters. */
  params: string;
  /** Unix ms when the response arrived. */
  fetchedAt: number;
}

export function sourceHeaders(source: SourceInfo): Record<string, string> {
  return {
    [HEADERS.endpoint]: source.endpoint,
    [HEADERS.params]: source.params,
    [HEADERS.fetchedAt]: String(source.fetchedAt),
  };
}
