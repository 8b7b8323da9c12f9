/** Runs a child process to its end and hands back what it printed, for specs that drive real processes. */
import { spawn } from 'node:child_process';

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
  /** Whether it was SIGKILLed for outliving `limitMs`. */
  killed: boolean;
}

export interface ChildOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** SIGKILL the child if it is still running after this long (a hang then fails the caller's check, not the suite's timeout). */
  limitMs?: number;
}

/** Resolves on exit whatever the code (the caller judges it); rejects only if the process could not start. */
export function runChild(command: string, args: readonly string[], options: ChildOptions = {}): Promise<ChildResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer =
      options.limitMs === undefined
        ? undefined
        : setTimeout(() => {
            killed = true;
            child.kill('SIGKILL');
          }, options.limitMs);
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started, killed });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}
