import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { GOLD_TABLES } from '../../gold/build.ts';
import { SILVER_TABLES } from '../../sinks/silver/index.ts';
import { tempDirPerTest } from '../temp-dir.ts';

const PMA = fileURLToPath(new URL('../../cli/pma.ts', import.meta.url));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function pma(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [PMA, ...args], { env: { ...process.env, PMA_LOG_LEVEL: 'warn', ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function files(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(suffix));
}

describe('pma run (npm start)', function () {
  this.timeout(180_000);
  const tmp = tempDirPerTest('pma-run-');

  it('says in one line that the live APIs cannot be reached, and names --source sim', async () => {
    const r = await pma(['--data-dir', tmp.path, 'run'], { PMA_INGEST_GAMMA_URL: 'http://127.0.0.1:1' });
    expect(r.code).to.equal(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/live Polymarket APIs cannot be reached/);
    expect(lines[0]).to.include('--source sim');
    expect(r.stdout).to.equal('');
    expect(existsSync(join(tmp.path, 'silver.duckdb'))).to.equal(false);
  });

  it('--source sim on a fresh data dir gives Bronze files, a Silver file with every table filled and a Gold report, then says where they are', async () => {
    const r = await pma(['--data-dir', tmp.path, 'run', '--source', 'sim', '--sim-markets', '12']);
    expect(r.code, r.stderr).to.equal(0);
    const silver = join(tmp.path, 'silver.duckdb');
    const report = join(tmp.path, 'gold', 'report.html');
    for (const where of [join(tmp.path, 'bronze'), silver, join(tmp.path, 'silver.snapshot.duckdb'), join(tmp.path, 'gold', 'gold.duckdb'), report]) {
      expect(r.stdout, where).to.include(where);
      expect(existsSync(where), where).to.equal(true);
    }
    expect(r.stdout).to.match(/pma run finished in \d+ s \(simulator\)/);
    expect(files(join(tmp.path, 'bronze'), '.parquet').length).to.be.greaterThan(0);
    expect(files(join(tmp.path, 'gold', 'csv'), '.csv').length).to.equal(GOLD_TABLES.length);
    expect(readFileSync(report, 'utf8')).to.include('<svg ');

    const instance = await DuckDBInstance.create(silver, { access_mode: 'READ_ONLY' });
    const conn = await instance.connect();
    try {
      for (const t of SILVER_TABLES) {
        const n = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${t}`)).getRows()[0]![0]);
        expect(n, t).to.be.greaterThan(0);
      }
      const resolved = Number((await conn.runAndReadAll('SELECT count(*) FROM MarketTokenDim WHERE is_winner')).getRows()[0]![0]);
      expect(resolved, 'winning tokens of resolved markets').to.be.greaterThan(0);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }

    // A second run finds nothing new in the (static) simulated world and still ends well.
    const again = await pma(['--data-dir', tmp.path, 'run', '--source', 'sim', '--sim-markets', '12']);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/pma run finished/);
  });
});
