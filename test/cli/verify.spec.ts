import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { TOPICS } from '../../schemas/topics.ts';
import { parseFileName } from '../../sinks/bronze/layout.ts';
import { bronzeRows, buildVerifyWorld, pma, type VerifyWorld } from './verify-world.ts';

type Row = Record<string, unknown>;

/** Bronze trade rows as truth keys: every truth trade once, nothing else. */
function tradeKeysMatchTruth(world: VerifyWorld, rows: Row[]): { missing: number; extra: number; twice: number } {
  const seen = new Map<string, number>();
  for (const r of rows) seen.set(r.trade_id as string, (seen.get(r.trade_id as string) ?? 0) + 1);
  const want = new Set(world.truth('trade').map((t) => t.key));
  return {
    missing: [...want].filter((k) => !seen.has(k)).length,
    extra: [...seen.keys()].filter((k) => !want.has(k)).length,
    twice: [...seen.values()].filter((n) => n > 1).length,
  };
}

/** Bronze files of trades, per partition, in offset order: `{ dir, name, first, last }`. */
function tradeFiles(dir: string): Array<{ path: string; name: string; partition: number; first: number; last: number }> {
  const root = join(dir, 'bronze', 'trades');
  const out = [];
  for (const dt of readdirSync(root)) {
    for (const name of readdirSync(join(root, dt))) {
      const range = parseFileName(name);
      if (range) out.push({ path: join(root, dt, name), name, partition: range.partition, first: range.first, last: range.last });
    }
  }
  return out.sort((a, b) => a.partition - b.partition || a.first - b.first);
}

describe('pma verify: on a data dir built from the simulator', function () {
  this.timeout(300_000);
  let world: VerifyWorld;

  before(async () => {
    world = await buildVerifyWorld();
  });
  after(async () => {
    await world?.close();
  });

  it('finds nothing wrong in a healthy data dir (exit 0), and Bronze holds the truth', async () => {
    const r = await pma(world.dir, 'verify', '--json');
    expect(r.json, r.stderr).to.deep.equal({ ok: true, findings: [] });
    expect(r.code).to.equal(0);
    expect(tradeKeysMatchTruth(world, await bronzeRows(world.dir, 'trades'))).to.deep.equal({ missing: 0, extra: 0, twice: 0 });
  });

  it('a deleted Bronze file in the middle of a partition: status and verify report the missing offsets, --repair writes them back to equality with the truth', async () => {
    const dir = world.copy();
    const files = tradeFiles(dir);
    // A group with one file whose neighbours in the partition both have files: a gap in the middle.
    const victim = files.find(
      (f, i) => i > 0 && i < files.length - 1 && files[i - 1]!.partition === f.partition && files[i + 1]!.partition === f.partition && files.filter((g) => g.name === f.name).length === 1,
    )!;
    expect(victim, 'a middle file').to.not.equal(undefined);
    rmSync(victim.path);
    expect(tradeKeysMatchTruth(world, await bronzeRows(dir, 'trades')).missing).to.be.greaterThan(0);

    const status = await pma(dir, 'status', '--json');
    expect(status.code, status.stderr).to.equal(1);
    const damage = JSON.parse(status.stdout).damage as Row[];
    expect(damage).to.have.length(1);
    expect(damage[0]).to.include({ layer: 'bronze', kind: 'missing', topic: TOPICS.trades.name, partition: victim.partition });
    expect(damage[0]!.from).to.be.at.least(victim.first);
    expect(damage[0]!.to).to.be.at.most(victim.last);

    const found = await pma(dir, 'verify', '--json');
    expect(found.code, found.stderr).to.equal(1);
    expect(found.json!.ok).to.equal(false);
    expect(found.json!.findings.map((f) => [f.layer, f.kind, f.topic, f.partition])).to.deep.equal([['bronze', 'missing', TOPICS.trades.name, victim.partition]]);

    const repaired = await pma(dir, 'verify', '--repair', '--json');
    expect(repaired.code, repaired.stderr).to.equal(0);
    expect(repaired.json!.findings[0]).to.include({ repaired: true });
    expect(tradeKeysMatchTruth(world, await bronzeRows(dir, 'trades'))).to.deep.equal({ missing: 0, extra: 0, twice: 0 });
    expect(statSync(victim.path).isFile(), 'the write group is named as before').to.equal(true);
    const again = await pma(dir, 'verify', '--json');
    expect(again.json).to.deep.equal({ ok: true, findings: [] });
  });
});
