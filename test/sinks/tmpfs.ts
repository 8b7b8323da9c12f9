/**
 * A small tmpfs for specs that fill a disk: real ENOSPC from the kernel, not a mocked write.
 * Mounting needs root; `tmpfsMissing` says why it cannot be had (for describeNeeding, which
 * fails the suite under CI=true rather than skipping it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Undefined when a tmpfs can be mounted here, else why not. */
export function tmpfsMissing(): string | undefined {
  const probe = mkdtempSync(join(tmpdir(), 'pma-tmpfs-probe-'));
  try {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { encoding: 'utf8' });
    if (mounted.status !== 0) return `cannot mount a tmpfs (needs root): ${mounted.error?.message ?? mounted.stderr.trim()}`;
    spawnSync('umount', [probe]);
    return undefined;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

export interface Tmpfs {
  readonly dir: string;
  /** Takes all free space but `leaveBytes` with a filler file. */
  fill(leaveBytes: number): void;
  /** Removes the filler. */
  free(): void;
  unmount(): void;
}

export function mountTmpfs(sizeMb: number): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'pma-tmpfs-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) throw new Error(`mount tmpfs on ${dir} failed: ${mounted.stderr}`);
  const filler = join(dir, 'filler');
  return {
    dir,
    fill(leaveBytes) {
      const s = statfsSync(dir);
      writeFileSync(filler, Buffer.alloc(Math.max(0, s.bavail * s.bsize - leaveBytes)));
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      const r = spawnSync('umount', [dir], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`umount ${dir} failed: ${r.stderr}`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
