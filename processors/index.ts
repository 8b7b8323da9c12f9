/** The processors: raw topics to clean topics (`pma process`, and part of `pma run`). */

export { DEDUP_HEADER, SOURCE_HEADER } from './identity.ts';
export { NORMALISERS } from './normalise/index.ts';
export { PROCESSOR_DEFAULTS, type ProcessorDeps, type ProcessorOptions, type ProcessorResult, runProcessors } from './runner.ts';
