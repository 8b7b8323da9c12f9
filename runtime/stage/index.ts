/**
 * The stage runtime: what every consuming stage shares (the loop, decoding, dead letters,
 * finished-offset tracking, knowing when it is caught up, options with defaults).
 */
export { groupCaughtUp, LogEnds } from './caught-up.ts';
export { DeadLetterOutbox } from './dead-letters.ts';
export { type Decoded, decodeRecord, withSource } from './decode.ts';
export { DoneTracker } from './done-tracker.ts';
export { type ConsumeLoop, consumeLoop } from './loop.ts';
export { type StageFailure, StageMetrics, type StageName } from './metrics.ts';
export { type StopReason, type Until, type WithDefaults, withDefaults } from './options.ts';
