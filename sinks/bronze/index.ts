/** The Bronze layer: clean topics to Hive-partitioned Parquet, exactly once. */

export { COMPACT_DEFAULTS, type CompactOptions, type CompactResult, compactBronze, runBronzeCompaction } from './compact.ts';
export { bronzeRoot, fileName, parseFileName, utcDate } from './layout.ts';
export { recoverBronze } from './recovery.ts';
export {
  BRONZE_DEFAULTS,
  type BronzeSinkDeps,
  type BronzeSinkOptions,
  type BronzeSinkResult,
  type PublishedGroup,
  runBronzeSink,
} from './sink.ts';
