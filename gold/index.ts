/** Gold: analytics materialised on demand from Silver, and the report that shows them. */
export { buildGold, GOLD_TABLES, type GoldBuildDeps, type GoldBuildOptions, type GoldBuildResult } from './build.ts';
export { type GoldReportOptions, type GoldReportResult, writeGoldReport } from './report/report.ts';
export { DEFAULT_GOLD_PARAMETERS, type GoldParameters } from './tables/types.ts';
