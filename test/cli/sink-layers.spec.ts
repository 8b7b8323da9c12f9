import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { tempDirPerTest } from '../temp-dir.ts';

const PMA = fileURLToPath(new URL('../../cli/pma.ts', import.meta.url));

describe('pma sink --layer all', function () {
  this.timeout(60_000);
  const tmp = tempDirPerTest('pma-sink-layers-');

  it('stops Silver as soon as Bronze fails, and exits non-zero with Bronze error (not at the next signal)', async () => {
    // Bronze fails at once: a compaction or repair (this process, as far as the lock says) holds its directory.
    mkdirSync(join(tmp.path, 'bronze'), { recursive: true });
    writeFileSync(join(tmp.path, 'bronze', '.lock'), `${process.pid}\n`);
    const started = Date.now();
    const child = spawn(process.execPath, [PMA, '--data-dir', tmp.path, 'sink', '--layer', 'all'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PMA_LOG_LEVEL: 'warn' } });
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    // Without --until-caught-up, Silver alone would run until a signal: give it 30 s, then kill.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = (await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])))) as [number | null, NodeJS.Signals | null];
    clearTimeout(timer);
    expect(signal, `still running after ${Date.now() - started} ms: ${stderr}`).to.equal(null);
    expect(code, stderr).to.equal(1);
    expect(stderr.trim().split('\n').at(-1)).to.match(new RegExp(`^pma: PMA_ERR_SINK: a Bronze compaction or repair \\(pid ${process.pid}\\) is working on`));
  });
});
