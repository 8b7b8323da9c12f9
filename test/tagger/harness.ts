/** A real embedded log, registry and serde in a temp dir, for tagger tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedRegistry } from '../../registry/embedded.ts';
import { Serde } from '../../registry/serde.ts';
import { silentLogger } from '../../runtime/logger.ts';
import type { CleanMarket } from '../../schemas/clean-records.ts';
import { prepareTagTopics, type TagCodecs } from '../../tagger/topics.ts';
import { createEmbeddedTransport } from '../../transport/embedded/index.ts';
import { embeddedLogPath } from '../../transport/index.ts';
import type { Transport } from '../../transport/types.ts';

export interface Harness {
  dir: string;
  transport: Transport;
  serde: Serde;
  codecs: TagCodecs;
  close(): Promise<void>;
}

export async function openHarness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'pma-tagger-'));
  const transport = await createEmbeddedTransport({ path: embeddedLogPath(dir), logger: silentLogger, safetyPollMs: 50 });
  const registry = new EmbeddedRegistry({ path: embeddedLogPath(dir) });
  const serde = new Serde(registry);
  const codecs = await prepareTagTopics(transport, serde);
  return {
    dir,
    transport,
    serde,
    codecs,
    async close() {
      await transport.close();
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A clean market record as the processors publish it. */
export function market(id: number, question: string, extra: Partial<CleanMarket> = {}): CleanMarket {
  return {
    condition_id: `0x${id.toString(16).padStart(64, '0')}`,
    source: 'GAMMA',
    observed_ts: 1_700_000_000_000 + id,
    gamma_id: String(id),
    question_id: null,
    question,
    slug: question.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    description: `Resolves per the rules for: ${question}`,
    category: null,
    event_id: null,
    event_slug: null,
    outcomes: ['Yes', 'No'],
    token_ids: ['1', '2'],
    outcome_prices: [0.5, 0.5],
    active: true,
    closed: false,
    archived: null,
    restricted: null,
    accepting_orders: null,
    enable_order_book: null,
    neg_risk: null,
    volume: 1000 + id,
    liquidity: null,
    volume_24hr: null,
    minimum_tick_size: null,
    minimum_order_size: null,
    maker_base_fee: null,
    taker_base_fee: null,
    start_ts: null,
    end_ts: null,
    created_ts: null,
    updated_ts: null,
    closed_ts: null,
    game_start_ts: null,
    accepting_orders_ts: null,
    uma_resolution_status: null,
    market_maker_address: null,
    tags: [],
    image: null,
    icon: null,
    ...extra,
  };
}
