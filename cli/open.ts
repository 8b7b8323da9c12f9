/**
 * The log and the schema registry a pipeline command reads and writes, opened from the global
 * settings and closed (registry first, then the log) when the command ends.
 */
import { openRegistry } from '../registry/index.ts';
import { Serde } from '../registry/serde.ts';
import { openTransport } from '../transport/index.ts';
import type { Transport } from '../transport/types.ts';
import type { CommandContext } from './context.ts';

export async function openLogAndSerde(ctx: CommandContext, clientId: string): Promise<{ transport: Transport; serde: Serde }> {
  const transport = await openTransport(ctx.config, ctx.logger, clientId);
  ctx.onClose(() => transport.close());
  const registry = await openRegistry(ctx.config);
  ctx.onClose(() => registry.close());
  return { transport, serde: new Serde(registry) };
}
