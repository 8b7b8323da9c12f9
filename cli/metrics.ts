/**
 * The metrics of a command's stages: one registry for every stage the process runs (each stage
 * takes it as `deps.metrics`), served on `--metrics-port` until the command closes.
 */
import type { Registry } from 'prom-client';
import { createMetricsRegistry, serveMetrics } from '../runtime/metrics.ts';
import type { CommandContext } from './context.ts';

export async function commandMetrics(ctx: CommandContext, port: number | undefined): Promise<Registry> {
  const registry = createMetricsRegistry();
  if (port !== undefined) {
    const server = await serveMetrics(registry, { port }, ctx.logger);
    ctx.onClose(() => server.close());
  }
  return registry;
}
