/**
 * `pma bench tagger`: classification throughput of the Tag Manager's stream processor toward a
 * fake Ollama that answers every chat after a fixed latency (default 50 ms). With C concurrent
 * requests allowed, the ideal is C / latency requests per second; the run measures the real
 * path end to end (markets published to pma.markets, consumed, prompted, voted, decisions made
 * durable in pma.tag-decisions and the market offsets committed) and prints the share of the
 * ideal. Goal: at least 90%.
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { openRegistry } from '../registry/index.ts';
import { Serde } from '../registry/serde.ts';
import { positiveInt } from '../runtime/config.ts';
import type { CleanMarket } from '../schemas/clean-records.ts';
import { TOPICS } from '../schemas/topics.ts';
import { CLASSIFIER_GROUP } from '../tagger/processor/market-feed.ts';
import { TaggerService } from '../tagger/service.ts';
import { openTransport } from '../transport/index.ts';
import { type BenchEnv, benchScratch, benchSettings } from './env.ts';

const settingsSchema = z
  .object({
    markets: positiveInt.default(1_500),
    concurrency: positiveInt.default(8),
    models: positiveInt.max(8).default(1),
    latencyMs: positiveInt.default(50),
  })
  .strict();

export const GOAL_RATIO = 0.9;

function benchMarket(i: number): CleanMarket {
  return {
    condition_id: `0x${i.toString(16).padStart(64, '0')}`,
    source: 'GAMMA',
    observed_ts: Date.now(),
    gamma_id: String(i),
    question_id: null,
    question: `Will asset #${i} close above its open on day ${i % 365}?`,
    slug: `bench-${i}`,
    description: 'A synthetic market for the tagger benchmark.',
    category: i % 2 ? 'Crypto' : 'Sports',
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
    volume: i,
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
  };
}

/** Whether the goal was met; undefined when stopped before the end. */
export async function benchTagger(env: BenchEnv, flags: Record<string, unknown>): Promise<boolean | undefined> {
  const s = benchSettings(env, 'tagger', settingsSchema, flags);
  const scratch = benchScratch(env, 'tagger');
  const transport = await openTransport({ ...env.config, transport: 'embedded', dataDir: scratch }, env.logger, 'pma-bench');
  env.onClose(() => transport.close());
  const registry = await openRegistry({ registry: 'embedded', dataDir: scratch });
  env.onClose(() => registry.close());
  const serde = new Serde(registry);
  const models = Array.from({ length: s.models }, (_, i) => `bench-${i}`);
  const fake = await spawnFakeOllama(models, s.latencyMs);
  env.onClose(() => fake.kill());
  const service = await TaggerService.start({
    transport,
    serde,
    dataDir: scratch,
    logger: env.logger,
    // The bench measures classification throughput, not the examples workflow: no examples needed.
    overrides: { ollamaUrl: fake.url, models, concurrency: s.concurrency, minExamples: 0, ...(s.models === 1 ? { rule: 'confidence', quorum: 1, threshold: 0.5 } : { rule: 'majority', quorum: 2 }) },
  });
  env.onClose(() => service.close());
  await service.createTag('Bench', 'every market', 'bench');

  const codec = await serde.codecFor<CleanMarket>(TOPICS.markets);
  const producer = transport.producer();
  const records = Array.from({ length: s.markets }, (_, i) => benchMarket(i + 1));
  const started = performance.now();
  for (let i = 0; i < records.length; i += 500) {
    await producer.send(
      TOPICS.markets.name,
      records.slice(i, i + 500).map((m) => ({ key: Buffer.from(m.condition_id), value: codec.encode(m) })),
    );
  }
  await producer.close();
  const admin = transport.admin();
  for (;;) {
    if (env.signal.aborted) return undefined;
    const committed = (await admin.groupOffsets(CLASSIFIER_GROUP, TOPICS.markets.name)).reduce((sum, o) => sum + o.offset, 0);
    if (committed >= s.markets) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  const requests = service.classifier.stats.decided * s.models;
  const measured = requests / seconds;
  const ideal = s.concurrency / (s.latencyMs / 1000);
  const ratio = measured / ideal;
  // Steady state: decisions between the first and the last, without start-up and the final commit.
  const stats = service.classifier.stats;
  const steadySeconds = ((stats.lastDecisionAt ?? 0) - (stats.firstDecisionAt ?? 0)) / 1000;
  const steady = steadySeconds > 0 ? ((stats.decided - 1) * s.models) / steadySeconds : measured;
  // How long each request took as the tagger saw it, and how busy that kept the allowed slots.
  const meanVoteMs = stats.requestMs / Math.max(1, stats.decided * s.models);
  const occupancy = stats.requestMs / 1000 / Math.max(steadySeconds, 1e-9) / s.concurrency;
  const result = {
    markets: s.markets,
    models: s.models,
    concurrency: s.concurrency,
    latencyMs: s.latencyMs,
    requests,
    decisions: service.classifier.stats.decided,
    seconds: Number(seconds.toFixed(2)),
    requestsPerSecond: Number(measured.toFixed(1)),
    idealPerSecond: Number(ideal.toFixed(1)),
    ofIdeal: Number(ratio.toFixed(3)),
    steadyPerSecond: Number(steady.toFixed(1)),
    steadyOfIdeal: Number((steady / ideal).toFixed(3)),
    meanRequestMs: Number(meanVoteMs.toFixed(1)),
    slotOccupancy: Number(occupancy.toFixed(3)),
    goalMet: ratio >= GOAL_RATIO,
  };
  if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write(
      [
        `tagger: ${s.markets} markets x ${s.models} model(s) = ${requests} requests to a fake Ollama answering after ${s.latencyMs} ms, concurrency ${s.concurrency}`,
        `  measured   ${measured.toFixed(1)} requests/s (${seconds.toFixed(2)} s, from publishing the markets to their last offset committed)`,
        `  steady     ${steady.toFixed(1)} requests/s (${((steady / ideal) * 100).toFixed(1)}% of ideal; first to last decision)`,
        `  requests   took ${meanVoteMs.toFixed(1)} ms on average as the tagger saw them; the ${s.concurrency} slots were busy ${(occupancy * 100).toFixed(0)}% of the time`,
        `  ideal      ${ideal.toFixed(1)} requests/s (concurrency / latency)`,
        `  of ideal   ${(ratio * 100).toFixed(1)}% end to end  goal >= ${GOAL_RATIO * 100}% ${ratio >= GOAL_RATIO ? 'met' : 'MISSED'}`,
        '',
      ].join('\n'),
    );
  }
  return ratio >= GOAL_RATIO;
}

/**
 * The fake Ollama runs in its own process, as Ollama would: its 50 ms timers are then not
 * delayed by the tagger's own work on the event loop, which would count against the tagger twice.
 */
async function spawnFakeOllama(models: string[], latencyMs: number): Promise<{ url: string; kill(): void }> {
  const module = new URL('../tagger/ollama/fake-server.ts', import.meta.url).href;
  const script = `const { startFakeOllama } = await import(${JSON.stringify(module)});
    const fake = await startFakeOllama({ models: ${JSON.stringify(models)}, latencyMs: ${latencyMs}, reply: () => ({ answer: 'yes', confidence: 0.9, reason: 'bench' }) });
    process.stdout.write(fake.url + '\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`the fake Ollama exited (code ${code}) before listening`)));
  });
  return { url, kill: () => child.kill('SIGKILL') };
}
