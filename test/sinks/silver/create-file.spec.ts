import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { SinkError } from '../../../runtime/errors.ts';
import { openSilverDatabase } from '../../../sinks/silver/index.ts';
import { describeNeeding } from '../../prerequisite.ts';
import { mountTmpfs, type Tmpfs, tmpfsMissing } from '../tmpfs.ts';

describeNeeding('a new Silver file on a disk that fills up while it is created', tmpfsMissing(), function () {
  this.timeout(60_000);
  let disk: Tmpfs;
  beforeEach(() => {
    disk = mountTmpfs(8);
  });
  afterEach(() => disk.unmount());

  for (const leave of [0, 8 * 1024, 20 * 1024, 64 * 1024, 300 * 1024]) {
    it(`with ${leave / 1024} KiB left: fails naming the full disk, leaves no file behind, and opens once space is freed`, async () => {
      const path = join(disk.dir, 'data', 'silver.duckdb');
      await openSilverDatabase(join(disk.dir, 'probe.duckdb')).then((db) => db.closeSync());
      disk.fill(leave);
      const err = await openSilverDatabase(path).then(
        (db) => {
          db.closeSync();
          return undefined;
        },
        (e: unknown) => e,
      );
      if (err !== undefined) {
        expect(err).to.be.instanceOf(SinkError);
        expect((err as Error).message).to.match(/disk is full/);
        expect(readdirSync(join(disk.dir, 'data')), 'what a failed create left').to.deep.equal([]);
      }
      disk.free();
      const db = await openSilverDatabase(path);
      try {
        const conn = await db.connect();
        const tables = (await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = 'TradeFact'`)).getRowObjectsJS();
        conn.closeSync();
        expect(tables[0]!.n).to.equal(1);
      } finally {
        db.closeSync();
      }
      expect(existsSync(path)).to.equal(true);
    });
  }
});
