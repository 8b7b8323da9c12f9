/**
 * kafkajs 2.2.4 arms `setTimeout` with a negative delay in its request queue (kafkajs issue #1751),
 * and Node 24 reports each one as a TimeoutNegativeWarning on stderr. The delay is clamped to 1 ms
 * and harmless, so exactly that warning type is dropped; every other warning still goes through.
 */
const FILTERED_TYPE = 'TimeoutNegativeWarning';
let installed = false;

function warningType(warning: string | Error, typeOrOptions: unknown): string | undefined {
  if (typeof typeOrOptions === 'string') return typeOrOptions;
  if (typeOrOptions && typeof typeOrOptions === 'object' && 'type' in typeOrOptions) {
    return String((typeOrOptions as { type: unknown }).type);
  }
  return warning instanceof Error ? warning.name : undefined;
}

/** Idempotent: installs the filter once per process. */
export function filterKafkajsTimeoutWarning(): void {
  if (installed) return;
  installed = true;
  const original = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (warningType(warning, rest[0]) === FILTERED_TYPE) return;
    original(warning, ...rest);
  }) as typeof process.emitWarning;
}
