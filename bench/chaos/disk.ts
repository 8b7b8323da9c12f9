/**
 * A real full disk for the chaos engine: the data dir on its own tmpfs (mounting needs root),
 * filled to the last byte by a filler file at the scheduled moments, then freed.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BenchError } from '../../runtime/errors.ts';

export interface SmallDisk {
  dir: string;
  /** Writes until the disk refuses (ENOSPC); resolves with the bytes written. */
  fill(): number;
  free(): void;
  unmount(): void;
}

const CHUNK = Buffer.alloc(1 << 20, 0x5a);

export function mountSmallDisk(dir: string, sizeMb: number): SmallDisk {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    throw new BenchError(`cannot mount a ${sizeMb} MB tmpfs at ${dir} for the disk-full scenario (root and mount are needed)`, { path: dir }, { cause: err });
  }
  const filler = join(dir, '.chaos-filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      let written = 0;
      try {
        for (;;) {
          try {
            written += writeSync(fd, CHUNK);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
            // The last megabyte that did not fit, byte ranges down to one page.
            for (let size = CHUNK.length >> 1; size >= 4096; size >>= 1) {
              try {
                written += writeSync(fd, CHUNK, 0, size);
              } catch (e) {
                if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
              }
            }
            return written;
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    },
  };
}
