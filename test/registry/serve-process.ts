/**
 * Starts `pma registry serve` as a real child process on a free port and stops it with SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PMA = fileURLToPath(new URL('../../cli/pma.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** SIGKILLs the server and waits for it to exit. */
  stop(): Promise<void>;
}

export function startServeProcess(dataDir: string, extraArgs: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [PMA, 'registry', 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: REPO,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`pma registry serve did not start within 20 s: ${err}`));
    }, 20_000);
    child.stderr!.on('data', (d) => {
      err += d;
    });
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child, stop });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`pma registry serve exited (${code ?? signal}) before listening: ${err}`));
    });
  });
}
