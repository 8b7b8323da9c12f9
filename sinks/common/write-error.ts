/**
 * A sink's failed file write as the error to report: a SinkError naming the file and, when the
 * file system is what refused it, the full disk, with the file system's error as the cause.
 */
import { describeFullDisk, fullDiskAt, PmaError, SinkError } from '../../runtime/errors.ts';

/** Errno codes a full disk (or quota) can surface as. */
const SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO']);

/**
 * `askDisk`: whether to ask the file system if it is full. By default only for errno codes a full
 * disk surfaces as; DuckDB's errors carry no code, so its callers ask always.
 */
export function sinkWriteError(err: unknown, doing: string, path: string, askDisk = hasSpaceCode(err)): PmaError {
  if (err instanceof PmaError) return err;
  const full = askDisk ? fullDiskAt(path) : undefined;
  const disk = full ? { diskFull: true, freeBytes: full.freeBytes } : {};
  return new SinkError(`${doing} ${path}: ${full ? `${describeFullDisk(full)}: ` : ''}${(err as Error)?.message ?? String(err)}`, { path, ...disk }, { cause: err });
}

function hasSpaceCode(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' && SPACE_CODES.has(code);
}
