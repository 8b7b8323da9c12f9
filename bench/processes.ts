/**
 * Child processes of the benchmarks: starting a server that prints its URL, and reading another
 * process's CPU time and RSS from /proc (Linux; NaN or 0 where /proc cannot be read).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BenchError } from '../runtime/errors.ts';

export interface Listening {
  child: ChildProcess;
  url: string;
  /** Milliseconds from spawn to the URL on stdout. */
  startMs: number;
}

/** Spawns `node <args>` with logging off and resolves with the first http://127.0.0.1:<port> it prints. */
export function spawnListening(args: string[]): Promise<Listening> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PMA_LOG_LEVEL: 'silent' } });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, startMs: performance.now() - started });
    });
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => reject(new BenchError(`server exited (${code}) before listening: ${err.trim()}`, { args })));
  });
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of a process, bytes. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
