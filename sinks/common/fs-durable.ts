/**
 * File-system steps that survive a crash: fsync a file's data before it is renamed into place,
 * and fsync the directory after a rename, create or unlink so the entry itself is durable.
 */
import { open } from 'node:fs/promises';

/** Makes a directory's entries (created, renamed, removed files) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to a new file (refusing to overwrite one) and fsyncs it before resolving. */
export async function writeNewFileDurably(path: string, data: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await handle.write(data, done, data.length - done);
      done += bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}
