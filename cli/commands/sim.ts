/**
 * `pma sim`: the offline Polymarket (simulator/index.ts) on 127.0.0.1:8787 by default, and
 * `pma sim export-truth`: the ground truth of the same world as JSON lines. Settings come from
 * flags, `PMA_SIM_*` variables and the `sim` section of the config file (flags win); both commands
 * take the same world flags, so a truth export matches the server it was built for.
 */
import { createWriteStream } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Command, Option } from 'commander';
import { resolveSection, sectionSources } from '../../runtime/config.ts';
import { ConfigError } from '../../runtime/errors.ts';
import { parseFaultFlag } from '../../simulator/http/faults.ts';
import { TRUTH_TYPES, type TruthType } from '../../simulator/keys.ts';
import { DEFAULT_PORT, type SimOptionsInput, simOptionsSchema } from '../../simulator/options.ts';
import { action } from '../action.ts';

const SIM_KEYS = Object.keys(simOptionsSchema.shape);

/** Resolves when the stream drains or fails (a closed pipe ends the export, it is not an error). */
function drained(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('error', done);
      resolve();
    };
    out.on('drain', done);
    out.on('error', done);
  });
}
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** World options shared by `pma sim` and `pma sim export-truth`. */
function worldOptions(cmd: Command): Command {
  return cmd
    .option('--seed <n>', 'world seed (default 1)')
    .addOption(new Option('--profile <name>', 'caps and defaults of an era (default current)').choices(['current', '2025-12']))
    .option('--markets <n>', 'synthetic markets (default 2000)')
    .option('--events <n>', 'synthetic events grouping them (default 40% of markets)')
    .option('--trades-per-market <n>', 'mean fills per market, heavy-tailed (default 40)')
    .option('--price-points <n>', 'price points per token over its life (default 120)')
    .option('--leaderboard-size <n>', 'rows of each OVERALL board (default 200)')
    .option('--wallets <n>', 'proxy wallets in the pool (default 5 per market)')
    .option('--world-start <time>', 'ISO-8601 or Unix seconds (default 2023-01-01T00:00:00Z)')
    .option('--world-end <time>', 'ISO-8601 or Unix seconds; "now" of a static world (default 2026-11-01T00:00:00Z)')
    .option('--no-fixtures', 'leave out the captured real samples')
    .option('--live', 'the world keeps moving from its end time (new fills, markets, resolutions)')
    .option('--live-speed <x>', 'simulated seconds per real second (default 1)')
    .option('--live-trade-rate <n>', 'new fills per simulated second, whole world (default 5)')
    .option('--live-new-market-rate <n>', 'new markets per simulated hour (default 6)')
    .option('--live-resolve-rate <n>', 'early resolutions per simulated hour (default 2)')
    .option('--book-period-sec <n>', 'simulated seconds between order-book changes (default 5)')
    .option('--override <section.knob=value>', 'override one profile knob, e.g. data.tradesMaxOffset=3000 (repeatable)', collect);
}

function parseOverrides(list: string[] | undefined): Record<string, Record<string, unknown>> | undefined {
  if (!list) return undefined;
  const out: Record<string, Record<string, unknown>> = {};
  for (const item of list) {
    const m = /^(gamma|data|clob|ws|limits)\.([A-Za-z0-9]+)=(.*)$/.exec(item);
    if (!m) throw new ConfigError(`--override "${item}": expected <gamma|data|clob|ws|limits>.<knob>=<value>`, { flag: '--override' });
    let value: unknown = m[3];
    try {
      value = JSON.parse(m[3]!);
    } catch {
      // A bare word stays a string.
    }
    out[m[1]!] = { ...out[m[1]!], [m[2]!]: value };
  }
  return out;
}

/** Only flags the user typed: defaults of negatable options must not hide the config file. */
function typedFlags(command: Command): Record<string, unknown> {
  const opts = command.opts();
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(opts)) if (command.getOptionValueSource(k) === 'cli' || command.getOptionValueSource(k) === 'env') out[k] = opts[k];
  if (out.fault)
    out.faults = (out.fault as string[]).map((f) => {
      try {
        return parseFaultFlag(f);
      } catch (err) {
        throw new ConfigError(`--fault "${f}": ${(err as Error).message}`, { flag: '--fault' });
      }
    });
  delete out.fault;
  if (out.override) out.overrides = parseOverrides(out.override as string[]);
  delete out.override;
  for (const k of ['out', 'type', 'asOf', 'takerOnly', 'priceFidelity', 'count']) delete out[k];
  return out;
}

function simSettings(ctx: { config: { file: Record<string, unknown> } }, command: Command): SimOptionsInput {
  return resolveSection(simOptionsSchema, sectionSources('sim', SIM_KEYS, ctx.config.file, process.env, typedFlags(command))) as SimOptionsInput;
}

export function register(program: Command): void {
  const sim = worldOptions(
    new Command('sim')
      .description(`run the offline Polymarket simulator (Gamma, Data API, CLOB, market WebSocket) on 127.0.0.1:${DEFAULT_PORT}`)
      .option('--host <host>', 'listen address (default 127.0.0.1)')
      .option('--port <port>', `listen port, 0 = any free port (default ${DEFAULT_PORT})`),
  )
    .option('--no-limits', 'do not enforce the published rate limits')
    .option('--limit-scale <x>', 'multiply every published limit (default 1)')
    .addOption(new Option('--limit-mode <mode>', 'over the limit: hold, refuse with 429, or hold then refuse').choices(['delay', 'reject', 'mixed']))
    .option('--fault <kind:rate[:k=v,...]>', 'inject a fault, e.g. error:0.1, slow:0.05:delayMs=3000, shift:0.2:rows=5 (repeatable)', collect)
    .option('--fault-seed <n>', 'seed of the fault decisions (default 1)')
    .option('--ws-tick-ms <ms>', 'real milliseconds between WebSocket ticks (default 500)')
    .option('--request-log-size <n>', 'entries kept in the request log (default 10000)')
    .action(
      action(async (ctx, _flags, _args) => {
        const settings = simSettings(ctx, sim);
        // This process only serves, and its live data is small (~30 MB): keep V8 from growing the
        // young generation (it reached 130 MB of mostly empty space serving big pages) and let the
        // old generation grow only 20% over what survives a full GC. Both flags are read whenever
        // V8 resizes, so they work set at run time.
        setFlagsFromString('--semi-space-growth-factor=1');
        setFlagsFromString('--heap-growing-percent=20');
        // Loaded here so that other commands do not pay for the simulator's modules.
        const { startSimulator } = await import('../../simulator/index.ts');
        const server = await startSimulator({ ...settings, logger: ctx.logger });
        ctx.onClose(() => server.close());
        const world = server.world;
        let fills = 0;
        for (let m = 0; m < world.marketCount(); m++) fills += world.histCount(m);
        process.stdout.write(
          `pma sim: ${server.url} (profile ${server.profile.name}, ${world.marketCount()} markets, ${fills} fills, ${server.options.live ? 'live' : 'static'})\n` +
            `  gamma ${server.urls.gamma}\n  data  ${server.urls.data}\n  clob  ${server.urls.clob}\n  ws    ${server.urls.ws}\n  control ${server.url}/__sim/stats\n`,
        );
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) return resolve();
          ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }),
    );

  worldOptions(
    sim
      .command('export-truth')
      .description('write the ground truth of a world as JSON lines: every record a complete ingest must produce, with its key')
      .option('--out <file>', 'write to a file instead of stdout')
      .option('--type <type>', `record types to export (repeatable): ${TRUTH_TYPES.join(', ')}`, collect)
      .option('--as-of <time>', 'world time (ISO-8601 or Unix seconds; default the world end)')
      .option('--taker-only', 'only taker rows of trades (what takerOnly=true serves)')
      .option('--price-fidelity <minutes>', 'every n-minute point of the price series (default 1: all points)')
      .option('--count', 'print the number of records per type instead of the records'),
  ).action(
    action(async (ctx, flags: Record<string, unknown>) => {
      // World flags may land on `sim` or on `export-truth` depending on where they were typed.
      const exportCmd = sim.commands.find((c) => c.name() === 'export-truth')!;
      const typed = { ...typedFlags(sim), ...typedFlags(exportCmd) };
      const settings = resolveSection(simOptionsSchema, sectionSources('sim', SIM_KEYS, ctx.config.file, process.env, typed)) as SimOptionsInput;
      const { createWorld } = await import('../../simulator/index.ts');
      const { truthCounts, truthRecords } = await import('../../simulator/truth.ts');
      // A live world differs from a static one after its end (live fills, early resolutions): keep --live.
      const { world, profile, options } = createWorld(settings);
      const types = flags.type as string[] | undefined;
      for (const t of types ?? []) if (!(TRUTH_TYPES as readonly string[]).includes(t)) throw new ConfigError(`--type "${t}": expected one of ${TRUTH_TYPES.join(', ')}`, { flag: '--type' });
      let asOf: number | undefined;
      if (flags.asOf !== undefined) {
        const raw = String(flags.asOf);
        asOf = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw) / 1000;
        if (!Number.isFinite(asOf)) throw new ConfigError(`--as-of "${raw}": expected ISO-8601 or Unix seconds`, { flag: '--as-of' });
      }
      const fidelity = flags.priceFidelity === undefined ? undefined : Number(flags.priceFidelity);
      if (fidelity !== undefined && (!Number.isInteger(fidelity) || fidelity < 1)) throw new ConfigError('--price-fidelity must be a positive integer', { flag: '--price-fidelity' });
      const opts = {
        ...(types ? { types: types as TruthType[] } : {}),
        asOf: asOf ?? options.worldEnd,
        ...(fidelity !== undefined ? { priceFidelity: fidelity } : {}),
        takerOnly: flags.takerOnly === true,
      };
      const out = flags.out ? createWriteStream(String(flags.out)) : process.stdout;
      let broken: Error | null = null;
      out.on('error', (err: Error) => {
        broken = err;
      });
      if (flags.count) {
        out.write(`${JSON.stringify(truthCounts(world, profile, opts))}\n`);
      } else {
        let buffer = '';
        for (const record of truthRecords(world, profile, opts)) {
          if (ctx.signal.aborted || broken) break;
          buffer += `${JSON.stringify(record)}\n`;
          if (buffer.length >= 1 << 16) {
            if (!out.write(buffer)) await drained(out);
            buffer = '';
          }
        }
        if (buffer) out.write(buffer);
      }
      if (out !== process.stdout) {
        const file = out as ReturnType<typeof createWriteStream>;
        await new Promise<void>((resolve, reject) => {
          file.once('error', reject);
          file.end(() => resolve());
        });
      }
    }),
  );

  program.addCommand(sim);
}
