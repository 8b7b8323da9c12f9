/** Mocha root setup: shared by every spec. */
process.env.PMA_LOG_LEVEL ??= 'silent';
