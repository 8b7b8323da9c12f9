/**
 * `pma topics`: the topics of the configured transport.
 *   list (default)   name, partitions, cleanup policy, retention, records held (high - low)
 *   create <name>    --partitions N [--compact] [--retention-ms MS] [--retention-bytes B]
 *   init             creates every topic of the pipeline's catalogue (schemas/topics.ts)
 *   describe <name>  the topic, its partitions' offsets, and every group's committed offset and lag
 *   delete <name>    deletes a topic with its records and committed offsets (needs --yes)
 * `--json` prints machine-readable output instead of tables.
 */
import type { Command } from 'commander';
import { ConfigError, TopicError } from '../../runtime/errors.ts';
import { ALL_TOPICS } from '../../schemas/topics.ts';
import { openTransport } from '../../transport/index.ts';
import type { PartitionLag, PartitionOffsets, TopicDescription, TopicSpec, Transport } from '../../transport/types.ts';
import { type ActionContext, action } from '../action.ts';

export function register(program: Command): void {
  const topics = program.command('topics').description('list, create, describe and delete topics');

  topics.command('list', { isDefault: true }).description('list topics with partitions, cleanup policy, retention and records held').option('--json', 'print JSON').action(action(list));

  topics
    .command('create')
    .description('create a topic (an existing one is left as it is; on Kafka it may have more partitions, not fewer)')
    .argument('<name>', 'topic name (a-z A-Z 0-9 . _ -)')
    .requiredOption('--partitions <n>', 'number of partitions (on Kafka, a configured kafka.partitions or kafka.topics.<name>.partitions wins)')
    .option('--compact', 'keep only the last value per key (cleanup policy compact)')
    .option('--retention-ms <ms>', 'delete records older than this (delete policy)')
    .option('--retention-bytes <bytes>', 'per partition, delete the oldest records past this size (delete policy)')
    .action(action(create));

  topics.command('init').description("create every topic of the pipeline's catalogue that is missing").action(action(init));

  topics
    .command('describe')
    .description("show a topic, its partitions' offsets, and each consumer group's position and lag")
    .argument('<name>', 'topic name')
    .option('--json', 'print JSON')
    .action(action(describe));

  topics.command('delete').description('delete a topic with all its records and committed offsets').argument('<name>', 'topic name').option('--yes', 'really delete (required)').action(action(remove));
}

async function open(ctx: ActionContext): Promise<Transport> {
  const transport = await openTransport(ctx.config, ctx.logger, 'pma-topics');
  ctx.onClose(() => transport.close());
  return transport;
}

function count(flag: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new ConfigError(`${flag}: must be an integer >= ${min} (got ${JSON.stringify(value)})`, { flag, value });
  }
  return n;
}

async function create(ctx: ActionContext, flags: { partitions: string; compact?: boolean; retentionMs?: string; retentionBytes?: string }, [name]: string[]): Promise<void> {
  const spec: TopicSpec = { name: name!, partitions: count('--partitions', flags.partitions, 1)!, cleanupPolicy: flags.compact ? 'compact' : 'delete' };
  const retentionMs = count('--retention-ms', flags.retentionMs, 1);
  const retentionBytes = count('--retention-bytes', flags.retentionBytes, 1);
  if (flags.compact && (retentionMs !== undefined || retentionBytes !== undefined)) {
    throw new ConfigError('--retention-ms and --retention-bytes apply to delete-policy topics, not with --compact', { flag: '--compact' });
  }
  if (retentionMs !== undefined) spec.retentionMs = retentionMs;
  if (retentionBytes !== undefined) spec.retentionBytes = retentionBytes;
  const admin = (await open(ctx)).admin();
  const existed = await admin.describeTopic(spec.name);
  await admin.createTopics([spec]);
  process.stdout.write(`${existed ? 'topic exists' : 'created'}: ${formatSpec((await admin.describeTopic(spec.name))!)}\n`);
}

async function init(ctx: ActionContext): Promise<void> {
  const admin = (await open(ctx)).admin();
  const existing = new Set((await admin.listTopics()).map((t) => t.name));
  await admin.createTopics(ALL_TOPICS.map(({ name, partitions, cleanupPolicy }) => ({ name, partitions, cleanupPolicy })));
  for (const t of ALL_TOPICS) process.stdout.write(`${existing.has(t.name) ? 'exists ' : 'created'}  ${t.name}\n`);
}

async function list(ctx: ActionContext, flags: { json?: boolean }): Promise<void> {
  const admin = (await open(ctx)).admin();
  const topics = await admin.listTopics();
  const rows = await Promise.all(topics.map(async (t) => ({ ...t, offsets: await admin.offsets(t.name) })));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write("no topics (pma topics init creates the pipeline's topics)\n");
    return;
  }
  process.stdout.write(
    `${table(
      ['topic', 'partitions', 'policy', 'retention', 'records', 'high'],
      rows.map((r) => [r.name, String(r.partitions), r.cleanupPolicy, retention(r), num(held(r.offsets)), num(r.offsets.reduce((n, p) => n + p.high, 0))]),
      [false, true, false, false, true, true],
    )}\n`,
  );
}

async function describe(ctx: ActionContext, flags: { json?: boolean }, [name]: string[]): Promise<void> {
  const admin = (await open(ctx)).admin();
  const topic = await admin.describeTopic(name!);
  if (!topic) throw new TopicError(`topic "${name}" does not exist`, { topic: name });
  const offsets = await admin.offsets(topic.name);
  const groups: Array<{ group: string; partitions: PartitionLag[] }> = [];
  for (const group of await admin.listGroups()) {
    if ((await admin.groupOffsets(group, topic.name)).length === 0) continue;
    groups.push({ group, partitions: await admin.lag(group, topic.name) });
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...topic, offsets, groups }, null, 2)}\n`);
    return;
  }
  const out = [
    formatSpec(topic),
    '',
    table(
      ['partition', 'low', 'high', 'records'],
      offsets.map((p) => [String(p.partition), num(p.low), num(p.high), num(p.high - p.low)]),
      [true, true, true, true],
    ),
  ];
  for (const g of groups) {
    out.push('', `group ${g.group}: lag ${num(g.partitions.reduce((n, p) => n + p.lag, 0))}`);
    out.push(
      table(
        ['partition', 'committed', 'high', 'lag'],
        g.partitions.map((p) => [String(p.partition), p.committed === null ? '-' : num(p.committed), num(p.high), num(p.lag)]),
        [true, true, true, true],
      ),
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function remove(ctx: ActionContext, flags: { yes?: boolean }, [name]: string[]): Promise<void> {
  if (!flags.yes) {
    throw new ConfigError(`deleting ${name} removes every record and committed offset: add --yes to confirm`, { flag: '--yes' });
  }
  await (await open(ctx)).admin().deleteTopics([name!]);
  process.stdout.write(`deleted ${name}\n`);
}

function formatSpec(t: TopicDescription): string {
  return `${t.name}: ${t.partitions} partition${t.partitions === 1 ? '' : 's'}, ${t.cleanupPolicy}${t.cleanupPolicy === 'delete' ? `, retention ${retention(t)}` : ''}`;
}

function retention(t: TopicDescription): string {
  if (t.cleanupPolicy === 'compact') return 'compacted';
  const parts: string[] = [];
  if (t.retentionMs !== undefined) parts.push(duration(t.retentionMs));
  if (t.retentionBytes !== undefined) parts.push(`${bytes(t.retentionBytes)}/partition`);
  return parts.length > 0 ? parts.join(', ') : 'forever';
}

function held(offsets: PartitionOffsets[]): number {
  return offsets.reduce((n, p) => n + p.high - p.low, 0);
}

export function num(n: number): string {
  return n.toLocaleString('en-US');
}

function duration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function bytes(n: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} B`;
}

/** An aligned text table; `right[i]` right-aligns column i (numbers). */
export function table(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
