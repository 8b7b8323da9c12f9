/**
 * `pma ingest`: fetch Polymarket's APIs (or the simulator) into the raw topics. Settings come
 * from flags, `PMA_INGEST_*` variables and the `ingest` section of the config file (flags win).
 */
import { Command, Option } from 'commander';
import { runIngest } from '../../producers/index.ts';
import { INGEST_KEYS, ingestSettingsSchema } from '../../producers/settings.ts';
import { resolveSection, sectionSources } from '../../runtime/config.ts';
import { createMetricsRegistry, serveMetrics } from '../../runtime/metrics.ts';
import { ProgressBoard } from '../../runtime/progress.ts';
import { action } from '../action.ts';
import { openLogAndSerde } from '../open.ts';
import { openSource } from '../sources.ts';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',')];

export function register(program: Command): void {
  program.addCommand(
    new Command('ingest')
      .description('fetch Polymarket APIs into raw topics (markets, events, trades, prices, leaderboards, top holders, open interest)')
      .addOption(new Option('--source <source>', 'live Polymarket, or the simulator (started here when no URL is given)').choices(['live', 'sim']))
      .option('--gamma-url <url>', 'Gamma API base URL')
      .option('--data-url <url>', 'Data API base URL')
      .option('--clob-url <url>', 'CLOB REST base URL')
      .option('--ws-url <url>', 'CLOB market WebSocket URL')
      .option('--mode <modes>', 'all | markets | events | trades | prices | leaderboard | holders | open-interest (repeat or comma-separate)', collect)
      .option('--limit <n>', 'take only the first N markets')
      .option('--since <time>', 'trades and prices from this time (ISO-8601 or Unix seconds)')
      .option('--until <time>', 'trades and prices up to this time')
      .option('--timeout <seconds>', 'stop gracefully after this many seconds')
      .option('--fresh', 'ignore saved progress and start over')
      .option('--follow', 'after the backfill, keep polling and listen to the market WebSocket')
      .option('--retry-failures', 'replay the requests recorded in pma.failures, then exit')
      .option('--workers <n>', 'concurrent units per fetcher (default 4; prices: --price-workers)')
      .option('--trade-workers <n>', 'concurrent markets for trades (default: --workers)')
      .option('--price-workers <n>', 'concurrent tokens for prices (default 16)')
      .option('--metrics-port <port>', 'serve Prometheus metrics on this port')
      .addOption(new Option('--rate-limits <table>', 'published limit table to respect').choices(['current', '2025-12', 'off']))
      .option('--resolution <r>', 'price resolution: adaptive | hourly | minute | fidelity in minutes')
      .option('--poll-interval <seconds>', 'follow mode: seconds between polls')
      .option('--holders-interval <seconds>', "follow mode: seconds between snapshots of every market's top holders (default 3600)")
      .option('--open-interest-interval <seconds>', "follow mode: seconds between snapshots of every market's open interest (default 900)")
      .action(
        action(async (ctx, flags: Record<string, unknown>) => {
          const settings = resolveSection(ingestSettingsSchema, sectionSources('ingest', INGEST_KEYS, ctx.config.file, process.env, flags));
          const logger = ctx.logger;
          const { transport, serde } = await openLogAndSerde(ctx, 'pma-ingest');
          const metrics = createMetricsRegistry({ labels: { stage: 'ingest' } });
          if (settings.metricsPort !== undefined) {
            const server = await serveMetrics(metrics, { port: settings.metricsPort }, logger);
            ctx.onClose(() => server.close());
          }
          const simSection = ctx.config.file.sim;
          const source = await openSource(settings, logger, typeof simSection === 'object' && simSection !== null ? (simSection as Record<string, unknown>) : {});
          ctx.onClose(() => source.close());
          const board = new ProgressBoard({
            lineIntervalMs: settings.progressInterval * 1000,
            logger: ctx.config.logFormat === 'json' ? logger : undefined,
          });
          if (settings.timeout !== undefined) {
            const timer = setTimeout(() => ctx.stop(`--timeout ${settings.timeout}s elapsed`), settings.timeout * 1000);
            timer.unref();
            ctx.onClose(() => clearTimeout(timer));
          }
          board.start();
          let summary: Awaited<ReturnType<typeof runIngest>>;
          try {
            summary = await runIngest({ ...settings, urls: source.urls }, { transport, serde, logger, signal: ctx.signal, metrics, progress: board });
          } finally {
            const table = board.stop();
            if (board.tasks().length > 0) process.stdout.write(`${table}\n`);
          }
          const notes = [
            summary.stopped ? 'stopped before the end: the next run resumes from pma.cursors' : 'complete',
            `${summary.failures} failed request(s) in pma.failures${summary.failures ? ' (replay: pma ingest --retry-failures)' : ''}`,
            `${summary.gaps} gap(s) in pma.gaps`,
            `${summary.deadLetters} malformed body(ies) in pma.dlq`,
          ];
          process.stdout.write(`ingest ${notes.join('; ')}\n`);
        }),
      ),
  );
}
