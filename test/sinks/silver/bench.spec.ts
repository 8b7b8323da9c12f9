import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const PMA = fileURLToPath(new URL('../../../cli/pma.ts', import.meta.url));

describe('pma bench sink --layer silver', function () {
  this.timeout(120_000);

  it('runs every phase on a few records and reports them beside the ceiling', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [PMA, '--log-level', 'error', 'bench', 'sink', '--layer', 'silver', '--records', '3000', '--json'], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const r = JSON.parse(stdout) as {
      records: number;
      sink: { records: number; seconds: number };
      ceiling: { seconds: number };
      parquetLoad: { seconds: number };
      logRead: { records: number };
      peakRssBytes: number;
      rows: unknown[];
    };
    expect(r.records).to.equal(3000);
    expect(r.sink.records).to.equal(3000);
    expect(r.sink.seconds).to.be.greaterThan(0);
    expect(r.ceiling.seconds).to.be.greaterThan(0);
    expect(r.logRead.records).to.equal(3000);
    expect(r.peakRssBytes).to.be.greaterThan(0);
    expect(r.parquetLoad.seconds).to.be.greaterThan(0);
    expect(r.rows).to.have.length(3);
  });
});
