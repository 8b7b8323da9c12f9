/**
 * A tab opened before a restart keeps working after it: two `pma tagger` processes, one after
 * the other on one data dir, and a form token from the first accepted by the second. The secret
 * behind the tokens lives in a file only its owner can read.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { csrfSecretPath, tagStorePath } from '../../tagger/service.ts';

const PMA = fileURLToPath(new URL('../../cli/pma.ts', import.meta.url));

interface Running {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

/** Starts `pma tagger` and resolves with its URL once it prints it. */
function startTagger(dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, [PMA, '--data-dir', dataDir, 'tagger', '--port', '0', '--no-classify'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PMA_LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      stdout += d;
      const url = /Tag Manager: (http:\/\/\S+?)\/ /.exec(stdout)?.[1];
      if (url) resolve({ child, url, stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`pma tagger exited with ${code} before listening: ${stderr}`)));
  });
}

async function stop(r: Running): Promise<void> {
  const exited = new Promise<number | null>((resolve) => r.child.once('exit', (code) => resolve(code)));
  r.child.kill('SIGTERM');
  expect(await exited, r.stderr()).to.equal(0);
}

describe('tagger: a restart keeps open tabs working', function () {
  this.timeout(90_000);
  let dir: string;
  const running: Running[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-tagger-restart-'));
  });
  afterEach(() => {
    for (const r of running.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a form token issued by the process before, and keeps the secret owner-only', async () => {
    const first = await startTagger(dir);
    running.push(first);
    const page = await fetch(`${first.url}/tags`);
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    await stop(first);

    const secret = csrfSecretPath(tagStorePath(dir));
    expect(statSync(secret).mode & 0o777).to.equal(0o600);

    const second = await startTagger(dir);
    running.push(second);
    const post = (body: Record<string, string>) =>
      fetch(`${second.url}/tags`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams(body) });
    const res = await post({ name: 'After restart', description: '', _csrf: token });
    expect(res.status, await res.text()).to.equal(303);
    // Still a real check: a wrong token is refused by the second process too.
    expect((await post({ name: 'Forged', _csrf: `${token.slice(0, -2)}xx` })).status).to.equal(403);
    const tags = await (await fetch(`${second.url}/tags`)).text();
    expect(tags).to.contain('After restart').and.not.to.contain('Forged');
    await stop(second);
  });
});
