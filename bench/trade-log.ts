/**
 * The clean trades that `pma bench sink` replays into Bronze and into Silver, and the embedded log
 * they are replayed from; shared by bench/sink.ts and bench/sink-silver.ts.
 */
import { openRegistry } from '../registry/index.ts';
import { Serde } from '../registry/serde.ts';
import { silentLogger } from '../runtime/logger.ts';
import type { CleanTrade } from '../schemas/clean-records.ts';
import { TOPICS } from '../schemas/topics.ts';
import { openTransport } from '../transport/index.ts';

const DAY = 86_400_000;
const START = Date.UTC(2025, 10, 1);

/** Deterministic clean trades spread over `days` days, shaped like Data API fills. */
export function benchTrade(i: number, days: number): CleanTrade {
  const m = (i * 2_654_435_761) % 2_000;
  const wallet = (i * 40_503) % 50_000;
  const h = (n: number, len: number) => n.toString(16).padStart(len, '0');
  const tx = `0x${h(i, 16)}${h((i * 2_654_435_761) >>> 0, 8)}${'a'.repeat(40)}`;
  return {
    trade_id: `${tx}|0x${h(wallet, 40)}|${m}|${i % 2 ? 'BUY' : 'SELL'}|${i % 1000}`,
    timestamp: START + ((i * 7_919_993) % (days * DAY)),
    condition_id: `0x${h(m, 64)}`,
    token_id: `${10n ** 76n + BigInt(m * 2 + (i & 1))}`,
    outcome: i & 1 ? 'No' : 'Yes',
    outcome_index: i & 1,
    event_id: String(100_000 + (m >> 2)),
    event_slug: `will-the-event-number-${m >> 2}-happen-by-the-deadline`,
    side: i % 3 ? 'BUY' : 'SELL',
    role: i & 2 ? 'MAKER' : 'TAKER',
    price: ((i * 7_919) % 999) / 1000 + 0.001,
    size: ((i * 104_729) % 100_000) / 100,
    transaction_hash: tx,
    proxy_wallet: `0x${h(wallet, 40)}`,
    title: `Will market number ${m} resolve yes?`,
    market_slug: `market-${m}`,
    name: `user${wallet}`,
    pseudonym: `Pseudo-Nym-${wallet}`,
    unresolved: false,
  };
}

/**
 * Fills the embedded log in `dir` with `records` bench trades over `days` (not timed). Returns the
 * bytes of the encoded values and the trade encoder, which the ceiling runs reuse.
 */
export async function fillTradeLog(dir: string, records: number, days: number): Promise<{ bytes: number; encode: (t: CleanTrade) => Buffer }> {
  const transport = await openTransport({ transport: 'embedded', brokers: [], dataDir: dir }, silentLogger);
  const registry = await openRegistry({ registry: 'embedded', dataDir: dir });
  let bytes = 0;
  try {
    const codec = await new Serde(registry).codecFor<CleanTrade>(TOPICS.trades);
    await transport.admin().createTopics([TOPICS.trades, TOPICS.dlq].map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy })));
    const producer = transport.producer();
    for (let start = 0; start < records; start += 20_000) {
      const batch = [];
      for (let i = start; i < Math.min(records, start + 20_000); i++) {
        const t = benchTrade(i, days);
        const value = codec.encode(t);
        bytes += value.length;
        batch.push({ key: Buffer.from(t.trade_id), value });
      }
      await producer.send(TOPICS.trades.name, batch);
    }
    await producer.close();
    return { bytes, encode: codec.encode.bind(codec) };
  } finally {
    await transport.close();
    await registry.close();
  }
}
