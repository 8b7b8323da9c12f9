/**
 * The chaos suite's CI subset (issue 14): one seed per scenario kind, on the embedded log and on
 * Kafka, each ending with the oracle (bench/chaos/oracle.ts). `pma bench chaos` runs the long
 * schedules. A failure prints its seed: rerun with PMA_CHAOS_SEED=<seed> (PMA_CHAOS_KILLS sets the
 * kills per scenario).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { type ChaosPlan, planFor, type ScenarioKind, type Transport } from '../../bench/chaos/plan.ts';
import { type RunOptions, runScenario, type ScenarioResult } from '../../bench/chaos/run.ts';
import { describeNeeding, itNeeding } from '../prerequisite.ts';
import { tempDirPerTest } from '../temp-dir.ts';
import { type KafkaTestEnv, kafkaAvailability } from '../transport/kafka/broker.ts';

const SEED = Number(process.env.PMA_CHAOS_SEED ?? 14);
const KILLS = Number(process.env.PMA_CHAOS_KILLS ?? 6);

/** Whether this machine lets the suite mount a tmpfs (root), probed once on a scratch directory. */
function mountRefused(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'pma-chaos-probe-'));
  try {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { encoding: 'utf8' });
    if (mounted.status !== 0) return `mounting a tmpfs is refused here (${(mounted.stderr || mounted.error?.message || '').trim()}): the disk-full scenario needs root`;
    spawnSync('umount', [dir]);
    return undefined;
  } finally {
    rmdirSync(dir);
  }
}

/** Fails with the scenario's replay line and every violation. */
function expectPassed(r: ScenarioResult): void {
  expect(r.problems, `${r.replay}\n${r.problems.join('\n')}`).to.deep.equal([]);
  if (r.oracle) expect({ lost: r.oracle.lost, duplicated: r.oracle.duplicated }, r.replay).to.deep.equal({ lost: 0, duplicated: 0 });
}

/** The scenarios both transports share; `full` adds those whose code path does not depend on the transport. */
function scenarios(tmp: { readonly path: string }, transport: Transport, kafka: () => RunOptions['kafka'], full: boolean): void {
  const run = async (kind: ScenarioKind, options: { profile?: ChaosPlan['profile'] } = {}) => {
    const plan = planFor(SEED, kind, { transport, profile: options.profile, kills: KILLS, diskFulls: 2 });
    return runScenario(plan, { workDir: tmp.path, kafka: kafka() });
  };

  for (const profile of ['current', '2025-12'] as const) {
    it(`kills under the ${profile} profile: ingest, process and both sinks SIGKILLed on the seed's schedule, then the oracle holds`, async () => {
      const r = await run('kills', { profile });
      expectPassed(r);
      // Stages that catch up before their planned kill escape it, as many as timing decides: a third must land.
      expect(r.kills, r.replay).to.be.at.least(Math.ceil(KILLS / 3));
      if (profile === '2025-12') expect(r.oracle!.gaps.truth, `${r.replay}: the scaled-down caps leave spans out of reach`).to.be.greaterThan(0);
    });
  }

  it('a deleted Bronze file: verify --repair finds and rewrites its offsets, and the oracle holds', async () => {
    const r = await run('bronze-deleted');
    expectPassed(r);
  });

  if (!full) return;

  it('the fault mix with one attempt per request, then --retry-failures until none is left: the oracle holds', async () => {
    const r = await run('faults-retry');
    expect(r.faultsInjected, r.replay).to.be.greaterThan(0);
    expectPassed(r);
  });

  it('a deleted Silver file: verify --repair finds and rebuilds it, and the oracle holds', async () => {
    const r = await run('silver-deleted');
    expect(r.storageFaults).to.equal(1);
    expectPassed(r);
  });
}

describe('chaos: the embedded log', function () {
  this.timeout(300_000);
  const tmp = tempDirPerTest('pma-chaos-');
  scenarios(tmp, 'embedded', () => undefined, true);

  itNeeding('disk full at two moments then freed: stages fail with a clear error while it is full, and after it the oracle holds', mountRefused(), async () => {
    const r = await runScenario(planFor(SEED, 'disk-full', { kills: KILLS, diskFulls: 2 }), { workDir: tmp.path });
    expect(r.storageFaults, r.replay).to.equal(2);
    expectPassed(r);
  });

  for (const kind of ['log-truncated', 'log-overwritten'] as const) {
    it(`${kind === 'log-truncated' ? 'a truncated' : 'an overwritten'} log: verify finds it, repairs what it can and names what it cannot`, async () => {
      const r = await runScenario(planFor(SEED, kind, { kills: 0 }), { workDir: tmp.path });
      expectPassed(r);
      expect(r.verify!.findings.some((f) => f.layer === 'log')).to.equal(true);
    });
  }
});

const { env: found, missing } = await kafkaAvailability();
describeNeeding('chaos: Kafka', missing, function () {
  this.timeout(420_000);
  const env = found as KafkaTestEnv;
  scenarios(tempDirPerTest('pma-chaos-kafka-'), 'kafka', () => ({ brokers: env.brokers.join(','), registry: env.registryUrl ?? 'http://127.0.0.1:8081', state: process.env.PMA_KAFKA_STATE }), false);
});
