/** Reads a CA, certificate or key file named by a setting, failing with the path and the setting. */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.ts';

/** `setting` is how the user named it, e.g. "kafkaTlsCa (PMA_KAFKA_TLS_CA)". */
export function readSettingFile(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(`${setting}: cannot read ${path} (${why})`, { path, field: setting }, { cause: err });
  }
}
