import { copyFileSync, cpSync, existsSync, lstatSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { TOPICS } from '../../schemas/topics.ts';
import { fileName, parseFileName, tempName } from '../../sinks/bronze/layout.ts';
import { OFFSETS_TABLE, SILVER_TABLES } from '../../sinks/silver/index.ts';
import { describeNeeding } from '../prerequisite.ts';
import { openLogHarness, readTopic } from '../sinks/log-harness.ts';
import { silverDifferences } from '../sinks/silver/compare.ts';
import { mountTmpfs, tmpfsMissing } from '../sinks/tmpfs.ts';
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

  it('a damaged log batch: verify names its topic, partition and offsets; --repair quarantines it, dead-letters each lost offset and exits 1 (the records are gone)', async () => {
    const dir = world.copy();
    const db = new DatabaseSync(join(dir, 'log.sqlite'));
    const batch = db
      .prepare(
        'SELECT b.id, b.partition, b.base_offset, b.last_offset, b.record_count, b.payload FROM log_batches b JOIN log_topics t ON t.id = b.topic_id WHERE t.name = ? AND b.record_count > 1 ORDER BY b.id LIMIT 1',
      )
      .get(TOPICS.trades.name) as { id: number; partition: number; base_offset: number; last_offset: number; record_count: number; payload: Uint8Array };
    const payload = Buffer.from(batch.payload);
    payload[payload.length - 3]! ^= 0xff;
    db.prepare('UPDATE log_batches SET payload = ? WHERE id = ?').run(payload, batch.id);
    db.close();

    const found = await pma(dir, 'verify', '--json');
    expect(found.code, found.stderr).to.equal(1);
    expect(found.json!.findings).to.have.length(1);
    expect(found.json!.findings[0]).to.include({
      layer: 'log',
      kind: 'crc',
      topic: TOPICS.trades.name,
      partition: batch.partition,
      from: batch.base_offset,
      to: batch.last_offset,
      lost: batch.record_count,
    });

    const repaired = await pma(dir, 'verify', '--repair');
    expect(repaired.code, repaired.stderr).to.equal(1);
    expect(repaired.stdout)
      .to.match(/log\s+crc\s+pma\.trades/)
      .and.to.match(/quarantined/);

    const h = await openLogHarness(dir);
    try {
      const letters = (await readTopic(h.transport, 'pma.dlq')).filter((r) => r.headers['pma.dlq.stage'] === 'verify');
      const expected = Array.from({ length: batch.last_offset - batch.base_offset + 1 }, (_, i) => batch.base_offset + i);
      expect(letters.map((r) => [r.headers['pma.dlq.source.topic'], Number(r.headers['pma.dlq.source.partition']), Number(r.headers['pma.dlq.source.offset'])])).to.deep.equal(
        expected.map((o) => [TOPICS.trades.name, batch.partition, o]),
      );
      // The log reads past the hole: every other record of the partition is still there.
      const rest = (await readTopic(h.transport, TOPICS.trades.name)).filter((r) => r.partition === batch.partition);
      expect(rest.some((r) => r.offset >= batch.base_offset && r.offset <= batch.last_offset)).to.equal(false);
      expect(rest.length).to.be.greaterThan(0);
    } finally {
      await h.close();
    }
    const after = await pma(dir, 'verify', '--json');
    expect(after.code).to.equal(1);
    expect(after.json!.findings.map((f) => [f.layer, f.kind, f.from, f.to, f.lost])).to.deep.equal([['log', 'lost', batch.base_offset, batch.last_offset, batch.record_count]]);
  });

  for (const [name, damage, what] of [
    ['truncated', (p: string) => truncateSync(p, Math.floor(statSync(p).size / 3)), /malformed|not a readable/],
    ['overwritten with other bytes', (p: string) => writeFileSync(p, Buffer.alloc(statSync(p).size, 0x5a)), /cannot be opened as an SQLite database|not a database/],
    ['emptied to zero bytes', (p: string) => truncateSync(p, 0), /without any of the log's tables/],
    [
      'replaced by another SQLite database',
      (p: string) => {
        rmSync(p);
        const other = new DatabaseSync(p);
        other.exec('CREATE TABLE notes (x TEXT)');
        other.close();
      },
      /without any of the log's tables/,
    ],
  ] as const) {
    it(`a log.sqlite ${name}: verify and status exit non-zero naming the file and what is wrong, never "no embedded log yet"`, async () => {
      const dir = world.copy();
      const path = join(dir, 'log.sqlite');
      for (const side of ['-wal', '-shm']) rmSync(path + side, { force: true });
      damage(path);
      const verified = await pma(dir, 'verify', '--json');
      expect(verified.code, verified.stderr).to.equal(1);
      expect(verified.json!.findings).to.have.length(1);
      expect(verified.json!.findings[0]).to.include({ layer: 'log', kind: 'unreadable' });
      expect(verified.json!.findings[0]!.detail).to.include(path).and.to.match(what);
      const status = await pma(dir, 'status');
      expect(status.code).to.equal(1);
      expect(status.stderr).to.include(path).and.to.match(what);
      expect(status.stdout + status.stderr).to.not.include('no embedded log');
    });
  }

  it('log.sqlite deleted while Bronze and Silver exist: verify and status fail naming it, instead of "no embedded log yet"', async () => {
    const dir = world.copy();
    for (const side of ['', '-wal', '-shm']) rmSync(join(dir, `log.sqlite${side}`), { force: true });
    const verified = await pma(dir, 'verify', '--json');
    expect(verified.code).to.equal(1);
    expect(verified.json!.findings.map((f) => [f.layer, f.kind])).to.deep.equal([['log', 'missing']]);
    expect(verified.json!.findings[0]!.detail).to.include(join(dir, 'log.sqlite'));
    const status = await pma(dir, 'status');
    expect(status.code).to.equal(1);
    expect(status.stderr).to.include(join(dir, 'log.sqlite')).and.to.include('is gone');
    expect(status.stdout + status.stderr).to.not.include('no embedded log');
  });

  it('a data dir that cannot be read: status says so and fails, instead of "no embedded log yet"', async () => {
    const dir = world.copy();
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const status = await pma(file, 'status');
    expect(status.code).to.equal(1);
    expect(status.stderr).to.include(file).and.to.include('ENOTDIR');
    expect(status.stdout + status.stderr).to.not.include('no embedded log');
    const verified = await pma(file, 'verify', '--json');
    expect(verified.code).to.equal(1);
    expect(verified.json!.findings[0]).to.include({ layer: 'log', kind: 'unreadable' });
  });

  it('one dt file of a write group spanning several days deleted: the quick check cannot see it, verify finds the rows, --repair writes that file back', async () => {
    const dir = world.copy();
    const files = tradeFiles(dir);
    const spanning = files.find((f) => files.filter((g) => g.name === f.name).length > 1);
    expect(spanning, 'a write group with files in two dt directories').to.not.equal(undefined);
    rmSync(spanning!.path);
    const status = await pma(dir, 'status', '--json');
    expect(status.code, 'names only: the group still has files').to.equal(0);
    const found = await pma(dir, 'verify', '--json');
    expect(found.code).to.equal(1);
    expect(found.json!.findings.map((f) => [f.layer, f.kind, f.partition])).to.deep.equal([['bronze', 'missing', spanning!.partition]]);
    const repaired = await pma(dir, 'verify', '--repair', '--json');
    expect(repaired.code, JSON.stringify(repaired.json)).to.equal(0);
    expect(statSync(spanning!.path).isFile()).to.equal(true);
    expect(tradeKeysMatchTruth(world, await bronzeRows(dir, 'trades'))).to.deep.equal({ missing: 0, extra: 0, twice: 0 });
  });

  it('a compacted Bronze file deleted, its write groups spanning several days: --repair writes exactly its rows back into the live generation; verify is clean after, compaction and the sink still work, and Bronze equals the truth', async () => {
    const dir = world.copy();
    const compacted = await pma(dir, 'compact', '--types', 'trades', '--min-files', '1', '--json');
    expect(compacted.code, compacted.stderr).to.equal(0);
    const dts = compactedTradeFiles(dir);
    const spanning = (f: CompactedFile) => f.groups.filter((g) => dts.some((o) => o !== f && o.groups.some((x) => x.name === g.name)));
    // Rows of one write group in this dt that are several offset runs apart: one repair finding each, all for the same group's file.
    const splitGroup = async (f: CompactedFile) => {
      const rows = await parquetOffsets(f.path);
      return spanning(f).some((g) => {
        const own = rows.filter(([p, o]) => p === g.partition && o >= g.first && o <= g.last).map(([, o]) => o);
        return own.some((o, i) => i > 0 && o !== own[i - 1]! + 1);
      });
    };
    let victim: CompactedFile | undefined;
    for (const f of dts) if (!victim && (await splitGroup(f))) victim = f;
    expect(victim, 'a compacted file holding a multi-day write group whose rows there are not one offset run').to.not.equal(undefined);
    const held = await parquetOffsets(victim!.path);
    rmSync(victim!.path);

    const repaired = await pma(dir, 'verify', '--repair', '--json');
    expect(repaired.code, JSON.stringify(repaired.json)).to.equal(0);
    expect(repaired.json!.findings.length, 'several findings for one write group').to.be.greaterThan(1);
    expect(repaired.json!.findings.every((f) => f.layer === 'bronze' && f.kind === 'missing' && f.repaired === true)).to.equal(true);
    expect(lstatSync(victim!.dtDir).isSymbolicLink(), 'the dt is still a link to a generation').to.equal(true);
    const live = realpathSync(victim!.dtDir);
    const written = readdirSync(live).filter((n) => parseFileName(n) !== null);
    expect(written.length).to.be.greaterThan(0);
    const rewritten = (await Promise.all(written.map((n) => parquetOffsets(join(live, n))))).flat().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(rewritten, 'exactly the rows the deleted file held').to.deep.equal(held);
    expect(tradeKeysMatchTruth(world, await bronzeRows(dir, 'trades'))).to.deep.equal({ missing: 0, extra: 0, twice: 0 });
    expect((await pma(dir, 'verify', '--json')).json).to.deep.equal({ ok: true, findings: [] });

    const again = await pma(dir, 'compact', '--types', 'trades', '--min-files', '1', '--json');
    expect(again.code, again.stderr).to.equal(0);
    const sink = await pma(dir, 'sink', '--layer', 'bronze', '--until-caught-up');
    expect(sink.code, sink.stderr).to.equal(0);
    expect((await pma(dir, 'verify', '--json')).json).to.deep.equal({ ok: true, findings: [] });
    expect(tradeKeysMatchTruth(world, await bronzeRows(dir, 'trades'))).to.deep.equal({ missing: 0, extra: 0, twice: 0 });
  });

  describeNeeding('a repair that fails mid-write (Bronze on a full tmpfs)', tmpfsMissing(), () => {
    it('a deleted compacted file whose first group to repair spans several days, the disk full during its write: the sink started after publishes no torn file, and verify --repair then restores the truth', async () => {
      const disk = mountTmpfs(64);
      try {
        const dir = world.copy();
        const compacted = await pma(dir, 'compact', '--types', 'trades', '--min-files', '1', '--json');
        expect(compacted.code, compacted.stderr).to.equal(0);
        const bronze = join(disk.dir, 'bronze');
        cpSync(join(dir, 'bronze'), bronze, { recursive: true, verbatimSymlinks: true });
        rmSync(join(dir, 'bronze'), { recursive: true });
        symlinkSync(bronze, join(dir, 'bronze'));
        // The repair writes the group of the lowest missing offset first: it must be one with files in other dts.
        const files = compactedTradeFiles(dir);
        let victim: CompactedFile | undefined;
        for (const f of files) {
          if (victim) break;
          const [p, o] = (await parquetOffsets(f.path))[0]!;
          const first = f.groups.find((g) => g.partition === p && g.first <= o && o <= g.last)!;
          if (files.some((x) => x !== f && x.groups.some((g) => g.name === first.name))) victim = f;
        }
        expect(victim, 'a compacted file whose first row belongs to a multi-day write group').to.not.equal(undefined);
        rmSync(victim!.path);

        // One page left: the repair's lock file takes it, its first Parquet write gets ENOSPC.
        disk.fill(4096);
        const failed = await pma(dir, 'verify', '--repair', '--json');
        expect(failed.code, failed.stdout).to.equal(1);
        expect(JSON.stringify(failed.json)).to.include('ENOSPC');
        disk.free();
        const sink = await pma(dir, 'sink', '--layer', 'bronze', '--until-caught-up');
        expect(sink.code, sink.stderr).to.equal(0);

        const repaired = await pma(dir, 'verify', '--repair', '--json');
        expect(repaired.code, JSON.stringify(repaired.json)).to.equal(0);
        expect(tradeKeysMatchTruth(world, await bronzeRows(dir, 'trades'))).to.deep.equal({ missing: 0, extra: 0, twice: 0 });
        expect((await pma(dir, 'verify', '--json')).json).to.deep.equal({ ok: true, findings: [] });
      } finally {
        disk.unmount();
      }
    });
  });

  it('a repair temporary left by a killed verify --repair beside a write group with files in other dts: the sink does not publish it, verify names it, --repair deletes it and writes the rows', async () => {
    const dir = world.copy();
    const files = tradeFiles(dir);
    const spanning = files.find((f) => files.filter((g) => g.name === f.name).length > 1)!;
    expect(spanning, 'a write group with files in two dt directories').to.not.equal(undefined);
    rmSync(spanning.path);
    const torn = join(dirname(spanning.path), `.${spanning.name}.repair.tmp`);
    writeFileSync(torn, 'PAR1 half a file');
    const sink = await pma(dir, 'sink', '--layer', 'bronze', '--until-caught-up');
    expect(sink.code, sink.stderr).to.equal(0);
    expect(existsSync(spanning.path), 'recovery published the torn temporary').to.equal(false);
    const found = await pma(dir, 'verify', '--json');
    expect(found.json!.findings.map((f) => [f.layer, f.kind]).sort()).to.deep.equal([
      ['bronze', 'missing'],
      ['temp', 'leftover'],
    ]);
    expect(found.json!.findings.map((f) => f.detail).join('\n')).to.include(torn);
    const repaired = await pma(dir, 'verify', '--repair', '--json');
    expect(repaired.code, JSON.stringify(repaired.json)).to.equal(0);
    expect(existsSync(torn)).to.equal(false);
    expect(tradeKeysMatchTruth(world, await bronzeRows(dir, 'trades'))).to.deep.equal({ missing: 0, extra: 0, twice: 0 });
    expect((await pma(dir, 'verify', '--json')).json).to.deep.equal({ ok: true, findings: [] });
  });

  it('a Bronze file copied under an overlapping name: duplicates are reported and not repaired (exit 1)', async () => {
    const dir = world.copy();
    const f = tradeFiles(dir).find((x) => x.last > x.first)!;
    const twin = join(dirname(f.path), fileName({ topic: TOPICS.trades.name, partition: f.partition, first: f.first + 1, last: f.last }));
    copyFileSync(f.path, twin);
    const found = await pma(dir, 'verify', '--repair', '--json');
    expect(found.code).to.equal(1);
    const kinds = found.json!.findings.map((x) => [x.layer, x.kind, x.partition, x.repaired]);
    expect(kinds).to.deep.include(['bronze', 'duplicate', f.partition, false]);
    expect(kinds.every(([, kind]) => kind === 'duplicate')).to.equal(true);
  });

  it('Silver offsets past the end of the log: reported as ahead, --repair rebuilds Silver from the log to the rows of the healthy file', async () => {
    const dir = world.copy();
    await duck(join(dir, 'silver.duckdb'), `UPDATE ${OFFSETS_TABLE} SET next_offset = next_offset + 1000 WHERE topic = '${TOPICS.trades.name}' AND "partition" = 0`);
    const found = await pma(dir, 'verify', '--json');
    expect(found.code).to.equal(1);
    expect(found.json!.findings.map((f) => [f.layer, f.kind, f.topic, f.partition])).to.deep.equal([['silver', 'ahead', TOPICS.trades.name, 0]]);
    const repaired = await pma(dir, 'verify', '--repair', '--json');
    expect(repaired.code, repaired.stderr).to.equal(0);
    expect(repaired.json!.findings[0]!.action).to.match(/^rebuilt/);
    expect(await silverDifferences(join(world.dir, 'silver.duckdb'), join(dir, 'silver.duckdb'))).to.deep.equal([]);
    expect(await silverDifferences(join(world.dir, 'silver.duckdb'), join(dir, 'silver.snapshot.duckdb'))).to.deep.equal([]);
    expect((await pma(dir, 'verify', '--json')).json).to.deep.equal({ ok: true, findings: [] });
  });

  it('the Silver file deleted after its sink committed: reported missing, --repair rebuilds it to the rows of the healthy file', async () => {
    const dir = world.copy();
    rmSync(join(dir, 'silver.duckdb'));
    rmSync(join(dir, 'silver.duckdb.wal'), { force: true });
    const found = await pma(dir, 'verify', '--json');
    expect(found.json!.findings.map((f) => [f.layer, f.kind])).to.deep.equal([['silver', 'missing']]);
    const repaired = await pma(dir, 'verify', '--repair', '--json');
    expect(repaired.code, repaired.stderr).to.equal(0);
    expect(await silverDifferences(join(world.dir, 'silver.duckdb'), join(dir, 'silver.duckdb'))).to.deep.equal([]);
  });

  it('a snapshot older than Silver with no sink running: stale, --repair publishes it again', async () => {
    const dir = world.copy();
    const snapshot = join(dir, 'silver.snapshot.duckdb');
    await duck(snapshot, `UPDATE ${OFFSETS_TABLE} SET next_offset = next_offset - 3 WHERE topic = '${TOPICS.trades.name}' AND "partition" = 1`);
    const status = await pma(dir, 'status', '--json');
    expect(status.code).to.equal(1);
    expect((JSON.parse(status.stdout).damage as Row[]).map((f) => [f.layer, f.kind])).to.deep.equal([['snapshot', 'stale']]);
    const repaired = await pma(dir, 'verify', '--repair', '--json');
    expect(repaired.code, repaired.stderr).to.equal(0);
    expect(await silverDifferences(join(dir, 'silver.duckdb'), snapshot, [OFFSETS_TABLE, ...SILVER_TABLES])).to.deep.equal([]);
  });

  it('temporaries left by killed writers (a Bronze .tmp, a snapshot copy and a new Silver file of a dead pid): leftovers, --repair deletes them', async () => {
    const dir = world.copy();
    const f = tradeFiles(dir)[0]!;
    const temp = join(dirname(f.path), tempName(fileName({ topic: TOPICS.trades.name, partition: f.partition, first: 10_000_000, last: 10_000_001 })));
    copyFileSync(f.path, temp);
    const copy = join(dir, 'silver.snapshot.duckdb.tmp-999999999');
    writeFileSync(copy, 'half a copy');
    const creating = join(dir, 'silver.duckdb.999999999-0a1b2c3d.creating');
    writeFileSync(creating, 'half a new file');
    const found = await pma(dir, 'verify', '--json');
    expect(found.code).to.equal(1);
    expect(found.json!.findings.map((x) => [x.layer, x.kind]).sort()).to.deep.equal([
      ['temp', 'leftover'],
      ['temp', 'leftover'],
      ['temp', 'leftover'],
    ]);
    expect(found.json!.findings.map((x) => x.detail).join('\n'))
      .to.include(temp)
      .and.to.include(copy)
      .and.to.include(creating);
    const repaired = await pma(dir, 'verify', '--repair');
    expect(repaired.code, repaired.stdout).to.equal(0);
    expect([existsSync(temp), existsSync(copy), existsSync(creating)]).to.deep.equal([false, false, false]);
    expect(tradeKeysMatchTruth(world, await bronzeRows(dir, 'trades'))).to.deep.equal({ missing: 0, extra: 0, twice: 0 });
  });
});

/** Runs one statement against a DuckDB file (the damage a test does). */
async function duck(path: string, sql: string): Promise<void> {
  const db = await DuckDBInstance.create(path);
  const con = await db.connect();
  try {
    await con.run(sql);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

interface CompactedFile {
  path: string;
  dtDir: string;
  groups: Array<{ name: string; partition: number; first: number; last: number }>;
}

/** The compacted trades files, each with the write groups its generation's .groups.json lists for it. */
function compactedTradeFiles(dir: string): CompactedFile[] {
  const root = join(dir, 'bronze', 'trades');
  const out: CompactedFile[] = [];
  for (const dt of readdirSync(root)) {
    const dtDir = join(root, dt);
    if (!existsSync(join(dtDir, '.groups.json'))) continue;
    const listed = JSON.parse(readFileSync(join(dtDir, '.groups.json'), 'utf8')) as Record<string, string[]>;
    for (const [file, names] of Object.entries(listed)) {
      out.push({ path: join(dtDir, file), dtDir, groups: names.map((name) => ({ name, ...parseFileName(name)! })) });
    }
  }
  return out;
}

/** (partition, offset) of every row of a Parquet file, sorted. */
async function parquetOffsets(path: string): Promise<Array<[number, number]>> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    const rows = (await con.runAndReadAll(`SELECT _partition, _offset FROM read_parquet('${path}') ORDER BY 1, 2`)).getRows();
    return rows.map(([p, o]) => [Number(p), Number(o)]);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}
