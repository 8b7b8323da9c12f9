/**
 * Headers on every record the producers write: where it came from (endpoint, request
 * parameters), when it was fetched, and for dead letters why it could not be published.
 */

export const HEADERS = {
  endpoint: 'pma-source-endpoint',
  params: 'pma-request-params',
  fetchedAt: 'pma-fetched-at',
  /** Trades: "taker" or "maker", the side of the fill this row is. */
  fillRole: 'pma-fill-role',
  reason: 'pma-dlq-reason',
  error: 'pma-dlq-error',
  sourceTopic: 'pma-dlq-source-topic',
  producer: 'pma-producer',
} as const;

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
    [HEADERS.producer]: 'pma-ingest',
  };
}
