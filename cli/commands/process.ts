/**
 * `pma process`: raw topics to clean topics (normalise, deduplicate, enrich). Runs until Ctrl+C,
 * or with --until-caught-up until everything in the raw topics is processed.
 * Settings: flags, PMA_PROCESS_* variables, or the config file's "process" section.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { PROCESSOR_DEFAULTS, runProcessors } from '../../processors/index.ts';
import { booleanish, port, positiveInt, resolveSection, sectionSources } from '../../runtime/config.ts';
import { type ActionContext, action } from '../action.ts';
import { commandMetrics } from '../metrics.ts';
import { openLogAndSerde } from '../open.ts';

const KEYS = ['untilCaughtUp', 'dedupWindow', 'retryWaitMs', 'retryMaxWaitMs', 'retryCapacity', 'metricsPort'] as const;

const processSchema = z
  .object({
    untilCaughtUp: booleanish.default(false),
    dedupWindow: positiveInt.default(PROCESSOR_DEFAULTS.dedupWindow),
    retryWaitMs: positiveInt.default(PROCESSOR_DEFAULTS.retryWaitMs),
    retryMaxWaitMs: positiveInt.default(PROCESSOR_DEFAULTS.retryMaxWaitMs),
    retryCapacity: positiveInt.default(PROCESSOR_DEFAULTS.retryCapacity),
    metricsPort: port.optional(),
  })
  .strict();

export function register(program: Command): void {
  program
    .command('process')
    .description('normalise and enrich raw topics into clean topics')
    .option('--until-caught-up', 'stop once every raw record is processed (default: run until Ctrl+C)')
    .option('--dedup-window <n>', `record identities remembered per clean topic (default ${PROCESSOR_DEFAULTS.dedupWindow})`)
    .option('--retry-wait-ms <ms>', `how long a trade waits for its market before going out unresolved (default ${PROCESSOR_DEFAULTS.retryWaitMs})`)
    .option('--retry-max-wait-ms <ms>', `how long it waits at most while market records are still unread, e.g. a dead processor's (default ${PROCESSOR_DEFAULTS.retryMaxWaitMs})`)
    .option('--retry-capacity <n>', `records that may wait for reference data at once (default ${PROCESSOR_DEFAULTS.retryCapacity})`)
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port')
    .action(action(processRaw));
}

async function processRaw(ctx: ActionContext, flags: Record<string, unknown>): Promise<void> {
  const settings = resolveSection(processSchema, sectionSources('process', KEYS, ctx.config.file, process.env, flags));
  const { transport, serde } = await openLogAndSerde(ctx, 'pma-process');
  const metrics = await commandMetrics(ctx, settings.metricsPort);
  const result = await runProcessors(
    { dedupWindow: settings.dedupWindow, retryWaitMs: settings.retryWaitMs, retryMaxWaitMs: settings.retryMaxWaitMs, retryCapacity: settings.retryCapacity },
    { transport, serde, logger: ctx.logger, signal: ctx.signal, until: settings.untilCaughtUp ? 'caught-up' : 'signal', metrics },
  );
  const emitted = Object.entries(result.emitted)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  process.stdout.write(
    `processed ${result.consumed} raw records: ${emitted || 'nothing emitted'}; ${result.duplicates} duplicates dropped, ${result.unresolved} unresolved, ${result.deadLettered} dead-lettered\n`,
  );
}
