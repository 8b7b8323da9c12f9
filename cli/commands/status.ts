/**
 * `pma status`: what the pipeline holds and how far each part got. The report is made of
 * sections, each a provider in STATUS_SECTIONS below; a part of the pipeline adds its own
 * (cursors, layer progress) by appending a provider. Every section prints as text, or as one
 * key of the JSON object with `--json`.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { TransportError } from '../../runtime/errors.ts';
import { embeddedLogPath, openTransport } from '../../transport/index.ts';
import type { PartitionLag, PartitionOffsets, Transport } from '../../transport/types.ts';
import { type ActionContext, action } from '../action.ts';
import { cursorsSection } from './cursors-status.ts';
import { layersSection } from './layers-status.ts';
import { silverSection } from './silver-status.ts';
import type { StatusContext, StatusOptions, StatusSection } from './status-section.ts';
import { num, table } from './topics.ts';

interface TopicStatus {
  topic: string;
  partitions: PartitionOffsets[];
  records: number;
  high: number;
}

interface GroupStatus {
  group: string;
  topic: string;
  committed: number;
  high: number;
  lag: number;
  partitions: PartitionLag[];
}

/** Offsets of every topic: how many records it holds and its high watermark. */
export const topicsSection: StatusSection = {
  name: 'topics',
  async collect(ctx) {
    const admin = (await ctx.transport()).admin();
    const topics: TopicStatus[] = [];
    for (const t of await admin.listTopics()) {
      const partitions = await admin.offsets(t.name);
      topics.push({
        topic: t.name,
        partitions,
        records: partitions.reduce((n, p) => n + p.high - p.low, 0),
        high: partitions.reduce((n, p) => n + p.high, 0),
      });
    }
    if (topics.length === 0) return { text: ['no topics'], json: [] };
    const detail = ctx.options.partitions;
    const rows: string[][] = [];
    for (const t of topics) {
      rows.push(detail ? [t.topic, '', num(t.records), num(t.high)] : [t.topic, num(t.records), num(t.high)]);
      if (detail) for (const p of t.partitions) rows.push([`  [${p.partition}]`, num(p.low), num(p.high - p.low), num(p.high)]);
    }
    const header = detail ? ['topic', 'low', 'records', 'high'] : ['topic', 'records', 'high'];
    return { text: table(header, rows, [false, true, true, true]).split('\n'), json: topics };
  },
};

/** Per consumer group and topic: committed offset, high watermark and lag (totals, and per partition on request). */
export const lagSection: StatusSection = {
  name: 'groups',
  async collect(ctx) {
    const admin = (await ctx.transport()).admin();
    const wanted = ctx.options.groups;
    const groups = (await admin.listGroups()).filter((g) => wanted.length === 0 || wanted.includes(g));
    const topics = (await admin.listTopics()).map((t) => t.name);
    const out: GroupStatus[] = [];
    for (const group of groups) {
      for (const topic of topics) {
        if ((await admin.groupOffsets(group, topic)).length === 0) continue;
        const partitions = await admin.lag(group, topic);
        out.push({
          group,
          topic,
          // A partition never committed counts at its log start, so that high - committed = lag.
          committed: partitions.reduce((n, p) => n + (p.committed ?? p.high - p.lag), 0),
          high: partitions.reduce((n, p) => n + p.high, 0),
          lag: partitions.reduce((n, p) => n + p.lag, 0),
          partitions,
        });
      }
    }
    if (out.length === 0) return { text: [wanted.length > 0 ? `no committed offsets for ${wanted.join(', ')}` : 'no consumer group has committed yet'], json: [] };
    const rows: string[][] = [];
    for (const g of out) {
      rows.push([g.group, g.topic, num(g.committed), num(g.high), num(g.lag)]);
      if (ctx.options.partitions) {
        for (const p of g.partitions) {
          rows.push(['', `  [${p.partition}]`, p.committed === null ? '-' : num(p.committed), num(p.high), num(p.lag)]);
        }
      }
    }
    return { text: table(['group', 'topic', 'committed', 'high', 'lag'], rows, [false, false, true, true, true]).split('\n'), json: out };
  },
};

/**
 * The cheap checks of `pma verify`: file names against the log, Silver's offsets, the snapshot,
 * leftovers. Any finding makes status exit 1; `pma verify` reads every batch and row.
 */
export const damageSection: StatusSection = {
  name: 'damage',
  async collect(ctx) {
    const { collectFindings, formatFindings } = await import('./verify.ts');
    const findings = await collectFindings(ctx.action, { thorough: false, repair: false, signal: ctx.action.signal });
    if (findings.length > 0) process.exitCode = 1;
    const text =
      findings.length === 0
        ? ['none found by the quick checks (pma verify checks every batch and row)']
        : [...formatFindings(findings, false), 'run pma verify for the full check, pma verify --repair to fix'];
    return { text, json: findings };
  },
};

/** The sections `pma status` prints, in order. Parts of the pipeline append theirs here. */
export const STATUS_SECTIONS: StatusSection[] = [topicsSection, lagSection, cursorsSection, silverSection, layersSection, damageSection];

export function register(program: Command): void {
  program
    .command('status')
    .description('show topics, consumer-group lag and pipeline progress')
    .option('--partitions', 'show every partition, not only totals')
    .option('--group <ids>', 'only these consumer groups (comma-separated)')
    .option('--json', 'print one JSON object, a key per section')
    .action(action(status));
}

async function status(ctx: ActionContext, flags: { partitions?: boolean; group?: string; json?: boolean }): Promise<void> {
  const options: StatusOptions = {
    partitions: flags.partitions ?? false,
    groups: (flags.group ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean),
  };
  if (ctx.config.transport === 'embedded') {
    const { madeFromLog, unreadableDir } = await import('./verify.ts');
    const { checkLogFile } = await import('../../transport/embedded/verify.ts');
    const path = embeddedLogPath(ctx.config.dataDir);
    // Opening the transport on a damaged file would hide the damage (an emptied file gets new, empty tables): look first.
    const problem =
      unreadableDir(ctx.config.dataDir) ??
      (() => {
        const state = checkLogFile(path, false);
        return state.state === 'unreadable' ? state.finding : undefined;
      })();
    if (problem) throw new TransportError(`the embedded log cannot be used: ${problem.detail}`, { path });
    const orphans = existsSync(path) ? [] : madeFromLog(ctx.config.dataDir);
    if (orphans.length > 0) throw new TransportError(`the embedded log ${path} is gone while ${orphans.join(' and ')}, made from it, exist`, { path });
    if (!existsSync(path)) {
      // Reading status must not create an empty log where none was.
      const message = `no embedded log at ${path} yet (run pma topics init, or pma run)`;
      process.stdout.write(flags.json ? `${JSON.stringify({ message })}\n` : `${message}\n`);
      return;
    }
  }
  let opened: Promise<Transport> | undefined;
  const statusContext: StatusContext = {
    action: ctx,
    options,
    transport: () => {
      opened ??= openTransport(ctx.config, ctx.logger, 'pma-status').then((t) => {
        ctx.onClose(() => t.close());
        return t;
      });
      return opened;
    },
  };
  const json: Record<string, unknown> = {};
  const text: string[] = [];
  for (const section of STATUS_SECTIONS) {
    const report = await section.collect(statusContext);
    json[section.name] = report.json;
    text.push(`${section.name}:`, ...report.text.map((l) => `  ${l}`), '');
  }
  process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : text.join('\n'));
}
