/**
 * `pma verify [--repair] [--json]`: what is on disk against the log, in one table. Each layer's
 * checks live beside it (transport/embedded/verify.ts, sinks/bronze/verify.ts,
 * sinks/silver/verify.ts); this composes them, in the order a repair needs: the log first (a
 * damaged batch is quarantined before anything reads through it), then Bronze, then Silver.
 *
 * Exit code 0 when nothing is wrong (with --repair: when everything found was repaired), 1 when
 * damage remains. `pma status` runs the cheap part (collectFindings with thorough false).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Serde } from '../../registry/serde.ts';
import { AbortedError, describeError } from '../../runtime/errors.ts';
import { type Finding, type LogRecordSource, settle } from '../../runtime/verify.ts';
import type { CleanTopicKey } from '../../schemas/clean-records.ts';
import { embeddedLogPath, openTransport } from '../../transport/index.ts';
import type { Transport } from '../../transport/types.ts';
import { type ActionContext, action } from '../action.ts';
import type { CommandContext } from '../context.ts';
import { table } from './topics.ts';

export function register(program: Command): void {
  program
    .command('verify')
    .description('check the log, Bronze, Silver and the snapshot against each other; --repair fixes what can be fixed')
    .option('--repair', 'rewrite missing Bronze files from the log, rebuild Silver when its offsets cannot be trusted, quarantine damaged log batches')
    .option('--json', 'print one JSON object: { ok, findings }')
    .action(action(verify));
}

async function verify(ctx: ActionContext, flags: { repair?: boolean; json?: boolean }): Promise<void> {
  const findings = await collectFindings(ctx, { thorough: true, repair: flags.repair ?? false, signal: ctx.signal });
  const ok = findings.every((f) => f.repaired === true);
  const empty = ctx.config.transport === 'embedded' && findings.length === 0 && !existsSync(embeddedLogPath(ctx.config.dataDir));
  const text = empty ? [`no embedded log at ${embeddedLogPath(ctx.config.dataDir)} and nothing read from one: nothing to verify`] : formatFindings(findings, flags.repair ?? false);
  process.stdout.write(flags.json ? `${JSON.stringify({ ok, findings })}\n` : `${text.join('\n')}\n`);
  if (!ok) process.exitCode = 1;
}

/** The findings as one table (or one line when there are none). */
export function formatFindings(findings: readonly Finding[], repair: boolean): string[] {
  if (findings.length === 0) return ['nothing wrong: the log, Bronze, Silver and the snapshot agree'];
  const cell = (n: number | undefined) => (n === undefined ? '' : String(n));
  const header = ['layer', 'kind', 'topic', 'partition', 'from', 'to', 'detail'];
  if (repair) header.push('action');
  const rows = findings.map((f) => {
    const row = [f.layer, f.kind, f.topic ?? '', cell(f.partition), cell(f.from), cell(f.to), f.lost === undefined ? f.detail : `${f.detail} (${f.lost} records lost)`];
    if (repair) row.push(f.action ?? 'cannot repair: no repair for this kind');
    return row;
  });
  return table(header, rows, [false, false, false, true, true, true, false, false].slice(0, header.length)).split('\n');
}

export interface CollectOptions {
  /** Read every batch, every row; false: the cheap checks `pma status` runs. */
  thorough: boolean;
  repair: boolean;
  signal: AbortSignal;
}

/** Runs the checks (and repairs) and returns every finding, repaired or not. */
export async function collectFindings(ctx: CommandContext, options: CollectOptions): Promise<Finding[]> {
  const { dataDir } = ctx.config;
  const dirProblem = unreadableDir(dataDir);
  if (dirProblem) return [dirProblem];
  const findings: Finding[] = [];
  let transport: Transport | undefined;
  const openedTransport = async (): Promise<Transport> => {
    if (!transport) {
      transport = await openTransport(ctx.config, ctx.logger, 'pma-verify');
      const t = transport;
      ctx.onClose(() => t.close());
    }
    return transport;
  };
  let source: LogRecordSource;
  if (ctx.config.transport === 'embedded') {
    const log = await import('../../transport/embedded/verify.ts');
    const path = embeddedLogPath(dataDir);
    const state = log.checkLogFile(path, options.thorough);
    if (state.state === 'unreadable') {
      const f = state.finding;
      f.detail += '; Bronze and Silver were not checked against it';
      if (options.repair) settle(f, false, 'cannot repair: restore the file from a backup, or move it away to start a new log');
      return [f];
    }
    if (state.state === 'missing') {
      const held = madeFromLog(dataDir);
      if (held.length === 0) return [];
      const f: Finding = { layer: 'log', kind: 'missing', detail: `${path} is gone while ${held.join(' and ')}, made from it, exist; nothing was checked against it` };
      return [options.repair ? settle(f, false, 'cannot repair: restore the log from a backup') : f];
    }
    if (options.thorough) {
      const damaged = log.findDamagedBatches(path);
      findings.push(...log.quarantinedBatches(path));
      if (options.repair) {
        for (const f of findings) settle(f, false, 'cannot repair: the records are gone from the log');
        if (damaged.length > 0) {
          const { quarantineBatches } = await import('../../transport/embedded/quarantine.ts');
          try {
            const lost = await quarantineBatches(
              path,
              await openedTransport(),
              damaged.map((d) => ({ id: d.id, topic: d.finding.topic!, partition: d.finding.partition!, from: d.finding.from!, to: d.finding.to!, reason: d.finding.detail })),
            );
            for (const d of damaged) {
              d.finding.lost = lost.get(d.id) ?? 0;
              settle(d.finding, false, `quarantined (${d.finding.lost} records lost, one dead letter each in pma.dlq)`);
            }
          } catch (err) {
            if (err instanceof AbortedError) throw err;
            for (const d of damaged) settle(d.finding, false, `cannot repair: quarantine failed: ${describeError(err)}`);
          }
        }
      }
      findings.push(...damaged.map((d) => d.finding));
    }
    const embedded = new log.EmbeddedRecordSource(path);
    ctx.onClose(() => embedded.close());
    source = embedded;
  } else {
    const { TransportRecordSource } = await import('./verify-source.ts');
    source = new TransportRecordSource(await openedTransport());
  }

  let serde: Serde | undefined;
  const openedSerde = async (): Promise<Serde> => {
    if (!serde) {
      const { openRegistry } = await import('../../registry/index.ts');
      const { Serde } = await import('../../registry/serde.ts');
      const registry = await openRegistry(ctx.config);
      ctx.onClose(() => registry.close());
      serde = new Serde(registry);
    }
    return serde;
  };
  await guarded('bronze', findings, options, async () => findings.push(...(await bronzeFindings(ctx, source, options, openedSerde))));

  const silver = await import('../../sinks/silver/verify.ts');
  const { defaultSilverPath } = await import('../../sinks/silver/query-client.ts');
  const silverPath = defaultSilverPath(dataDir);
  await guarded('silver', findings, options, async () => {
    const check = await silver.checkSilver({ silverPath }, source);
    try {
      if (options.repair && check.findings.length > 0) {
        await silver.repairSilver(check, silverPath, { transport: await openedTransport(), serde: await openedSerde(), logger: ctx.logger, signal: options.signal });
      }
    } finally {
      findings.push(...check.findings);
    }
  });
  return findings;
}

/**
 * Runs one layer's checks; if they fail (a file vanishing mid-read, a disk full during a repair),
 * that becomes a finding, so the report still says what the other layers hold and exits 1.
 */
async function guarded(layer: Finding['layer'], findings: Finding[], options: CollectOptions, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof AbortedError) throw err;
    const f: Finding = { layer, kind: 'failed', detail: `the ${layer} check stopped: ${describeError(err)}` };
    findings.push(options.repair ? settle(f, false, 'cannot repair: the check itself failed') : f);
  }
}

async function bronzeFindings(ctx: CommandContext, source: LogRecordSource, options: CollectOptions, serde: () => Promise<Serde>): Promise<Finding[]> {
  const bronze = await import('../../sinks/bronze/verify.ts');
  const { bronzeRoot } = await import('../../sinks/bronze/layout.ts');
  const root = bronzeRoot(ctx.config.dataDir);
  let scan = await bronze.scanBronze(root);
  const findings: Finding[] = [...scan.leftovers, ...scan.unreadable];
  if (options.repair && scan.leftovers.length > 0) {
    await bronze.repairLeftovers(root, scan.leftovers, ctx.logger);
    scan = await bronze.scanBronze(root);
  }
  const probes = new Map<CleanTopicKey, Promise<import('../../sinks/bronze/verify.ts').RowOf>>();
  const deps = {
    source,
    rowOf: (type: CleanTopicKey) => {
      let probe = probes.get(type);
      if (!probe) {
        probe = serde().then((s) => bronze.bronzeRowOf(s, type));
        probes.set(type, probe);
      }
      return probe;
    },
  };
  const damages = options.thorough ? await bronze.checkBronzeRows(scan, deps) : await bronze.checkBronzeNames(scan, deps);
  if (options.repair) {
    await bronze.repairBronze(root, scan, damages, deps);
    for (const f of scan.unreadable) settle(f, false, 'cannot repair: move it away, then run verify --repair again');
  }
  findings.push(...damages.map((d) => d.finding));
  return findings;
}

/** Bronze and Silver in the data dir: made from the log, so a missing log is damage, not "no log yet". */
export function madeFromLog(dataDir: string): string[] {
  return [join(dataDir, 'bronze'), join(dataDir, 'silver.duckdb')].filter((p) => existsSync(p));
}

/** The data dir exists but cannot be read: everything in it is out of reach, and saying "nothing there" would be wrong. */
export function unreadableDir(dataDir: string): Finding | undefined {
  try {
    statSync(dataDir);
    statSync(embeddedLogPath(dataDir));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return { layer: 'log', kind: 'unreadable', detail: `${dataDir}: the data dir cannot be read (${code ?? (err as Error).message})` };
  }
  return undefined;
}
