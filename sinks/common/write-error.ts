/**
 * A sink's failed file write as the error to report: a SinkError naming the file and, when the
 * file system is what refused it, the full disk, with the file system's error as the cause.
 */
import { describeFullDisk, fullDiskAt, PmaError, SinkError } from '../../runtime/errors.ts';

/** Errno codes a full disk (or quota) can surface as. */
const SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO']);

export function sinkWriteError(err: unknown, doing: string, path: string): PmaError {
  if (err instanceof PmaError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  const full = typeof code === 'string' && SPACE_CODES.has(code) ? fullDiskAt(path) : undefined;
  const disk = full ? { diskFull: true, freeBytes: full.freeBytes } : {};
  return new SinkError(`${doing} ${path}: ${full ? `${describeFullDisk(full)}: ` : ''}${(err as Error)?.message ?? String(err)}`, { path, ...disk }, { cause: err });
}
