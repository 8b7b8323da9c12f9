/**
 * Both the backfill (its horizon) and follow mode (every pass) start from the API's clock.
 */
import { z } from 'zod';
import { HttpError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import type { ApiCaller } from './http/caller.ts';

/**
 * The API's clock (CLOB `GET /time`, Unix seconds); this machine's when the API answers without
 * one. An API that cannot be reached at all ends the run here, before any unit fails one by one.
 */
export async function serverTime(caller: ApiCaller, logger: Logger): Promise<number> {
  try {
    const res = await caller.call({ api: 'clob', endpoint: '/time' }, z.coerce.number().int().positive());
    return res.value;
  } catch (err) {
    if (caller.stopSignal.aborted) throw err;
    if (err instanceof HttpError && err.status === undefined) {
      throw new HttpError(`the CLOB API cannot be reached (${err.message}); offline, use --source sim`, err.context, {
        retryable: err.retryable,
        exhausted: err.exhausted,
        cause: err,
      });
    }
    logger.warn("the API's clock is unavailable; using this machine's", { err });
    return Math.floor(Date.now() / 1000);
  }
}
