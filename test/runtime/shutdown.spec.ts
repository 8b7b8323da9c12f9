import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect } from 'chai';

// A real process: the first SIGTERM lets it finish its work and exit 0; a second signal exits at once.
const CHILD = `
import { installShutdown } from ${JSON.stringify(new URL('../../runtime/shutdown.ts', import.meta.url).href)};
import { createLogger } from ${JSON.stringify(new URL('../../runtime/logger.ts', import.meta.url).href)};
const s = installShutdown({ logger: createLogger({ format: 'text', level: 'silent' }), graceMs: 5000 });
const keepAlive = setInterval(() => {}, 1000);
process.stdout.write('ready\\n');
await new Promise((r) => s.signal.addEventListener('abort', r));
process.stdout.write('draining\\n');
await new Promise((r) => setTimeout(r, Number(process.env.DRAIN_MS)));
process.stdout.write('drained\\n');
s.dispose();
clearInterval(keepAlive);
`;

async function startChild(drainMs: number) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { env: { ...process.env, DRAIN_MS: String(drainMs) } });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  while (!out.includes('ready')) await once(child.stdout, 'data');
  return { child, out: () => out };
}

describe('runtime/shutdown', () => {
  it('lets in-flight work finish on the first signal and exits 0', async () => {
    const { child, out } = await startChild(200);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).to.equal(0);
    expect(out()).to.contain('drained');
  });

  it('exits at once on a second signal', async () => {
    const { child, out } = await startChild(30_000);
    child.kill('SIGINT');
    while (!out().includes('draining')) await once(child.stdout, 'data');
    const t0 = Date.now();
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    expect(code).to.equal(130);
    expect(Date.now() - t0).to.be.lessThan(5_000);
    expect(out()).not.to.contain('drained');
  });
});
