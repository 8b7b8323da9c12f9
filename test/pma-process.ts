/** A `pma` command as a child process, killable with SIGKILL; its stderr is kept for failures. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PMA = fileURLToPath(new URL('../cli/pma.ts', import.meta.url));

export interface PmaProcess {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function pmaProcess(args: string[]): PmaProcess {
  const child = spawn(process.execPath, [PMA, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PMA_LOG_LEVEL: 'warn' } });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}
