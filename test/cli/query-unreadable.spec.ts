import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { openSilverDatabase } from '../../sinks/silver/writer.ts';
import { runChild } from '../run-child.ts';
import { tempDirPerTest } from '../temp-dir.ts';

const PMA = fileURLToPath(new URL('../../cli/pma.ts', import.meta.url));

/** Root reads any directory, so as root the command runs as nobody, for whom the mode bits hold. */
function asUnprivileged(args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [process.execPath, args];
  return ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args]];
}

describe('pma query on a data dir it cannot read', function () {
  this.timeout(60_000);
  const tmp = tempDirPerTest('pma-query-unreadable-');

  it('says the data dir cannot be read (permission denied, naming the file), not that Silver does not exist', async () => {
    chmodSync(tmp.path, 0o755);
    const dataDir = join(tmp.path, 'data');
    mkdirSync(dataDir);
    const silver = join(dataDir, 'silver.duckdb');
    (await openSilverDatabase(silver)).closeSync();
    chmodSync(dataDir, 0o000);
    try {
      const [command, args] = asUnprivileged([PMA, '--data-dir', dataDir, 'query', 'SELECT count(*) FROM TradeFact']);
      const r = await runChild(command, args, { env: { ...process.env, PMA_LOG_LEVEL: 'warn' } });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.not.match(/no Silver to query/);
      expect(r.stderr.trim()).to.match(/^pma: PMA_ERR_QUERY: cannot read .*silver\.duckdb: EACCES: permission denied/);
      expect(r.stderr).to.include(`path=${silver}`);
    } finally {
      chmodSync(dataDir, 0o755);
    }
  });
});
