/**
 * Secrets never reach output: config errors, `--check-config` and error contexts show a password
 * (a setting named *password*, or the password part of a URL) as `***`.
 */

export const REDACTED = '***';

/** Settings holding a secret, by name: kafkaSaslPassword, registryPassword and the like. */
export function isSecretKey(key: string): boolean {
  return /password|secret/i.test(key);
}

/** A URL with its password replaced by `***` (`http://user:***@host`); anything else unchanged. */
export function redactUrl(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^/\s@]*@/gi, `$1${REDACTED}@`);
}

/** The value of a setting as it may be shown. */
export function redactSetting(key: string, value: unknown): unknown {
  if (value === undefined) return value;
  if (isSecretKey(key)) return REDACTED;
  return typeof value === 'string' ? redactUrl(value) : value;
}
