/** When a stage stops: on its abort signal only, or once it has read and finished everything in its topics. */
export type Until = 'signal' | 'caught-up';

/** Why a stage's loop ended. */
export type StopReason = 'caught-up' | 'stopped';

/** Options after defaults: a key with a default is never undefined; other keys stay as given. */
export type WithDefaults<D, O> = Omit<O, keyof D> & { [K in keyof D]-?: K extends keyof O ? Exclude<O[K], undefined> | D[K] : D[K] };

/**
 * A stage's options with its defaults: a value left undefined takes the default (a plain spread
 * would let `{ rollMs: undefined }` erase it).
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): WithDefaults<D, O> {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  return out as WithDefaults<D, O>;
}
