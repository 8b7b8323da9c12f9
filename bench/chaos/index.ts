/**
 * `pma bench chaos`: a long chaos schedule, scenario after scenario (each a seed, replayable
 * alone), printing per scenario its seed, kills, storage faults, HTTP faults, records checked,
 * lost and duplicated; `--readme` writes the table into README's chaos block.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { booleanish, positiveInt } from '../../runtime/config.ts';
import { type BenchEnv, benchSettings } from '../env.ts';
import { type ChaosPlan, planFor, SCENARIO_KINDS, type ScenarioKind, type Transport } from './plan.ts';
import { runScenario, type ScenarioResult } from './run.ts';
import { markdownTable, totals, writeReadmeTable } from './table.ts';

const list = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1));

const settingsSchema = z
  .object({
    seed: z.coerce.number().int().min(0).max(0xffffffff).default(1),
    scenarios: list(SCENARIO_KINDS).default([...SCENARIO_KINDS]),
    transports: list(['embedded', 'kafka'] as const).optional(),
    /** Times the scenario list is run, round r with seed + r. */
    rounds: positiveInt.default(1),
    /** Kills per scenario, over ingest, process and both sinks. */
    kills: z.coerce.number().int().min(0).default(8),
    /** Times the disk fills in each disk-full scenario. */
    diskFulls: positiveInt.default(2),
    bounceBroker: booleanish.default(false),
    kafkaBrokers: z.string().optional(),
    kafkaRegistry: z.string().optional(),
    readme: z.string().optional(),
    json: booleanish.default(false),
  })
  .strict();

/** Every scenario of a schedule: both profiles for the kill scenarios, the seed's profile otherwise; no log-file damage on Kafka. */
export function schedule(options: {
  seed: number;
  scenarios: readonly ScenarioKind[];
  transports: readonly Transport[];
  rounds: number;
  kills: number;
  diskFulls: number;
  bounces?: number;
}): ChaosPlan[] {
  const plans: ChaosPlan[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const seed = options.seed + round;
    for (const kind of options.scenarios) {
      for (const transport of options.transports) {
        if (transport === 'kafka' && kind.startsWith('log-')) continue;
        const base = { transport, kills: options.kills, diskFulls: options.diskFulls, brokerBounces: transport === 'kafka' ? (options.bounces ?? 0) : 0 };
        if (kind === 'kills') for (const profile of ['current', '2025-12'] as const) plans.push(planFor(seed, kind, { ...base, profile }));
        else plans.push(planFor(seed, kind, base));
      }
    }
  }
  return plans;
}

function line(r: ScenarioResult): string {
  const o = r.oracle;
  const checked = o ? `checked ${o.checked}, lost ${o.lost}, duplicated ${o.duplicated}` : r.verify ? 'oracle skipped (the log lost records for good, as verify names)' : 'no oracle (did not finish)';
  const verdict = r.problems.length === 0 ? 'pass' : `FAIL ${r.replay}\n    ${r.problems.join('\n    ')}`;
  return `${r.plan.kind} ${r.plan.transport} ${r.plan.profile} seed ${r.plan.seed}: kills ${r.kills}, storage faults ${r.storageFaults}, HTTP faults ${r.faultsInjected}, ${checked}, ${Math.round(r.seconds)} s: ${verdict}`;
}

export async function benchChaos(env: BenchEnv, flags: Record<string, unknown>): Promise<boolean> {
  const s = benchSettings(env, 'chaos', settingsSchema, flags);
  const brokers = s.kafkaBrokers ?? process.env.KAFKA_BROKERS;
  const registry = s.kafkaRegistry ?? process.env.SCHEMA_REGISTRY_URL;
  const kafka = brokers && registry ? { brokers, registry, state: process.env.PMA_KAFKA_STATE } : undefined;
  const transports = s.transports ?? (kafka ? ['embedded', 'kafka'] : ['embedded']);
  const plans = schedule({ ...s, transports, bounces: s.bounceBroker ? 2 : 0 });
  const say = (text: string) => process.stdout.write(`${text}\n`);
  const results: ScenarioResult[] = [];
  for (const plan of plans) {
    if (env.signal.aborted) break;
    const workDir = mkdtempSync(join(tmpdir(), `pma-chaos-${plan.kind}-`));
    say(`${plan.kind} ${plan.transport} ${plan.profile} seed ${plan.seed} …`);
    const result = await runScenario(plan, { workDir, kafka, bounceBroker: s.bounceBroker, say });
    results.push(result);
    say(line(result));
    if (result.problems.length === 0) rmSync(workDir, { recursive: true, force: true });
    else say(`    kept ${workDir}`);
  }
  const t = totals(results);
  say(
    `total: ${t.passed}/${t.scenarios} scenarios passed; ${t.kills} kills, ${t.storageFaults} storage faults, ${t.faultsInjected} HTTP faults; ${t.checked} records checked, ${t.lost} lost, ${t.duplicated} duplicated; ${Math.round(t.seconds)} s`,
  );
  if (s.json)
    say(
      JSON.stringify({
        totals: t,
        scenarios: results.map((r) => ({ ...r, oracle: r.oracle && { ...r.oracle, types: r.oracle.types.map((x) => ({ ...x, missing: x.missing.length, extra: x.extra.length })) } })),
      }),
    );
  else say(markdownTable(results));
  if (s.readme) {
    const how = `Produced by \`pma bench chaos --seed ${s.seed} --rounds ${s.rounds} --kills ${s.kills} --disk-fulls ${s.diskFulls} --scenarios ${s.scenarios.join(',')} --transports ${transports.join(',')}${s.bounceBroker ? ' --bounce-broker' : ''} --readme README.md\` on ${new Date().toISOString().slice(0, 10)}.`;
    writeReadmeTable(s.readme, results, how);
  }
  return t.passed === t.scenarios;
}
