/**
 * Silver: the DuckDB sink (`runSilverSink`), its tables and keys, its snapshot, and read-only
 * queries against it, live or from the file.
 */
export { dimKey, eventKey, marketKey, tokenKey, tradeKey, traderKey } from './keys.ts';
export { OFFSETS_TABLE, SILVER_SCHEMA_VERSION, SILVER_TABLES, type SilverTable } from './schema.ts';
export { runSilverSink, SILVER_DEFAULTS, type SilverCommitInfo, type SilverSinkDeps, type SilverSinkOptions, type SilverSinkResult } from './sink.ts';
export { defaultSnapshotPath } from './snapshot.ts';
export { SILVER_TOPIC_KEYS, type SilverTopicKey } from './staging.ts';
export { openSilverDatabase, type PartitionOffset } from './writer.ts';
