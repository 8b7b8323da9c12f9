/**
 * Both the backfill (its horizon) and follow mode (every pass) start from the API's clock.
 */
import { z } from 'zod';
import { AbortedError, HttpError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import type { ApiCaller } from './http/caller.ts';
import { sleep } from './limits/retry.ts';

/**
 * Socket error codes that mean no connection could be made at all (nothing listens, the name or
 * the route is unknown), as opposed to one that was made and then broke (reset, timed out).
 */
const NO_CONNECTION = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Times `/time` is asked (each with the caller's own tries) before the local clock stands in: the
 * clock is one small request that bounds the whole run, so it is worth more than a unit's tries.
 */
export const SERVER_TIME_CALLS = 5;
const PAUSE_MS = 200;

/**
 * The API's clock (CLOB `GET /time`, Unix seconds). An API that cannot be connected to at all
 * ends the run here, before any unit fails one by one. Any other failure (a reset, a timeout, an
 * error status, a body that is not a time) is asked again, up to SERVER_TIME_CALLS times; then this
 * machine's clock stands in, corrected by the skew last measured (`skewSec`: API minus local),
 * so that one broken answer never ends a run.
 */
export class ApiClock {
  readonly #caller: ApiCaller;
  readonly #logger: Logger;
  #skewSec: number | undefined;

  constructor(caller: ApiCaller, logger: Logger, recordedSkewSec?: number) {
    this.#caller = caller;
    this.#logger = logger;
    this.#skewSec = recordedSkewSec;
  }

  /** API minus local clock in seconds, as last measured (this run or the one that recorded it). */
  get skewSec(): number | undefined {
    return this.#skewSec;
  }

  async now(): Promise<number> {
    let last: unknown;
    for (let call = 1; call <= SERVER_TIME_CALLS; call++) {
      try {
        const res = await this.#caller.call({ api: 'clob', endpoint: '/time' }, z.coerce.number().int().positive());
        this.#skewSec = res.value - Math.floor(res.fetchedAt / 1000);
        return res.value;
      } catch (err) {
        if (this.#caller.stopSignal.aborted) throw err;
        const code = connectionFailure(err);
        if (err instanceof HttpError && code !== undefined) {
          throw new HttpError(
            `the CLOB API cannot be reached (${err.message}); offline, use --source sim`,
            { ...err.context, socketError: code },
            {
              retryable: err.retryable,
              exhausted: err.exhausted,
              cause: err,
            },
          );
        }
        last = err;
        if (call < SERVER_TIME_CALLS && !(await sleep(PAUSE_MS * call, this.#caller.stopSignal))) throw new AbortedError('stopping: server time abandoned', { endpoint: 'clob:/time' });
      }
    }
    const local = Math.floor(Date.now() / 1000) + (this.#skewSec ?? 0);
    this.#logger.warn("the API's clock is unavailable; using this machine's, corrected by the skew last measured", {
      err: last,
      calls: SERVER_TIME_CALLS,
      skewSec: this.#skewSec ?? null,
      time: local,
    });
    return local;
  }
}

/** The socket code of a failure to connect, found along the error's causes; undefined for any other failure. */
function connectionFailure(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let e: unknown = err; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NO_CONNECTION.has(code)) return code;
  }
  return undefined;
}
