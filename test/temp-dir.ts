/** A fresh temp directory for each test, removed after it, so no test sees another's files. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Call inside a `describe`; read `path` only inside a test or hook of it. */
export function tempDirPerTest(prefix: string): { readonly path: string } {
  let current: string | undefined;
  beforeEach(() => {
    current = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => {
    if (current) rmSync(current, { recursive: true, force: true });
    current = undefined;
  });
  return {
    get path(): string {
      if (current === undefined) throw new Error('tempDirPerTest: the directory exists only during a test');
      return current;
    },
  };
}
