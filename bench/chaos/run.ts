/**
 * Runs one chaos scenario: the simulator of the plan's world in this process, the pipeline's
 * stages as real `pma` processes SIGKILLed on the plan's schedule and started again, the storage
 * faults of the plan, then a clean run of every stage to completion and the oracle.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { openRegistry } from '../../registry/index.ts';
import { Serde } from '../../registry/serde.ts';
import { BenchError } from '../../runtime/errors.ts';
import { loadKafkaConfig } from '../../runtime/kafka-config.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { type Simulator, startSimulator } from '../../simulator/index.ts';
import { embeddedLogPath, openTransport } from '../../transport/index.ts';
import { mountSmallDisk, type SmallDisk } from './disk.ts';
import { bounceBroker, dropPipelineTopics, type KafkaTarget, kafkaGlobal } from './kafka.ts';
import { checkOracle, type OracleReport } from './oracle.ts';
import { type ChaosPlan, replayLine, STAGES, type Stage } from './plan.ts';
import { RUN_LIMIT_MS, type RunOutcome, runPmaToEnd, startPma } from './pma-child.ts';
import { seededRandom } from './seeded-random.ts';
import { ingestArgs, stageArgs, stageEnv } from './stages.ts';
import { type VerifyReport, verifyRepair } from './verify.ts';

export interface RunOptions {
  /** An empty directory the scenario may use (its data dir goes inside). */
  workDir: string;
  kafka?: KafkaTarget;
  /** Bounce the broker at the plan's moments (Kafka; issue 15 says stages do not survive it yet). */
  bounceBroker?: boolean;
  say?: (line: string) => void;
}

export interface ScenarioResult {
  plan: ChaosPlan;
  kills: number;
  killsByStage: Record<Stage, number>;
  /** Disks filled, files deleted, logs damaged, brokers bounced. */
  storageFaults: number;
  /** HTTP faults the simulator injected into the producers' requests. */
  faultsInjected: number;
  /** Stage runs that failed while the disk was full or the broker down (then started again). */
  failedDuringOutage: number;
  retryRounds: number;
  verify?: VerifyReport;
  oracle?: OracleReport;
  /** Violations of the oracle or of what verify must report; empty when the scenario passed. */
  problems: string[];
  seconds: number;
  replay: string;
}

/** A stage run that fails this long after an outage ended may still have met it. */
const OUTAGE_GRACE_MS = 3_000;
/** `pma ingest --retry-failures` rounds before the failures left count as lost. */
const RETRY_ROUNDS = 10;

const tail = (text: string) => text.trim().split('\n').slice(-8).join('\n');

export async function runScenario(plan: ChaosPlan, options: RunOptions): Promise<ScenarioResult> {
  if (plan.transport === 'kafka' && !options.kafka) throw new BenchError('a Kafka scenario needs a broker (KAFKA_BROKERS, SCHEMA_REGISTRY_URL)', { value: replayLine(plan) });
  if (plan.transport === 'kafka' && plan.kind.startsWith('log-')) throw new BenchError(`${plan.kind} damages the embedded log's file: it has no Kafka form`, { value: replayLine(plan) });
  const started = Date.now();
  const say = options.say ?? (() => {});
  const dataDir = join(options.workDir, 'data');
  const result: ScenarioResult = {
    plan,
    kills: 0,
    killsByStage: { ingest: 0, process: 0, bronze: 0, silver: 0 },
    storageFaults: 0,
    faultsInjected: 0,
    failedDuringOutage: 0,
    retryRounds: 0,
    problems: [],
    seconds: 0,
    replay: replayLine(plan),
  };
  const sim = await startWorld(plan);
  let disk: SmallDisk | undefined;
  const live = new Set<ChildProcess>();
  let stopping = false;
  try {
    if (plan.kind === 'disk-full') disk = mountSmallDisk(dataDir, 256);
    if (options.kafka) await dropPipelineTopics(options.kafka);
    const global = plan.transport === 'kafka' && options.kafka ? kafkaGlobal(options.kafka) : [];
    const env = stageEnv(plan);
    const pma = (args: string[]) => {
      const started = startPma(dataDir, args, { global, env });
      live.add(started.child);
      started.child.on('close', () => live.delete(started.child));
      return started;
    };
    const complete = async (what: string, args: string[]): Promise<RunOutcome> => {
      const out = await runPmaToEnd(dataDir, args, RUN_LIMIT_MS, { global, env });
      if (out.timedOut) throw new BenchError(`${what} did not finish within ${RUN_LIMIT_MS / 1000} s ${result.replay}:\n${tail(out.stderr)}`, { value: args.join(' ') });
      if (out.code !== 0) throw new BenchError(`${what}: the run to completion failed (exit ${out.code ?? out.signal}) ${result.replay}:\n${tail(out.stderr)}`, { value: args.join(' ') });
      return out;
    };
    await complete('topics init', ['topics', 'init']);

    const outages: Array<{ from: number; to: number; kind: 'disk' | 'broker' }> = [];
    const outageDuring = (from: number, to: number) => outages.find((o) => from <= o.to + OUTAGE_GRACE_MS && to >= o.from);
    let ingestComplete = false;
    const killRuns = async (stage: Stage) => {
      // A run that ends by itself before its kill narrows later delays to half its length, so kills land mid-work.
      let upper = Number.POSITIVE_INFINITY;
      for (const planned of plan.kills[stage]) {
        if (stopping) return;
        const from = Date.now();
        const { child, done } = pma(stageArgs(stage, sim, false));
        const timer = setTimeout(() => child.kill('SIGKILL'), Math.min(planned, upper));
        const out = await done;
        clearTimeout(timer);
        if (out.signal === 'SIGKILL') {
          result.killsByStage[stage]++;
          result.kills++;
          if (stage === 'ingest') ingestComplete = false;
        } else if (out.code === 0) {
          if (stage === 'ingest') ingestComplete = true;
          upper = Math.max(100, Math.floor((Date.now() - from) / 2));
        } else if (outageDuring(from, Date.now())) {
          result.failedDuringOutage++;
          // A full disk must be named in the error, not left to a stack trace or a corrupt file.
          if (outageDuring(from, Date.now())!.kind === 'disk' && !/disk is full|ENOSPC|no space/i.test(out.stderr)) {
            result.problems.push(`${stage} failed while the disk was full without saying so: ${tail(out.stderr)}`);
          }
        } else throw new BenchError(`${stage} failed (exit ${out.code}) ${result.replay}:\n${tail(out.stderr)}`, { value: stageArgs(stage, sim, false).join(' ') });
      }
    };
    const fills = async () => {
      for (const f of plan.diskFull) {
        await sleepUntil(started + f.atMs);
        const outage = { from: Date.now(), to: Number.POSITIVE_INFINITY, kind: 'disk' as const };
        outages.push(outage);
        const bytes = disk!.fill();
        say(`  disk full at ${Math.round((outage.from - started) / 1000)} s (${Math.round(bytes / 2 ** 20)} MB filler)`);
        result.storageFaults++;
        await sleepUntil(Date.now() + f.forMs);
        disk!.free();
        outage.to = Date.now();
      }
    };
    const bounces = async () => {
      if (!options.bounceBroker || !options.kafka) return;
      for (const at of plan.brokerBounces) {
        await sleepUntil(started + at);
        const outage = { from: Date.now(), to: Number.POSITIVE_INFINITY, kind: 'broker' as const };
        outages.push(outage);
        await bounceBroker(options.kafka);
        result.storageFaults++;
        outage.to = Date.now();
      }
    };
    // The first stage that fails stops the others (their children are killed below) before the scenario fails.
    const chaos = await Promise.allSettled(
      [...STAGES.map(killRuns), fills(), bounces()].map((p) =>
        p.catch((err: unknown) => {
          stopping = true;
          for (const child of live) child.kill('SIGKILL');
          throw err;
        }),
      ),
    );
    const failed = chaos.find((c): c is PromiseRejectedResult => c.status === 'rejected');
    if (failed) throw failed.reason;
    say(`  ${result.kills} kill(s) (${STAGES.map((s) => `${s} ${result.killsByStage[s]}`).join(', ')}), ${result.failedDuringOutage} run(s) failed during an outage`);

    if (!ingestComplete) await complete('ingest', ingestArgs(sim));
    if (plan.kind === 'faults-retry') {
      let left = Number.POSITIVE_INFINITY;
      while (left > 0 && result.retryRounds < RETRY_ROUNDS) {
        result.retryRounds++;
        const out = await complete('ingest --retry-failures', ingestArgs(sim, ['--retry-failures']));
        const m = /(\d+) failed request/.exec(out.stdout);
        if (!m) throw new BenchError(`ingest --retry-failures printed no failure count ${result.replay}: ${tail(out.stdout)}`, { value: out.stdout });
        left = Number(m[1]);
      }
      if (left > 0) result.problems.push(`${left} request(s) still failed after ${RETRY_ROUNDS} --retry-failures rounds`);
    }
    const downstream = async () => {
      await complete('process', stageArgs('process', sim, true));
      await Promise.all([complete('bronze', stageArgs('bronze', sim, true)), complete('silver', stageArgs('silver', sim, true))]);
    };
    await downstream();

    let oracleRuns = true;
    if (['silver-deleted', 'bronze-deleted', 'log-truncated', 'log-overwritten'].includes(plan.kind)) {
      const damage = damageStorage(plan, dataDir);
      result.storageFaults++;
      say(`  ${damage}`);
      const verify = await verifyRepair(dataDir, global);
      result.verify = verify;
      const layer = plan.kind === 'silver-deleted' ? 'silver' : plan.kind === 'bronze-deleted' ? 'bronze' : 'log';
      const found = verify.findings.filter((f) => f.layer === layer);
      if (found.length === 0) result.problems.push(`verify did not find the damage (${damage}): ${verify.raw}`);
      const unrepaired = found.filter((f) => !f.repaired);
      if (layer !== 'log' && unrepaired.length > 0) result.problems.push(`verify --repair left ${layer} damage: ${JSON.stringify(unrepaired).slice(0, 400)}`);
      if (unrepaired.some((f) => !f.action && f.lost === undefined))
        result.problems.push(`verify names damage it cannot repair without saying what is lost or what to do: ${JSON.stringify(unrepaired).slice(0, 400)}`);
      if (verify.ok !== (verify.exitCode === 0)) result.problems.push(`verify exit ${verify.exitCode} disagrees with ok=${verify.ok}`);
      if (verify.ok) await downstream();
      // The log lost records for good: what verify names is the finding; Bronze and Silver were built before the damage.
      else if (layer === 'log') oracleRuns = false;
    }

    if (oracleRuns) {
      result.oracle = await judge(plan, options, sim);
      result.problems.push(...result.oracle.problems);
    }
  } catch (err) {
    // What the scenario did until then stays in its result; the error is its verdict.
    result.problems.push(`did not finish: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    stopping = true;
    await Promise.all(
      [...live].map(
        (child) =>
          new Promise((resolve) => {
            child.once('close', resolve);
            child.kill('SIGKILL');
          }),
      ),
    );
    result.faultsInjected = sim.requestLog.entries().reduce((n, e) => n + e.faults.length, 0);
    result.seconds = (Date.now() - started) / 1000;
    await sim.close();
    disk?.unmount();
  }
  return result;
}

/**
 * The oracle on a scenario's data dir: Silver rebuilt from the log beside it, then every check.
 * `sim` serves the plan's world (a simulator started again from the plan gives the same truth).
 */
export async function judge(plan: ChaosPlan, options: RunOptions, sim: Simulator): Promise<OracleReport> {
  const dataDir = join(options.workDir, 'data');
  const rebuilt = join(options.workDir, `rebuilt-${Date.now()}`);
  const global = plan.transport === 'kafka' && options.kafka ? kafkaGlobal(options.kafka) : [];
  const out = await runPmaToEnd(dataDir, ['replay', '--layer', 'silver', '--into', rebuilt], RUN_LIMIT_MS, { global });
  if (out.timedOut) throw new BenchError(`replay --layer silver did not finish within ${RUN_LIMIT_MS / 1000} s ${replayLine(plan)}`, { path: rebuilt });
  if (out.code !== 0) throw new BenchError(`replay --layer silver failed (exit ${out.code ?? out.signal}) ${replayLine(plan)}:\n${tail(out.stderr)}`, { path: rebuilt });
  const rebuiltSilver = join(rebuilt, 'silver.duckdb');
  const kafka = plan.transport === 'kafka' ? options.kafka : undefined;
  // The stages run as children with this process's environment: the oracle reads their topics under the same PMA_KAFKA_* names.
  const names = loadKafkaConfig({}, process.env);
  const transport = await openTransport({ transport: plan.transport, brokers: kafka ? kafka.brokers.split(',') : [], dataDir, kafka: names }, silentLogger, 'pma-chaos-oracle');
  const registry = await openRegistry({ registry: kafka ? kafka.registry : 'embedded', dataDir, transport: plan.transport, kafka: names });
  try {
    return await checkOracle({ sim, transport, serde: new Serde(registry), dataDir, rebuiltSilver });
  } finally {
    await registry.close();
    await transport.close();
  }
}

/** The simulator of a plan's world, limits off (the fault mix is the plan's), every request logged. */
export function startWorld(plan: ChaosPlan): Promise<Simulator> {
  return startSimulator({ port: 0, limits: false, requestLogSize: 5_000_000, ...plan.world });
}

function sleepUntil(at: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
}

/** Every Bronze Parquet file (dt directories are links to generations: read through them). */
function bronzeFiles(dataDir: string): string[] {
  const root = join(dataDir, 'bronze');
  const out: string[] = [];
  for (const type of existsSync(root) ? readdirSync(root).filter((t) => !t.startsWith('.')) : []) {
    for (const dt of readdirSync(join(root, type)).filter((d) => d.startsWith('dt='))) {
      for (const f of readdirSync(join(root, type, dt))) if (f.endsWith('.parquet') && !f.startsWith('.')) out.push(join(root, type, dt, f));
    }
  }
  return out.sort();
}

/** The plan's storage fault, done to the stopped pipeline's files; says what was done. */
function damageStorage(plan: ChaosPlan, dataDir: string): string {
  switch (plan.kind) {
    case 'silver-deleted': {
      const file = join(dataDir, 'silver.duckdb');
      if (!existsSync(file)) throw new BenchError('no Silver file to delete', { path: file });
      rmSync(file);
      rmSync(`${file}.wal`, { force: true });
      return `deleted ${file}`;
    }
    case 'bronze-deleted': {
      const files = bronzeFiles(dataDir);
      if (files.length === 0) throw new BenchError('no Bronze file to delete', { path: join(dataDir, 'bronze') });
      const file = files[Math.floor(plan.pick * files.length)]!;
      rmSync(file);
      return `deleted ${file} (1 of ${files.length} Bronze files)`;
    }
    case 'log-truncated': {
      const file = embeddedLogPath(dataDir);
      const size = statSync(file).size;
      const to = Math.floor((size * (0.5 + plan.pick * 0.45)) / 4096) * 4096;
      truncateSync(file, to);
      return `truncated ${file} from ${size} to ${to} bytes`;
    }
    case 'log-overwritten': {
      const file = embeddedLogPath(dataDir);
      const size = statSync(file).size;
      const pages = Math.floor(size / 4096);
      const at = (1 + Math.floor(plan.pick * (pages - 2))) * 4096;
      const random = seededRandom(plan.seed);
      const junk = Buffer.from(Array.from({ length: 8192 }, () => Math.floor(random() * 256)));
      const fd = openSync(file, 'r+');
      try {
        writeSync(fd, junk, 0, junk.length, at);
      } finally {
        closeSync(fd);
      }
      return `overwrote 8192 bytes of ${file} at offset ${at} (of ${size})`;
    }
    default:
      throw new BenchError(`${plan.kind} is not a storage fault on files`, { value: plan.kind });
  }
}
