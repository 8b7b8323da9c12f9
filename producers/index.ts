/**
 * The producers: `runIngest` fetches Polymarket's APIs (or the simulator) into the raw topics,
 * with progress in pma.cursors, gaps in pma.gaps, failures in pma.failures and dead letters in
 * pma.dlq. `pma ingest` and `pma run` both call it.
 */

export type { FailureRecord, GapRecord } from './context.ts';
export { type Cursor, CursorStore, cursorKey } from './records/cursors.ts';
export { type IngestDeps, type IngestOptions, type IngestSummary, RUN_ENDPOINT, runIngest } from './run.ts';
export { INGEST_KEYS, type IngestSettings, ingestSettingsSchema, MODES, type Mode, selectedModes } from './settings.ts';
