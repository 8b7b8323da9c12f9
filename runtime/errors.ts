/**
 * The one error catalogue of the project (the modules under errors/): import errors from here.
 * Every error we raise is a PmaError with a stable code, structured context, typed fields where
 * callers branch, and a JSON form that crosses threads and HTTP and comes back as its class.
 */
export { describeError, type ErrorContext, type ErrorOptions, PmaError, type PmaErrorCode, type SerializedError, serializeError } from './errors/base.ts';
export { type CatalogueEntry, ERROR_CATALOGUE, isErrorCode, rebuildError } from './errors/catalogue.ts';
export * from './errors/classes.ts';
export { describeFullDisk, FULL_DISK_BELOW_BYTES, type FullDisk, fullDiskAt } from './errors/disk-full.ts';
