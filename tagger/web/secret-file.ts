/**
 * The web app's CSRF secret, kept in a file beside the tag store so that a restart does not
 * invalidate every open tab's token. The file is created readable by its owner only (0600),
 * under a temporary name then linked into place, so a reader never sees half a secret and two
 * processes starting at once agree on one. A file others can read is not a secret any more: it
 * is replaced (open tabs then need one reload) rather than trusted.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { ConfigError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';

const SECRET_BYTES = 32;
const ENCODED = /^[A-Za-z0-9_-]{43}$/;

/** The secret stored at `path`, made there first if there is none (or only an exposed one). */
export function loadOrCreateSecret(path: string, logger: Logger): Buffer {
  // Two tries: a file found exposed is removed once and made again; a race lost reads the winner's.
  for (let attempt = 1; attempt <= 2; attempt++) {
    const found = readSecret(path);
    if (found === 'exposed') {
      logger.warn('the CSRF secret file could be read by other users; replacing it (open tabs need one reload)', { path });
      unlinkSync(path);
      continue;
    }
    if (found) return found;
    const made = createSecret(path);
    if (made) return made;
  }
  throw new ConfigError(`cannot settle the Tag Manager's CSRF secret at ${path}: it keeps changing under this process`, { path });
}

/** The secret, `'exposed'` when group or others may read it, or null when there is no file. */
function readSecret(path: string): Buffer | 'exposed' | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`cannot open the Tag Manager's CSRF secret ${path}`, { path }, { cause: err });
  }
  try {
    if ((fstatSync(fd).mode & 0o077) !== 0) return 'exposed';
    const text = readFileSync(fd, 'utf8').trim();
    if (!ENCODED.test(text)) throw new ConfigError(`the Tag Manager's CSRF secret ${path} is not ${SECRET_BYTES} base64url bytes; delete it to make a new one`, { path });
    return Buffer.from(text, 'base64url');
  } finally {
    closeSync(fd);
  }
}

/** Writes a new secret; null when another process linked its own first (read that one). */
function createSecret(path: string): Buffer | null {
  const secret = randomBytes(SECRET_BYTES);
  const temp = `${path}.${process.pid}.tmp`;
  // A temporary left by a killed process that had this pid is ours to replace.
  rmSync(temp, { force: true });
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${secret.toString('base64url')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw new ConfigError(`cannot write the Tag Manager's CSRF secret ${path}`, { path }, { cause: err });
  } finally {
    unlinkSync(temp);
  }
}
