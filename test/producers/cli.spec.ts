import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';

const PMA = new URL('../../cli/pma.ts', import.meta.url).pathname;

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<[number | null, NodeJS.Signals | null]>;
}

function pma(dir: string, args: string[]): Run {
  const child = spawn(process.execPath, [PMA, '--data-dir', join(dir, 'data'), '--config', join(dir, 'config.json'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PMA_LOG_LEVEL: 'info' },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return { child, out: () => out, err: () => err, exit: once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]> };
}

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('pma ingest (the command)', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-ingest-cli-'));
    // A world that takes a while at the published limits, served by a simulator the command starts itself.
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ sim: { seed: 2, markets: 120, tradesPerMarket: 60, pricePoints: 40, leaderboardSize: 30 }, ingest: { source: 'sim', resolution: 'minute' } }),
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stops gracefully on SIGTERM (exit 0, summary, cursors), a later run resumes, and --metrics-port serves metrics', async () => {
    const first = pma(dir, ['ingest', '--metrics-port', '0', '--mode', 'trades,leaderboard']);
    await until(() => /metrics served url=(\S+)/.test(first.err()), 'the metrics line');
    const url = /metrics served url=(\S+)/.exec(first.err())![1]!;
    // Scrape until the leaderboard has been asked (the run is then under way) rather than for a fixed while.
    const asked = /pma_ingest_requests_total\{[^}]*endpoint="\/v1\/leaderboard"/;
    let metrics = await (await fetch(url)).text();
    const deadline = Date.now() + 30_000;
    while (!asked.test(metrics) && Date.now() < deadline && first.child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 100));
      metrics = await (await fetch(url)).text();
    }
    expect(metrics).to.match(asked);
    expect(metrics).to.match(/pma_ingest_request_duration_seconds_bucket/);
    expect(metrics).to.match(/pma_ingest_bucket_tokens\{bucket="data:\/trades"/);
    first.child.kill('SIGTERM');
    const [code] = await first.exit;
    expect(code, first.err()).to.equal(0);
    expect(first.out()).to.match(/^task\s+done\s+requests/m);
    expect(first.out()).to.contain('stopped before the end');

    const second = pma(dir, ['ingest', '--mode', 'trades,leaderboard']);
    const [code2] = await second.exit;
    expect(code2, second.err()).to.equal(0);
    expect(second.err()).to.contain('resuming the unfinished run');
    expect(second.out()).to.contain('ingest complete');

    const status = pma(dir, ['status']);
    await status.exit;
    expect(status.out()).to.match(/data:\/trades\s+(\d+)\/\1\s/);
    expect(status.out()).to.match(/data:\/v1\/leaderboard\s+88\/88\s/);
  });

  it('exits at once on a second signal, and --timeout stops a run gracefully', async () => {
    const run = pma(dir, ['ingest', '--mode', 'trades']);
    await until(() => run.err().includes('starting a run'), 'the run to start');
    run.child.kill('SIGTERM');
    await until(() => run.err().includes('stopping') || run.child.exitCode !== null, 'the first signal to be taken');
    run.child.kill('SIGTERM');
    const [code] = await run.exit;
    expect(code).to.equal(143);

    const timed = pma(dir, ['ingest', '--mode', 'trades', '--timeout', '2']);
    const [code2] = await timed.exit;
    expect(code2, timed.err()).to.equal(0);
    expect(timed.err()).to.contain('--timeout 2s elapsed');
  });

  it('names the flag of a bad value and exits 2', async () => {
    const bad = pma(dir, ['ingest', '--mode', 'everything']);
    const [code] = await bad.exit;
    expect(code).to.equal(2);
    expect(bad.err()).to.match(/--mode/);
  });
});
