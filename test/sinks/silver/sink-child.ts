/**
 * Runs the Silver sink in its own process for tests that kill it (SIGKILL) or read its files
 * from another program. Argument: JSON of { dir, path, snapshotPath?, snapshotIntervalMs?,
 * batchRows?, until?, groupId?, start?, standby?, announceCommits?, logLevel? }. With announceCommits it
 * prints "commit" after each durable commit; at the end the result as one JSON line. SIGTERM
 * stops it cleanly.
 */
import { EmbeddedRegistry } from '../../../registry/embedded.ts';
import { Serde } from '../../../registry/serde.ts';
import { createLogger, type LogLevel, silentLogger } from '../../../runtime/logger.ts';
import { runSilverSink, type SilverSinkOptions } from '../../../sinks/silver/index.ts';
import { createEmbeddedTransport } from '../../../transport/embedded/index.ts';
import { embeddedLogPath } from '../../../transport/index.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as Partial<SilverSinkOptions> & { dir: string; path: string; announceCommits?: boolean; logLevel?: LogLevel };
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
const transport = await createEmbeddedTransport({ path: embeddedLogPath(args.dir), logger: silentLogger });
const registry = new EmbeddedRegistry({ path: embeddedLogPath(args.dir) });
try {
  const result = await runSilverSink(
    {
      path: args.path,
      snapshotPath: args.snapshotPath ?? null,
      snapshotIntervalMs: args.snapshotIntervalMs ?? 60_000,
      groupId: args.groupId ?? 'pma-silver-test',
      batchRows: args.batchRows ?? 500,
      batchMaxMs: args.batchMaxMs ?? 200,
      until: args.until ?? 'caught-up',
      start: args.start,
      serveQueries: args.serveQueries ?? false,
      standby: args.standby,
    },
    {
      transport,
      serde: new Serde(registry),
      logger: args.logLevel ? createLogger({ format: 'text', level: args.logLevel }) : silentLogger,
      signal: stop.signal,
      onCommit: args.announceCommits ? () => process.stdout.write('commit\n') : undefined,
    },
  );
  process.stdout.write(`${JSON.stringify({ records: result.records, reason: result.reason })}\n`);
} finally {
  await transport.close();
  await registry.close();
}
