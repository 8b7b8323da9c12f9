import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SchemaNotFoundError, SinkError } from '../../../runtime/errors.ts';
import { ParquetWriterPool } from '../../../sinks/bronze/parquet/pool.ts';

const NO_ROWS = { chunks: [], rows: 0 };

describe('sinks/bronze/parquet: errors across the writer thread', () => {
  let dir: string;
  let pool: ParquetWriterPool;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pma-parquet-errors-'));
    pool = new ParquetWriterPool();
  });

  after(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('arrives as the catalogue class the thread threw, with the file it was for', async () => {
    const path = join(dir, 'a.parquet');
    const err = await pool.write('no-such-schema', 0, NO_ROWS, path).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(SchemaNotFoundError);
    expect(err).to.have.property('code', 'PMA_ERR_SCHEMA_NOT_FOUND');
    expect((err as SchemaNotFoundError).context).to.deep.equal({ value: 'no-such-schema', path });
    expect((err as Error).stack).to.contain('--- rebuilt ---');
  });

  it('wraps a file-system failure as a SinkError whose cause keeps its errno code', async () => {
    const path = join(dir, 'taken.parquet');
    await writeFile(path, 'already here');
    const err = await pool.write('trade', 0, NO_ROWS, path).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(SinkError);
    expect((err as SinkError).context).to.deep.equal({ path });
    expect(((err as Error).cause as NodeJS.ErrnoException).code).to.equal('EEXIST');
  });
});
