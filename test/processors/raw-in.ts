/** Feeding the processors as the producers would (API JSON mapped to raw records), and running them to the log's end. */
import { runProcessors } from '../../processors/index.ts';
import type { ProcessorOptions } from '../../processors/runner.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { type RawSchemaName, rawMapper } from '../../schemas/raw/index.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { LogHarness } from '../sinks/log-harness.ts';

export type RawTopic = 'rawGammaMarkets' | 'rawGammaEvents' | 'rawClobMarkets' | 'rawTrades' | 'rawPrices' | 'rawLeaderboard' | 'rawHolders' | 'rawOpenInterest' | 'rawMarketWs';

export interface RawItem {
  key: string;
  json: Record<string, unknown>;
  context?: Record<string, unknown>;
  /** Added to, and able to override, a fixed `pma-fetched-at`: processors read lineage from headers. */
  headers?: Record<string, string>;
}

export async function publishRaw(h: Pick<LogHarness, 'transport' | 'serde'>, topic: RawTopic, items: RawItem[]): Promise<void> {
  const def = TOPICS[topic];
  const codec = await h.serde.codecFor<Record<string, unknown>>(def);
  const mapper = rawMapper(def.schema as RawSchemaName);
  const producer = h.transport.producer();
  await producer.send(
    def.name,
    items.map((i) => ({ key: Buffer.from(i.key), value: codec.encode(mapper.toRaw(i.json, i.context ?? {})), headers: { 'pma-fetched-at': '1765400000000', ...i.headers } })),
  );
  await producer.close();
}

/** One processors run that stops once it has caught up with every raw topic. */
export function processToEnd(h: Pick<LogHarness, 'transport' | 'serde'>, options: ProcessorOptions = {}) {
  return runProcessors(options, { transport: h.transport, serde: h.serde, logger: silentLogger, signal: new AbortController().signal, until: 'caught-up' });
}
