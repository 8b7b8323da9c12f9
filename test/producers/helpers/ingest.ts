/** Runs the producers in this process against a simulator, and reads back what they wrote. */
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { type IngestOptions, type IngestSummary, runIngest } from '../../../producers/run.ts';
import { ingestSettingsSchema } from '../../../producers/settings.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import type { Simulator, TruthType } from '../../../simulator/index.ts';
import { readAll, type TestLog } from './log.ts';

export function settingsFor(sim: Simulator, extra: Record<string, unknown> = {}): IngestOptions {
  const settings = ingestSettingsSchema.parse({ source: 'sim', rateLimits: 'off', attempts: 8, retryBaseMs: 5, retryMaxMs: 100, ...extra });
  return { ...settings, urls: sim.urls };
}

export async function ingest(log: Pick<TestLog, 'transport' | 'serde'>, options: IngestOptions, signal: AbortSignal = new AbortController().signal): Promise<IngestSummary> {
  return runIngest(options, { transport: log.transport, serde: log.serde, logger: silentLogger, signal, metrics: new Registry() });
}

/** Keys per raw topic, with how many times each was written. */
export async function writtenKeys(log: TestLog): Promise<Record<string, Map<string, number>>> {
  const topics = {
    'gamma-market': TOPICS.rawGammaMarkets.name,
    'gamma-event': TOPICS.rawGammaEvents.name,
    'clob-market': TOPICS.rawClobMarkets.name,
    trade: TOPICS.rawTrades.name,
    'price-point': TOPICS.rawPrices.name,
    'leaderboard-row': TOPICS.rawLeaderboard.name,
    holder: TOPICS.rawHolders.name,
    'open-interest': TOPICS.rawOpenInterest.name,
  };
  const out: Record<string, Map<string, number>> = {};
  for (const [type, topic] of Object.entries(topics)) {
    const counts = new Map<string, number>();
    for (const r of await readAll(log.transport, topic)) {
      const k = r.key?.toString() ?? '';
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    out[type] = counts;
  }
  return out;
}

/** Truth keys per record type. */
export function truthKeys(sim: Simulator, types: readonly TruthType[] = ['gamma-market', 'gamma-event', 'clob-market', 'trade', 'price-point', 'leaderboard-row', 'holder', 'open-interest']) {
  const out: Record<string, Set<string>> = {};
  for (const t of types) out[t] = new Set();
  for (const r of sim.truth({ types: [...types] })) out[r.type]!.add(r.key);
  return out;
}

/**
 * Fails unless every type's written keys are exactly its truth keys (less any the test knows no
 * client can read), naming a few of each difference so a failure says what went wrong.
 * `once` also fails on keys written more than once; `note` goes into the failure (a seed, say).
 */
export function expectTruthKeys(
  got: Record<string, Map<string, number>>,
  want: Record<string, Set<string>>,
  options: { once?: boolean; unreachable?: Record<string, ReadonlySet<string>>; note?: string } = {},
): void {
  for (const [type, keys] of Object.entries(want)) {
    const written = got[type]!;
    const unreachable = options.unreachable?.[type];
    const missing = [...keys].filter((k) => !written.has(k) && !unreachable?.has(k));
    const extra = [...written.keys()].filter((k) => !keys.has(k));
    const dup = options.once ? [...written].filter(([, n]) => n > 1).map(([k]) => k) : [];
    expect({ type, missing: missing.slice(0, 5), extra: extra.slice(0, 5), dup: dup.slice(0, 5) }, options.note).to.deep.equal({ type, missing: [], extra: [], dup: [] });
  }
}
