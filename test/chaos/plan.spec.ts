/** A chaos scenario replays from its seed: the plan is a pure function of seed, kind and options. */
import { expect } from 'chai';
import { schedule } from '../../bench/chaos/index.ts';
import { planFor, SCENARIO_KINDS, STAGES } from '../../bench/chaos/plan.ts';

describe('chaos plans', () => {
  it('the same seed gives the same world, fault mix, kill schedule and storage faults; another seed another', () => {
    for (const kind of SCENARIO_KINDS) {
      expect(planFor(7, kind, { kills: 12 })).to.deep.equal(planFor(7, kind, { kills: 12 }));
      expect(planFor(8, kind, { kills: 12 }).kills).to.not.deep.equal(planFor(7, kind, { kills: 12 }).kills);
    }
  });

  it('schedules exactly the kills asked for, over every stage, and the disk fills asked for', () => {
    const plan = planFor(3, 'disk-full', { kills: 200, diskFulls: 5 });
    expect(STAGES.reduce((n, s) => n + plan.kills[s].length, 0)).to.equal(200);
    for (const s of STAGES) expect(plan.kills[s].length, s).to.be.greaterThan(0);
    expect(plan.diskFull).to.have.length(5);
    expect(planFor(3, 'kills', { kills: 200 }).diskFull).to.have.length(0);
  });

  it('the fault-mix scenario tries each request once under a fault mix; 2025-12 worlds have caps the small world reaches', () => {
    const faults = planFor(5, 'faults-retry');
    expect(faults.attempts).to.equal(1);
    expect(faults.world.faults!.length).to.be.greaterThan(0);
    expect(planFor(5, 'kills', { profile: '2025-12' }).world.overrides).to.have.nested.property('data.tradesMaxOffset');
  });

  it('a schedule runs the kill scenarios under both profiles and leaves log damage out on Kafka', () => {
    const plans = schedule({ seed: 1, scenarios: ['kills', 'log-truncated'], transports: ['embedded', 'kafka'], rounds: 2, kills: 4, diskFulls: 1 });
    expect(plans.map((p) => `${p.seed} ${p.kind} ${p.transport} ${p.profile}`)).to.include.members([
      '1 kills embedded current',
      '1 kills kafka 2025-12',
      '2 log-truncated embedded ' + planFor(2, 'log-truncated').profile,
    ]);
    expect(plans.filter((p) => p.kind === 'log-truncated' && p.transport === 'kafka')).to.have.length(0);
    expect(plans).to.have.length(2 * (4 + 1));
  });
});
