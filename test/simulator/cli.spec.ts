/**
 * `pma sim` and `pma sim export-truth` as real child processes: the export matches the in-process
 * truth of the same options, and the server starts, serves and stops cleanly on SIGINT.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createWorld } from '../../simulator/index.ts';
import { truthRecords } from '../../simulator/truth.ts';
import { getJson } from './helpers.ts';

const PMA = fileURLToPath(new URL('../../cli/pma.ts', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PMA, ...args], { env: { ...process.env, PMA_LOG_LEVEL: 'silent' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pma sim (child processes)', () => {
  const children: ChildProcess[] = [];
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-sim-cli-'));
  });
  after(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('export-truth writes the same JSON lines as the in-process truth of the same options', async () => {
    const out = join(dir, 'truth.jsonl');
    const r = await run(['sim', 'export-truth', '--seed', '3', '--markets', '25', '--trades-per-market', '8', '--profile', '2025-12', '--type', 'trade', '--type', 'gap', '--out', out]);
    expect(r.code, r.stderr).to.equal(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const { world, profile } = createWorld({ seed: 3, markets: 25, tradesPerMarket: 8, profile: '2025-12' });
    const want = [...truthRecords(world, profile, { types: ['trade', 'gap'] })].map((x) => JSON.stringify(x));
    expect(lines).to.deep.equal(want);
  });

  it('export-truth --count, and bad flags exit 2 naming the flag', async () => {
    const r = await run(['sim', 'export-truth', '--markets', '10', '--count', '--no-fixtures']);
    expect(r.code).to.equal(0);
    expect(JSON.parse(r.stdout)['gamma-market']).to.equal(10);
    const bad = await run(['sim', 'export-truth', '--markets', 'many']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('--markets');
  });

  it('pma sim serves on the port it prints and exits 0 on SIGINT', async () => {
    const child = spawn(process.execPath, [PMA, 'sim', '--port', '0', '--markets', '30', '--live'], { env: { ...process.env, PMA_LOG_LEVEL: 'silent' } });
    children.push(child);
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (d) => {
        text += d;
        const m = /pma sim: (http:\/\/[^\s]+)/.exec(text);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const info = await getJson<{ world: { markets: number }; clock: { live: boolean } }>(`${url}/__sim/info`);
    expect(info.body.world.markets).to.be.at.least(30);
    expect(info.body.clock.live).to.equal(true);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code).to.equal(0);
  });
});
